/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_client.c — owns one outgoing SMTP connection: the client side of
 * the protocol as a state machine over a bufferevent.  It connects, reads
 * the greeting, says EHLO (HELO after a 5xx), notes the extensions
 * offered, and then runs transactions for relay.h deliveries: MAIL, RCPT
 * (pipelined in one write when PIPELINING is offered), then DATA (in the
 * same write) or, when the server offers CHUNKING, one BDAT LAST chunk
 * once a recipient is accepted; the message streamed from the spool by
 * smtp_body.c with a bounded output buffer; RSET between transactions,
 * QUIT at the end.  Between EHLO and ready it
 * runs the relayer's TLS policy (STARTTLS, or implicit TLS from the first
 * byte, through a bufferevent_openssl filter over the socket) and AUTH
 * PLAIN/LOGIN, only ever under TLS.  It knows nothing of pools or host
 * lists: relay_smtp.c decides which connection carries what.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "envelope.h"
#include "log.h"
#include "relay.h"
#include "smtp_body.h"
#include "smtp_client.h"
#include "tls_client.h"
#include "util.h"

#define BODY_LOWAT	16384	/* refill the output below this */
#define BODY_HIWAT	65536	/* and up to about this */
#define REPLY_TEXT_MAX	1024	/* reply text kept for a status */
#define QUIT_TIMEOUT	10	/* most seconds to wait for QUIT's reply */

enum sc_state {
	SC_CONNECT,		/* waiting for the TCP connect */
	SC_HANDSHAKE,		/* TLS handshake: implicit, or after STARTTLS */
	SC_GREETING,		/* waiting for 220 */
	SC_EHLO,		/* also the second EHLO, under TLS */
	SC_HELO,
	SC_STARTTLS,		/* waiting for 220 to STARTTLS */
	SC_AUTH_USER,		/* AUTH LOGIN: waiting for the user prompt */
	SC_AUTH_PASS,		/* AUTH LOGIN: waiting for the password one */
	SC_AUTH,		/* waiting for 235 */
	SC_READY,		/* idle: takes a transaction */
	SC_RSET_BEFORE,		/* RSET before a reused connection's MAIL */
	SC_MAIL,
	SC_RCPT,
	SC_DATA,		/* waiting for 354 */
	SC_BODY,		/* streaming the message (DATA or BDAT) */
	SC_DOT,			/* waiting for the final reply (to the
				   "." or to BDAT LAST) */
	SC_DOT_DISCARD,		/* 354 with no recipient: sent "." anyway */
	SC_RSET_AFTER,		/* RSET after a transaction with no recipient */
	SC_TX_END,		/* nothing to send: finishing from the loop */
	SC_QUIT,
	SC_CLOSED
};

static const char *sc_state_names[] = {
	"connect", "TLS handshake", "greeting", "EHLO", "HELO", "STARTTLS",
	"AUTH", "AUTH", "AUTH", "ready", "RSET", "MAIL",
	"RCPT", "DATA", "message transfer", "end of data", "end of data",
	"RSET", "end of transaction", "QUIT", "closed"
};
_Static_assert(sizeof(sc_state_names) / sizeof(sc_state_names[0]) ==
    SC_CLOSED + 1, "one name per state");

struct smtp_client {
	TAILQ_ENTRY(smtp_client) entry;		/* in all_clients */
	struct event_base	*base;
	struct bufferevent	*bev;
	struct event		*timer;
	struct event		*kick;		/* finishes a transaction later */
	enum sc_state		 state;
	char			*remote;
	char			*ehlo_as;
	struct smtp_client_conf	 conf;
	smtpc_cb		 cb;
	void			*arg;
	struct smtp_caps	 caps;
	char			*status;
	struct sockaddr_storage	 sa;		/* for the plaintext retry */
	socklen_t		 salen;
	char			 ip[INET6_ADDRSTRLEN];	/* to verify a literal */
	SSL			*ssl;		/* owned by bev when set */
	bool			 tls_active;
	bool			 tls_given_up;	/* opportunistic: plaintext now */
	char			*tls_info;
	char			*perm_status;	/* AUTH refused: every
						   transaction fails with it */
	bool			 need_rset;	/* MAIL sent since last RSET */
	bool			 reusable;
	bool			 quitting;	/* detached: no more callbacks */
	bool			 dead;		/* memory goes from the loop */
	void			(*closed_cb_ev)(evutil_socket_t, short, void *);
						/* see smtp_client_quit_then */
	void			*closed_arg;

	/* The reply being read. */
	int			 rcode;
	int			 rlines;
	char			 rtext[REPLY_TEXT_MAX];
	size_t			 rlen;

	/* The transaction. */
	struct delivery		*d;
	int			*sent;		/* d->rcpts indexes sent as RCPT */
	int			 n_sent, n_replied, n_accepted;
	bool			*accepted;	/* per d->rcpts */
	bool			 mail_ok;
	bool			 pipelining;
	bool			 bdat;		/* CHUNKING: BDAT, not DATA */
	struct smtp_body	 body;		/* the message file */
};

/* How many of our libevent callbacks are on the stack. */
static int	sc_depth;

/* Every client not yet freed, dead ones whose memory is due from the loop
 * included: smtp_client_exit() frees them when the loop has ended. */
static TAILQ_HEAD(, smtp_client) all_clients =
    TAILQ_HEAD_INITIALIZER(all_clients);

static void	sc_read(struct bufferevent *, void *);
static void	sc_write(struct bufferevent *, void *);
static void	sc_event(struct bufferevent *, short, void *);
static void	sc_timeout(evutil_socket_t, short, void *);
static void	sc_kick(evutil_socket_t, short, void *);
static void	sc_read_run(struct bufferevent *, void *);
static void	sc_write_run(struct bufferevent *, void *);
static void	sc_event_run(struct bufferevent *, short, void *);
static void	sc_timeout_run(evutil_socket_t, short, void *);
static void	sc_kick_run(evutil_socket_t, short, void *);
static void	sc_fail(struct smtp_client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	sc_begin_mail(struct smtp_client *);
static void	sc_start_body(struct smtp_client *);
static void	sc_fill_body(struct smtp_client *);
static void	sc_tls_failed(struct smtp_client *, const char *);

/*
 * libevent's entry points: each counts itself on the stack, so that
 * smtp_client_free() knows when memory may go at once.
 */
static void
sc_read(struct bufferevent *bev, void *arg)
{
	sc_depth++;
	sc_read_run(bev, arg);
	sc_depth--;
}

static void
sc_write(struct bufferevent *bev, void *arg)
{
	sc_depth++;
	sc_write_run(bev, arg);
	sc_depth--;
}

static void
sc_event(struct bufferevent *bev, short what, void *arg)
{
	sc_depth++;
	sc_event_run(bev, what, arg);
	sc_depth--;
}

static void
sc_timeout(evutil_socket_t fd, short ev, void *arg)
{
	sc_depth++;
	sc_timeout_run(fd, ev, arg);
	sc_depth--;
}

static void
sc_kick(evutil_socket_t fd, short ev, void *arg)
{
	sc_depth++;
	sc_kick_run(fd, ev, arg);
	sc_depth--;
}

static void
sc_enter(struct smtp_client *c, enum sc_state s)
{
	log_debug("smtp client %s: %s -> %s", c->remote,
	    sc_state_names[c->state], sc_state_names[s]);
	c->state = s;
}

static void
sc_arm(struct smtp_client *c, long secs)
{
	struct timeval	tv = { secs > 0 ? secs : 1, 0 };

	evtimer_add(c->timer, &tv);
}

/* Queue one command; the caller arms the timer. */
static void
sc_send(struct smtp_client *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
}

static void
sc_close_socket(struct smtp_client *c)
{
	/* Under TLS, freeing the filter frees the SSL and the socket. */
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->ssl = NULL;
	c->tls_active = false;
	evtimer_del(c->timer);
	c->reusable = false;
}

static void
sc_tx_clear(struct smtp_client *c)
{
	smtp_body_close(&c->body);
	free(c->sent);
	c->sent = NULL;
	free(c->accepted);
	c->accepted = NULL;
	c->d = NULL;
	event_del(c->kick);
}

static void
sc_free_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_client	*c = arg;

	TAILQ_REMOVE(&all_clients, c, entry);
	event_free(c->timer);
	event_free(c->kick);
	free(c->remote);
	free(c->ehlo_as);
	free(c->status);
	free(c->tls_info);
	free(c->perm_status);
	free(c);
}

/* The event loop has ended for good (the daemon is stopping): nothing
 * deferred to it would ever run, and with no callback of ours on the
 * stack the memory may go at once. */
static bool
sc_loop_over(const struct smtp_client *c)
{
	return event_base_got_exit(c->base) && sc_depth == 0;
}

void
smtp_client_exit(void)
{
	struct smtp_client	*c;

	while ((c = TAILQ_FIRST(&all_clients)) != NULL) {
		if (!c->dead) {
			c->dead = true;
			sc_close_socket(c);
			sc_tx_clear(c);
		}
		/* A dead one's sc_free_cb was due from the loop, which will
		 * not run again: event_base_free() drops that event. */
		sc_free_cb(-1, 0, c);
	}
}

void
smtp_client_free(struct smtp_client *c)
{
	struct timeval	tv = { 0, 0 };

	if (c == NULL || c->dead)
		return;
	c->dead = true;
	sc_close_socket(c);
	sc_tx_clear(c);
	/* The socket is closed: tell whoever counts it, later. */
	if (c->closed_cb_ev != NULL && !sc_loop_over(c) &&
	    event_base_once(c->base, -1, EV_TIMEOUT, c->closed_cb_ev,
	    c->closed_arg, &tv) == -1)
		fatalx("event_base_once");
	if (sc_loop_over(c)) {
		sc_free_cb(-1, 0, c);
		return;
	}
	/* We may be inside one of our own callbacks: free from the loop. */
	if (event_base_once(c->base, -1, EV_TIMEOUT, sc_free_cb, c, &tv) == -1)
		fatalx("event_base_once");
}

static void
sc_rcpt_set(struct delivery_rcpt *r, enum dlv_result res, const char *status)
{
	r->result = res;
	free(r->status);
	r->status = xstrdup(status);
}

static enum dlv_result
sc_result_of(int code)
{
	if (code >= 200 && code < 300)
		return DLV_OK;
	if (code >= 500 && code < 600)
		return DLV_PERMFAIL;
	return DLV_TEMPFAIL;
}

/* Every recipient of the transaction still pending gets this result. */
static void
sc_fail_pending(struct smtp_client *c, enum dlv_result res, const char *status)
{
	int	i;

	if (c->d == NULL)
		return;
	for (i = 0; i < c->d->n_rcpts; i++)
		if (c->d->rcpts[i].result == DLV_PENDING)
			sc_rcpt_set(&c->d->rcpts[i], res, status);
}

/* A permanent failure we decided on ourselves from what the server
 * offered: it said nothing, so no bounce may quote it as saying it. */
static void
sc_fail_local(struct smtp_client *c, const char *status)
{
	int	i;

	if (c->d == NULL)
		return;
	for (i = 0; i < c->d->n_rcpts; i++)
		if (c->d->rcpts[i].result == DLV_PENDING) {
			sc_rcpt_set(&c->d->rcpts[i], DLV_PERMFAIL, status);
			c->d->rcpts[i].local = true;
		}
}

/* The transaction is over: every recipient has a result. */
static void
sc_tx_finish(struct smtp_client *c)
{
	sc_tx_clear(c);
	if (c->reusable && c->bev != NULL) {
		sc_enter(c, SC_READY);
		evtimer_del(c->timer);
	} else {
		sc_close_socket(c);
		sc_enter(c, SC_CLOSED);
	}
	c->cb(c, SMTPC_TX_DONE, c->arg);
}

static void
sc_tx_finish_later(struct smtp_client *c)
{
	sc_enter(c, SC_TX_END);
	evtimer_del(c->timer);
	event_active(c->kick, EV_TIMEOUT, 1);
}

static void
sc_kick_run(evutil_socket_t fd, short ev, void *arg)
{
	sc_tx_finish(arg);
}

static bool
sc_in_tx(const struct smtp_client *c)
{
	return c->d != NULL && c->state >= SC_MAIL && c->state <= SC_TX_END;
}

/*
 * The connection is lost or unusable (error, EOF, timeout, protocol
 * error): close it.  Inside a transaction its pending recipients fail
 * transiently; otherwise the owner hears SMTPC_FAILED.
 */
static void
sc_fail(struct smtp_client *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	free(c->status);
	c->status = s;
	sc_close_socket(c);
	if (c->quitting) {
		smtp_client_free(c);
		return;
	}
	log_debug("smtp client %s: %s", c->remote, s);
	if (sc_in_tx(c)) {
		sc_fail_pending(c, DLV_TEMPFAIL, s);
		sc_tx_finish(c);
		return;
	}
	sc_enter(c, SC_CLOSED);
	c->cb(c, SMTPC_FAILED, c->arg);
}

struct smtp_client *
smtp_client_new(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const char *remote, const struct smtp_client_conf *conf,
    smtpc_cb cb, void *arg, char *err, size_t errlen)
{
	struct smtp_client	*c;

	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->remote = xstrdup(remote);
	c->conf = *conf;
	c->ehlo_as = xstrdup(conf->ehlo_as != NULL ? conf->ehlo_as :
	    "localhost");
	c->conf.ehlo_as = c->ehlo_as;
	c->cb = cb;
	c->arg = arg;
	c->body.fd = -1;
	c->reusable = true;
	c->state = SC_CONNECT;
	/* Implicit TLS cannot fall back: it is at least "required". */
	if (c->conf.implicit_tls && c->conf.tls < CTLS_REQUIRED)
		c->conf.tls = CTLS_REQUIRED;
	/* DANE: authenticated TLS or nothing (RFC 7672 2.2). */
	if (c->conf.dane != NULL)
		c->conf.tls = CTLS_VERIFY;
	if ((size_t)salen <= sizeof(c->sa)) {
		memcpy(&c->sa, sa, salen);
		c->salen = salen;
	}
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    c->ip, sizeof(c->ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, c->ip,
		    sizeof(c->ip));
	if ((c->timer = evtimer_new(base, sc_timeout, c)) == NULL ||
	    (c->kick = event_new(base, -1, 0, sc_kick, c)) == NULL)
		fatalx("event_new");
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(c->bev, sc_read, sc_write, sc_event, c);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)sa,
	    salen) == -1) {
		snprintf(err, errlen, "451 4.4.1 connection to %s failed: %s",
		    remote, strerror(errno));
		bufferevent_free(c->bev);
		event_free(c->timer);
		event_free(c->kick);
		free(c->remote);
		free(c->ehlo_as);
		free(c);
		return NULL;
	}
	sc_arm(c, c->conf.connect_timeout);
	TAILQ_INSERT_TAIL(&all_clients, c, entry);
	log_debug("smtp client %s: connecting", c->remote);
	return c;
}

bool
smtp_client_reusable(const struct smtp_client *c)
{
	return c->reusable && c->state == SC_READY;
}

const char *
smtp_client_status(const struct smtp_client *c)
{
	return c->status != NULL ? c->status : "451 4.4.0 no status";
}

const char *
smtp_client_remote(const struct smtp_client *c)
{
	return c->remote;
}

const struct smtp_caps *
smtp_client_caps(const struct smtp_client *c)
{
	return &c->caps;
}

const char *
smtp_client_tls_info(const struct smtp_client *c)
{
	return c->tls_info;
}

void
smtp_client_quit(struct smtp_client *c)
{
	if (c == NULL || c->dead)
		return;
	if (c->state != SC_READY || c->bev == NULL || sc_loop_over(c)) {
		smtp_client_free(c);
		return;
	}
	c->quitting = true;
	sc_send(c, "QUIT\r\n");
	sc_enter(c, SC_QUIT);
	sc_arm(c, c->conf.command_timeout < QUIT_TIMEOUT ?
	    c->conf.command_timeout : QUIT_TIMEOUT);
}

void
smtp_client_quit_then(struct smtp_client *c, void (*closed)(evutil_socket_t,
    short, void *), void *arg)
{
	c->closed_cb_ev = closed;
	c->closed_arg = arg;
	smtp_client_quit(c);
}

static void
sc_ready(struct smtp_client *c)
{
	evtimer_del(c->timer);
	sc_enter(c, SC_READY);
	c->cb(c, SMTPC_READY, c->arg);
}

/* What went wrong with the connection, for a status: OpenSSL's queued
 * errors first, then the socket's. */
static void
sc_bev_error(struct smtp_client *c, short what, char *buf, size_t len)
{
	unsigned long	e, first = 0;
	int		 se = EVUTIL_SOCKET_ERROR();

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		if (first == 0)
			first = e;
	if (first != 0)
		ERR_error_string_n(first, buf, len);
	else if (what & BEV_EVENT_EOF)
		snprintf(buf, len, "connection closed by the server");
	else if (se != 0)
		snprintf(buf, len, "%s", evutil_socket_error_to_string(se));
	else
		snprintf(buf, len, "connection closed");
}

/*
 * Start the TLS handshake over the connected socket.  A filter rather than
 * bufferevent_openssl_socket_new(): the same path serves implicit TLS and
 * STARTTLS, and a failed TCP connect stays apart from a failed handshake.
 */
static void
sc_tls_start(struct smtp_client *c)
{
	struct bufferevent	*under = c->bev, *bev;
	char			 err[512];

	if (c->conf.dane != NULL)
		c->ssl = tls_client_ssl_dane(c->conf.dane, c->conf.tls_cert,
		    c->conf.tls_key, c->conf.servername, err, sizeof(err));
	else
		c->ssl = tls_client_ssl(c->conf.tls == CTLS_VERIFY,
		    c->conf.ca_file, c->conf.ca_path, c->conf.tls_cert,
		    c->conf.tls_key, c->conf.servername, c->ip[0] != '\0' ?
		    c->ip : NULL, err, sizeof(err));
	if (c->ssl == NULL) {
		/* Our own configuration is at fault: no plaintext retry. */
		log_warnx("smtp client %s: %s", c->remote, err);
		sc_fail(c, "451 4.7.5 cannot start TLS with %s: %s",
		    c->remote, err);
		return;
	}
	bev = bufferevent_openssl_filter_new(c->base, under, c->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		sc_fail(c, "451 4.7.5 cannot start TLS with %s", c->remote);
		return;
	}
	c->bev = bev;
	/* SMTP has its own end marker: a close without close_notify is no
	 * truncation attack, only a peer in a hurry. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	/* Without a high mark on the socket the filter would encrypt the
	 * whole message into memory at once. */
	bufferevent_setwatermark(under, EV_WRITE, BODY_LOWAT, BODY_HIWAT);
	bufferevent_setcb(bev, sc_read, sc_write, sc_event, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	sc_enter(c, SC_HANDSHAKE);
	sc_arm(c, c->conf.implicit_tls ? c->conf.connect_timeout :
	    c->conf.command_timeout);
}

static void
sc_tls_done(struct smtp_client *c)
{
	/* The handshake verifies; this is a second look, never a first. */
	if (c->conf.dane != NULL && !tls_client_dane_verified(c->ssl)) {
		sc_fail(c, "451 4.7.5 TLS with %s not authenticated by its "
		    "TLSA records", c->remote);
		return;
	}
	c->tls_active = true;
	free(c->tls_info);
	c->tls_info = tls_client_info(c->ssl, c->conf.tls == CTLS_VERIFY);
	log_debug("smtp client %s: TLS established: %s", c->remote,
	    c->tls_info);
	if (c->conf.implicit_tls) {
		sc_enter(c, SC_GREETING);
		sc_arm(c, c->conf.connect_timeout);
		return;
	}
	/* RFC 3207: forget all we learnt in plaintext, ask again. */
	memset(&c->caps, 0, sizeof(c->caps));
	sc_send(c, "EHLO %s\r\n", c->ehlo_as);
	sc_enter(c, SC_EHLO);
	sc_arm(c, c->conf.command_timeout);
}

/* Connect again to the same address, never to try TLS on it again. */
static void
sc_reconnect_plain(struct smtp_client *c)
{
	sc_close_socket(c);
	c->reusable = true;
	c->tls_given_up = true;
	memset(&c->caps, 0, sizeof(c->caps));
	c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(c->bev, sc_read, sc_write, sc_event, c);
	sc_enter(c, SC_CONNECT);
	if (c->salen == 0 || bufferevent_socket_connect(c->bev,
	    (struct sockaddr *)&c->sa, c->salen) == -1) {
		sc_fail(c, "451 4.4.1 connection to %s failed: %s", c->remote,
		    strerror(errno));
		return;
	}
	sc_arm(c, c->conf.connect_timeout);
}

/*
 * The handshake failed.  Opportunistic TLS retries the address in
 * plaintext (a broken TLS stack must not defer mail forever); every
 * stricter policy fails the connection transiently.
 */
static void
sc_tls_failed(struct smtp_client *c, const char *why)
{
	const char	*verr = NULL;
	char		*reason;

	if (c->ssl != NULL)
		verr = tls_client_verify_error(c->ssl);
	if (verr != NULL)
		reason = xasprintf("certificate verification failed: %s", verr);
	else
		reason = xstrdup(why);
	if (c->conf.tls == CTLS_OPPORTUNISTIC && !c->conf.implicit_tls &&
	    !c->quitting) {
		log_info("smtp client %s: TLS handshake failed (%s), "
		    "retrying without TLS", c->remote, reason);
		free(reason);
		sc_reconnect_plain(c);
		return;
	}
	/* The owner logs the status; the reason is in it. */
	sc_fail(c, "451 4.7.5 TLS handshake with %s failed: %s", c->remote,
	    reason);
	free(reason);
}

static char *
sc_base64(const void *in, size_t len)
{
	if (len > 65536)
		len = 65536;	/* credentials are short; keep it bounded */
	return base64_encode(in, len);
}

/* AUTH, which never leaves the host in plaintext. */
static void
sc_auth_start(struct smtp_client *c)
{
	const char	*user = c->conf.auth_username;
	const char	*pass = c->conf.auth_password != NULL ?
			    c->conf.auth_password : "";
	char		*buf, *b64;
	size_t		 ulen = strlen(user), plen = strlen(pass), len;

	if (!c->tls_active) {
		sc_fail(c, "451 4.7.0 no TLS with %s: not sending credentials "
		    "without TLS", c->remote);
		return;
	}
	if (c->caps.auth & SMTPC_AUTH_PLAIN) {
		/* authzid NUL authcid NUL password, sent as initial
		 * response (RFC 4616, RFC 4954). */
		len = ulen + plen + 2;
		buf = xmalloc(len);
		buf[0] = '\0';
		memcpy(buf + 1, user, ulen);
		buf[ulen + 1] = '\0';
		memcpy(buf + ulen + 2, pass, plen);
		b64 = sc_base64(buf, len);
		sc_send(c, "AUTH PLAIN %s\r\n", b64);
		explicit_bzero(buf, len);
		explicit_bzero(b64, strlen(b64));
		free(buf);
		free(b64);
		sc_enter(c, SC_AUTH);
	} else if (c->caps.auth & SMTPC_AUTH_LOGIN) {
		sc_send(c, "AUTH LOGIN\r\n");
		sc_enter(c, SC_AUTH_USER);
	} else {
		sc_fail(c, "451 4.7.0 %s does not offer AUTH PLAIN or LOGIN",
		    c->remote);
		return;
	}
	sc_arm(c, c->conf.command_timeout);
}

/* One AUTH LOGIN answer: the user name or the password. */
static void
sc_auth_login_send(struct smtp_client *c, const char *s)
{
	char	*b64;

	b64 = sc_base64(s, strlen(s));
	sc_send(c, "%s\r\n", b64);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	sc_arm(c, c->conf.command_timeout);
}

/*
 * A 5xx to AUTH: the credentials are wrong, and retrying would only
 * hammer the server (and may lock the account).  The connection reports
 * ready but fails each transaction permanently with this reply.
 */
static void
sc_auth_refused(struct smtp_client *c)
{
	log_warnx("smtp client %s: authentication as \"%s\" refused: %s; "
	    "messages for this relayer fail permanently until the "
	    "credentials are fixed", c->remote, c->conf.auth_username,
	    c->rtext);
	free(c->perm_status);
	c->perm_status = xasprintf("%s (authentication refused by %s)",
	    c->rtext, c->remote);
	c->reusable = false;
	sc_ready(c);
}

static void
sc_post_ehlo(struct smtp_client *c)
{
	if (!c->tls_active && c->conf.tls != CTLS_NONE && !c->tls_given_up) {
		if (c->caps.ext & SMTPC_EXT_STARTTLS) {
			sc_send(c, "STARTTLS\r\n");
			sc_enter(c, SC_STARTTLS);
			sc_arm(c, c->conf.command_timeout);
			return;
		}
		if (c->conf.tls >= CTLS_REQUIRED) {
			sc_fail(c, "451 4.7.0 TLS required but %s does not "
			    "offer STARTTLS", c->remote);
			return;
		}
	}
	if (c->conf.auth_username != NULL) {
		sc_auth_start(c);
		return;
	}
	sc_ready(c);
}

/* An address we are about to put on a command line: no line breaks. */
static bool
sc_addr_ok(const char *a)
{
	for (; *a != '\0'; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f)
			return false;
	return true;
}

void
smtp_client_start_tx(struct smtp_client *c, struct delivery *d)
{
	if (c->dead || c->state != SC_READY || c->d != NULL)
		fatalx("smtp_client_start_tx: connection %s not ready",
		    c->remote);
	c->d = d;
	free(d->tls_info);
	d->tls_info = c->tls_info != NULL ? xstrdup(c->tls_info) : NULL;
	if (c->perm_status != NULL) {
		sc_fail_pending(c, DLV_PERMFAIL, c->perm_status);
		sc_tx_finish_later(c);
		return;
	}
	if (c->need_rset) {
		sc_send(c, "RSET\r\n");
		sc_enter(c, SC_RSET_BEFORE);
		sc_arm(c, c->conf.command_timeout);
		return;
	}
	sc_begin_mail(c);
}

/* The DSN parameters of the delivery's i-th recipient for its RCPT, or ""
 * when the next hop does not offer DSN (RFC 3461 6.2: then we report). */
static const char *
sc_rcpt_dsn(struct smtp_client *c, int i, char *buf, size_t size)
{
	const struct env_rcpt *er = &c->d->env->rcpts[c->d->rcpts[i].index];

	buf[0] = '\0';
	if (c->caps.ext & SMTPC_EXT_DSN)
		dsn_rcpt_params(er->notify, er->orcpt, buf, size);
	return buf;
}

static void
sc_begin_mail(struct smtp_client *c)
{
	struct delivery		*d = c->d;
	const struct envelope	*env = d->env;
	struct evbuffer		*cmds;
	char			 buf[256], dsn[DSN_RCPT_PARAMS_MAX];
	int			 i;

	if (env->smtputf8 && !(c->caps.ext & SMTPC_EXT_SMTPUTF8)) {
		snprintf(buf, sizeof(buf), "553 5.6.7 %s does not support "
		    "SMTPUTF8, which this message needs", c->remote);
		sc_fail_local(c, buf);
		sc_tx_finish_later(c);
		return;
	}
	if ((c->caps.ext & SMTPC_EXT_SIZE) && c->caps.size > 0 &&
	    d->size > c->caps.size) {
		/* Postfix's wording: the limit is the server's, the
		 * decision ours. */
		snprintf(buf, sizeof(buf), "552 5.3.4 message size %llu "
		    "exceeds size limit %llu of server %s",
		    (unsigned long long)d->size,
		    (unsigned long long)c->caps.size, c->remote);
		sc_fail_local(c, buf);
		sc_tx_finish_later(c);
		return;
	}
	if (!sc_addr_ok(env->sender)) {
		sc_fail_local(c, "501 5.1.7 bad sender address syntax");
		sc_tx_finish_later(c);
		return;
	}

	c->sent = xcalloc(d->n_rcpts, sizeof(*c->sent));
	c->accepted = xcalloc(d->n_rcpts, sizeof(*c->accepted));
	c->n_sent = c->n_replied = c->n_accepted = 0;
	c->mail_ok = false;
	for (i = 0; i < d->n_rcpts; i++) {
		if (d->rcpts[i].result != DLV_PENDING)
			continue;
		if (!sc_addr_ok(d->rcpts[i].addr)) {
			sc_rcpt_set(&d->rcpts[i], DLV_PERMFAIL,
			    "501 5.1.3 bad recipient address syntax");
			continue;
		}
		c->sent[c->n_sent++] = i;
	}
	if (c->n_sent == 0) {
		sc_tx_finish_later(c);
		return;
	}
	/* BDAT needs the chunk size, so the file is read (or its last
	 * octet) now; sendfile only on a plain socket. */
	c->bdat = (c->caps.ext & SMTPC_EXT_CHUNKING) != 0;
	if (smtp_body_open(&c->body, d->msg_path, d->size, c->bdat,
	    !c->tls_active) == -1) {
		snprintf(buf, sizeof(buf), "451 4.3.0 cannot read the "
		    "message: %s", strerror(errno));
		log_warn("smtp client %s: open %s", c->remote, d->msg_path);
		sc_fail_pending(c, DLV_TEMPFAIL, buf);
		sc_tx_finish_later(c);
		return;
	}
	c->pipelining = (c->caps.ext & SMTPC_EXT_PIPELINING) != 0;

	/* With PIPELINING, MAIL, every RCPT and DATA leave in one write.
	 * BDAT waits for the RCPT replies: its chunk may only follow an
	 * accepted recipient, since a refused BDAT's chunk is sent all the
	 * same. */
	if ((cmds = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	evbuffer_add_printf(cmds, "MAIL FROM:<%s>", env->sender);
	if (c->caps.ext & SMTPC_EXT_SIZE)
		evbuffer_add_printf(cmds, " SIZE=%llu",
		    (unsigned long long)d->size);
	if (env->body8bit && (c->caps.ext & SMTPC_EXT_8BITMIME))
		evbuffer_add_printf(cmds, " BODY=8BITMIME");
	if (env->smtputf8)
		evbuffer_add_printf(cmds, " SMTPUTF8");
	if (c->caps.ext & SMTPC_EXT_DSN) {
		dsn_mail_params(env->ret, env->envid, dsn, sizeof(dsn));
		evbuffer_add_printf(cmds, "%s", dsn);
	}
	evbuffer_add_printf(cmds, "\r\n");
	if (c->pipelining) {
		for (i = 0; i < c->n_sent; i++)
			evbuffer_add_printf(cmds, "RCPT TO:<%s>%s\r\n",
			    d->rcpts[c->sent[i]].addr,
			    sc_rcpt_dsn(c, c->sent[i], dsn, sizeof(dsn)));
		if (!c->bdat)
			evbuffer_add_printf(cmds, "DATA\r\n");
	}
	bufferevent_write_buffer(c->bev, cmds);
	evbuffer_free(cmds);
	c->need_rset = true;
	sc_enter(c, SC_MAIL);
	sc_arm(c, c->conf.command_timeout);
}

static void
sc_send_rcpt(struct smtp_client *c)
{
	char	dsn[DSN_RCPT_PARAMS_MAX];
	int	i = c->sent[c->n_replied];

	sc_send(c, "RCPT TO:<%s>%s\r\n", c->d->rcpts[i].addr,
	    sc_rcpt_dsn(c, i, dsn, sizeof(dsn)));
	sc_arm(c, c->conf.command_timeout);
}

/* After the RCPT replies: the body when someone was accepted, else RSET. */
static void
sc_after_rcpts(struct smtp_client *c)
{
	if (c->bdat && c->mail_ok && c->n_accepted > 0) {
		sc_start_body(c);
		return;
	}
	if (c->bdat && !c->mail_ok) {
		sc_tx_finish(c);	/* as after DATA's reply: no RSET */
		return;
	}
	if (c->pipelining && !c->bdat) {
		sc_enter(c, SC_DATA);	/* DATA is already on its way */
	} else if (c->n_accepted > 0) {
		sc_send(c, "DATA\r\n");
		sc_enter(c, SC_DATA);
	} else {
		sc_send(c, "RSET\r\n");
		sc_enter(c, SC_RSET_AFTER);
	}
	sc_arm(c, c->conf.command_timeout);
}

static void
sc_start_body(struct smtp_client *c)
{
	if (c->bdat) {
		/* One chunk: the whole message, its size known. */
		sc_send(c, "BDAT %llu LAST\r\n",
		    (unsigned long long)smtp_body_wire_size(&c->body));
		log_debug("smtp client %s: >>> BDAT %llu LAST", c->remote,
		    (unsigned long long)smtp_body_wire_size(&c->body));
	}
	sc_enter(c, SC_BODY);
	bufferevent_setwatermark(c->bev, EV_WRITE, BODY_LOWAT, 0);
	sc_fill_body(c);
}

/* Fill the output buffer up to BODY_HIWAT; the write callback calls again
 * once it has drained below BODY_LOWAT, so memory stays bounded. */
static void
sc_fill_body(struct smtp_client *c)
{
	int	e;

	switch (smtp_body_fill(&c->body, bufferevent_get_output(c->bev),
	    BODY_HIWAT)) {
	case -1:
		/* Never the final dot, nor a whole chunk, after a short
		 * message: closing the connection leaves it unfinished. */
		e = errno;
		log_warn("smtp client %s: read %s", c->remote,
		    c->d->msg_path);
		sc_fail(c, "451 4.3.0 cannot read the message: %s",
		    strerror(e));
		return;
	case 1:
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		sc_enter(c, SC_DOT);
		break;
	}
	/* data_timeout counts from the last progress. */
	sc_arm(c, c->conf.data_timeout);
}

/*
 * Replies, one function per state: sc_reply() dispatches.
 */

static void
sc_reply_greeting(struct smtp_client *c, enum dlv_result res)
{
	if (res != DLV_OK) {
		sc_fail(c, "451 4.4.0 %s refused to talk to us: %s",
		    c->remote, c->rtext);
		return;
	}
	memset(&c->caps, 0, sizeof(c->caps));
	sc_send(c, "EHLO %s\r\n", c->ehlo_as);
	sc_enter(c, SC_EHLO);
	sc_arm(c, c->conf.command_timeout);
}

static void
sc_reply_ehlo(struct smtp_client *c, enum dlv_result res)
{
	if (res == DLV_OK) {
		sc_post_ehlo(c);
		return;
	}
	if (res != DLV_PERMFAIL) {
		sc_fail(c, "451 4.4.0 %s refused EHLO: %s",
		    c->remote, c->rtext);
		return;
	}
	memset(&c->caps, 0, sizeof(c->caps));
	sc_send(c, "HELO %s\r\n", c->ehlo_as);
	sc_enter(c, SC_HELO);
	sc_arm(c, c->conf.command_timeout);
}

static void
sc_reply_helo(struct smtp_client *c, enum dlv_result res)
{
	if (res != DLV_OK) {
		sc_fail(c, "451 4.4.0 %s refused HELO: %s",
		    c->remote, c->rtext);
		return;
	}
	sc_post_ehlo(c);
}

static void
sc_reply_starttls(struct smtp_client *c, enum dlv_result res)
{
	if (c->rcode == 220) {
		/* Anything already behind the 220 was sent before
		 * the handshake and would be taken as said under TLS:
		 * the injection of CVE-2011-0411, client side. */
		if (evbuffer_get_length(bufferevent_get_input(c->bev))
		    > 0) {
			sc_tls_failed(c, "data pipelined after the "
			    "reply to STARTTLS");
			return;
		}
		sc_tls_start(c);
		return;
	}
	if (c->conf.tls == CTLS_OPPORTUNISTIC) {
		log_info("smtp client %s: STARTTLS refused (%s), going "
		    "on without TLS", c->remote, c->rtext);
		c->tls_given_up = true;
		sc_post_ehlo(c);
		return;
	}
	sc_fail(c, "451 4.7.0 TLS required but %s refused STARTTLS: %s",
	    c->remote, c->rtext);
}

static void
sc_reply_auth(struct smtp_client *c, enum dlv_result res)
{
	if (res == DLV_OK && c->state == SC_AUTH) {
		log_debug("smtp client %s: authenticated as %s",
		    c->remote, c->conf.auth_username);
		sc_ready(c);
	} else if (res == DLV_PERMFAIL)
		sc_auth_refused(c);
	else
		sc_fail(c, "451 4.7.0 %s refused AUTH: %s", c->remote,
		    c->rtext);
}

static void
sc_reply_auth_login(struct smtp_client *c, enum dlv_result res)
{
	if (c->rcode == 334) {
		sc_auth_login_send(c, c->state == SC_AUTH_USER ?
		    c->conf.auth_username : c->conf.auth_password != NULL ?
		    c->conf.auth_password : "");
		sc_enter(c, c->state == SC_AUTH_USER ? SC_AUTH_PASS :
		    SC_AUTH);
		return;
	}
	sc_reply_auth(c, res);
}

static void
sc_reply_idle(struct smtp_client *c, enum dlv_result res)
{
	sc_fail(c, "451 4.4.2 %s sent while idle: %s", c->remote,
	    c->rtext);
}

static void
sc_reply_rset_before(struct smtp_client *c, enum dlv_result res)
{
	if (res != DLV_OK) {
		/* Nothing of the delivery was touched yet. */
		c->d = NULL;
		sc_fail(c, "451 4.4.2 %s refused RSET: %s",
		    c->remote, c->rtext);
		return;
	}
	c->need_rset = false;
	sc_begin_mail(c);
}

static void
sc_reply_mail(struct smtp_client *c, enum dlv_result res)
{
	if (res == DLV_OK)
		c->mail_ok = true;
	else
		sc_fail_pending(c, res, c->rtext);
	if (c->pipelining) {
		sc_enter(c, SC_RCPT);
		sc_arm(c, c->conf.command_timeout);
	} else if (c->mail_ok) {
		sc_enter(c, SC_RCPT);
		sc_send_rcpt(c);
	} else
		sc_tx_finish(c);
}

static void
sc_reply_rcpt(struct smtp_client *c, enum dlv_result res)
{
	struct delivery	*d = c->d;
	int		 i;

	i = c->sent[c->n_replied++];
	if (c->mail_ok) {
		if (res == DLV_OK) {
			c->accepted[i] = true;
			c->n_accepted++;
		} else
			sc_rcpt_set(&d->rcpts[i], res, c->rtext);
	}
	if (c->n_replied < c->n_sent) {
		if (c->pipelining)
			sc_arm(c, c->conf.command_timeout);
		else
			sc_send_rcpt(c);
	} else
		sc_after_rcpts(c);
}

static void
sc_reply_data(struct smtp_client *c, enum dlv_result res)
{
	struct delivery	*d = c->d;
	int		 i;

	if (c->rcode == 354 && c->mail_ok && c->n_accepted > 0) {
		sc_start_body(c);
		return;
	}
	if (c->rcode == 354) {
		/* A server that says 354 with no recipient gets an
		 * empty message, which it must discard. */
		sc_send(c, ".\r\n");
		sc_enter(c, SC_DOT_DISCARD);
		sc_arm(c, c->conf.command_timeout);
		return;
	}
	if (c->mail_ok && c->n_accepted > 0) {
		for (i = 0; i < d->n_rcpts; i++)
			if (c->accepted[i])
				sc_rcpt_set(&d->rcpts[i],
				    res == DLV_OK ? DLV_TEMPFAIL : res,
				    c->rtext);
	}
	if (!c->mail_ok) {
		sc_tx_finish(c);
		return;
	}
	sc_send(c, "RSET\r\n");
	sc_enter(c, SC_RSET_AFTER);
	sc_arm(c, c->conf.command_timeout);
}

static void
sc_reply_dot(struct smtp_client *c, enum dlv_result res)
{
	struct delivery	*d = c->d;
	int		 i;

	for (i = 0; i < d->n_rcpts; i++)
		if (c->accepted[i]) {
			sc_rcpt_set(&d->rcpts[i], res, c->rtext);
			/* Who sends a success notice (NOTIFY=SUCCESS): a
			 * next hop that took the parameters, else we. */
			d->rcpts[i].dsn = c->caps.ext & SMTPC_EXT_DSN ?
			    DSN_DONE_PASSED : DSN_DONE_RELAYED;
		}
	sc_tx_finish(c);
}

static void
sc_reply_dot_discard(struct smtp_client *c, enum dlv_result res)
{
	sc_send(c, "RSET\r\n");
	sc_enter(c, SC_RSET_AFTER);
	sc_arm(c, c->conf.command_timeout);
}

static void
sc_reply_rset_after(struct smtp_client *c, enum dlv_result res)
{
	if (res == DLV_OK)
		c->need_rset = false;
	else
		c->reusable = false;
	sc_tx_finish(c);
}

static void
sc_reply_quit(struct smtp_client *c, enum dlv_result res)
{
	smtp_client_free(c);
}

static void
sc_reply_unexpected(struct smtp_client *c, enum dlv_result res)
{
	sc_fail(c, "451 4.5.0 %s sent an unexpected reply during %s: "
	    "%s", c->remote, sc_state_names[c->state], c->rtext);
}

/* A complete reply for the state we are in. */
static void
sc_reply(struct smtp_client *c)
{
	enum dlv_result	 res = sc_result_of(c->rcode);

	if (c->rcode == 421 && c->state != SC_QUIT) {
		/* The server is closing the connection. */
		sc_fail(c, "%s", c->rtext);
		return;
	}
	switch (c->state) {
	case SC_GREETING:
		sc_reply_greeting(c, res);
		break;
	case SC_EHLO:
		sc_reply_ehlo(c, res);
		break;
	case SC_HELO:
		sc_reply_helo(c, res);
		break;
	case SC_STARTTLS:
		sc_reply_starttls(c, res);
		break;
	case SC_AUTH_USER:
	case SC_AUTH_PASS:
		sc_reply_auth_login(c, res);
		break;
	case SC_AUTH:
		sc_reply_auth(c, res);
		break;
	case SC_READY:
		sc_reply_idle(c, res);
		break;
	case SC_RSET_BEFORE:
		sc_reply_rset_before(c, res);
		break;
	case SC_MAIL:
		sc_reply_mail(c, res);
		break;
	case SC_RCPT:
		sc_reply_rcpt(c, res);
		break;
	case SC_DATA:
		sc_reply_data(c, res);
		break;
	case SC_DOT:
		sc_reply_dot(c, res);
		break;
	case SC_DOT_DISCARD:
		sc_reply_dot_discard(c, res);
		break;
	case SC_RSET_AFTER:
		sc_reply_rset_after(c, res);
		break;
	case SC_QUIT:
		sc_reply_quit(c, res);
		break;
	case SC_HANDSHAKE:
	case SC_BODY:
	case SC_TX_END:
		sc_reply_unexpected(c, res);
		break;
	case SC_CONNECT:
	case SC_CLOSED:
		break;
	}
}

/* Keep a printable copy of the reply text for statuses. */
static void
sc_text_add(struct smtp_client *c, const char *s, size_t len)
{
	size_t	i;
	char	ch;

	for (i = 0; i < len && c->rlen + 1 < sizeof(c->rtext); i++) {
		ch = s[i];
		if ((unsigned char)ch < 0x20 || ch == 0x7f)
			ch = ' ';
		c->rtext[c->rlen++] = ch;
	}
	c->rtext[c->rlen] = '\0';
}

static void
sc_line(struct smtp_client *c, const char *line, size_t len)
{
	char	text[SMTPC_REPLY_LINE_MAX + 1];
	int	code;
	bool	more;

	if (smtp_reply_line(line, len, &code, &more) == -1) {
		sc_fail(c, "451 4.5.0 %s sent a malformed reply during %s",
		    c->remote, sc_state_names[c->state]);
		return;
	}
	if (c->rlines == 0) {
		c->rcode = code;
		c->rlen = 0;
		sc_text_add(c, line, len);
		if (c->rlen > 3)
			c->rtext[3] = ' ';	/* "550-5.1.1" reads "550 5.1.1" */
	} else if (code != c->rcode) {
		sc_fail(c, "451 4.5.0 %s sent a malformed multi-line reply "
		    "during %s", c->remote, sc_state_names[c->state]);
		return;
	} else if (len > 4) {
		sc_text_add(c, " ", 1);
		sc_text_add(c, line + 4, len - 4);
	}
	if (c->state == SC_EHLO && c->rlines > 0 && len > 4 &&
	    code / 100 == 2) {
		memcpy(text, line + 4, len - 4);
		text[len - 4] = '\0';
		smtp_caps_line(&c->caps, text);
	}
	c->rlines++;
	if (more)
		return;
	c->rlines = 0;
	log_debug("smtp client %s: <<< %s", c->remote, c->rtext);
	sc_reply(c);
}

static void
sc_read_run(struct bufferevent *bev, void *arg)
{
	struct smtp_client	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 len;

	/* After STARTTLS the input is the TLS filter's, not this one. */
	while (!c->dead && c->bev == bev) {
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > SMTPC_REPLY_LINE_MAX + 1)
				sc_fail(c, "451 4.5.0 %s sent a reply line "
				    "longer than %d octets", c->remote,
				    SMTPC_REPLY_LINE_MAX);
			return;
		}
		if (len > SMTPC_REPLY_LINE_MAX) {
			free(line);
			sc_fail(c, "451 4.5.0 %s sent a reply line longer "
			    "than %d octets", c->remote, SMTPC_REPLY_LINE_MAX);
			return;
		}
		sc_line(c, line, len);
		free(line);
	}
}

static void
sc_write_run(struct bufferevent *bev, void *arg)
{
	struct smtp_client	*c = arg;

	if (c->state == SC_BODY)
		sc_fill_body(c);
}

static void
sc_event_run(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_client	*c = arg;
	int			 e = EVUTIL_SOCKET_ERROR();
	char			 buf[256];

	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == SC_HANDSHAKE) {
			sc_tls_done(c);
			return;
		}
		if (c->conf.implicit_tls) {
			sc_tls_start(c);
			return;
		}
		sc_enter(c, SC_GREETING);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		return;		/* connect_timeout also covers the greeting */
	}
	if (c->state == SC_HANDSHAKE) {
		sc_bev_error(c, what, buf, sizeof(buf));
		sc_tls_failed(c, buf);
		return;
	}
	if (c->tls_active && !(what & BEV_EVENT_EOF)) {
		sc_bev_error(c, what, buf, sizeof(buf));
		sc_fail(c, "451 4.4.2 connection to %s lost during %s: %s",
		    c->remote, sc_state_names[c->state], buf);
		return;
	}
	if (c->state == SC_CONNECT) {
		sc_fail(c, "451 4.4.1 connection to %s failed: %s", c->remote,
		    e != 0 ? evutil_socket_error_to_string(e) :
		    "connection refused");
		return;
	}
	if (what & BEV_EVENT_EOF)
		sc_fail(c, "451 4.4.2 %s closed the connection during %s",
		    c->remote, sc_state_names[c->state]);
	else
		sc_fail(c, "451 4.4.2 connection to %s lost during %s: %s",
		    c->remote, sc_state_names[c->state],
		    evutil_socket_error_to_string(e));
}

static void
sc_timeout_run(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_client	*c = arg;

	switch (c->state) {
	case SC_CONNECT:
		sc_fail(c, "451 4.4.1 connection to %s failed: timed out "
		    "after %lds", c->remote, c->conf.connect_timeout);
		break;
	case SC_GREETING:
		sc_fail(c, "451 4.4.2 timeout after %lds waiting for the "
		    "greeting of %s", c->conf.connect_timeout, c->remote);
		break;
	case SC_HANDSHAKE:
		sc_tls_failed(c, "timed out");
		break;
	case SC_BODY:
	case SC_DOT:
		sc_fail(c, "451 4.4.2 timeout after %lds during %s with %s",
		    c->conf.data_timeout, sc_state_names[c->state],
		    c->remote);
		break;
	default:
		sc_fail(c, "451 4.4.2 timeout after %lds waiting for the "
		    "reply to %s from %s", c->conf.command_timeout,
		    sc_state_names[c->state], c->remote);
		break;
	}
}

void
smtp_client_conf_init(struct smtp_client_conf *conf, const struct config *cfg,
    const struct relayer_conf *rc, const struct domain_conf *dom,
    const char *host)
{
	memset(conf, 0, sizeof(*conf));
	conf->ehlo_as = rc->ehlo_as != NULL ? rc->ehlo_as : cfg->hostname;
	conf->connect_timeout = rc->connect_timeout;
	conf->command_timeout = rc->command_timeout;
	conf->data_timeout = rc->data_timeout;
	conf->tls = (dom != NULL && dom->has_tls) ? dom->tls : rc->tls;
	/* With credentials to send, a domain entry may only raise TLS. */
	if (rc->auth_username != NULL && conf->tls < rc->tls)
		conf->tls = rc->tls;
	conf->implicit_tls = rc->implicit_tls;
	/* A domain entry cannot lower implicit TLS below "required". */
	if (conf->implicit_tls && conf->tls < CTLS_REQUIRED)
		conf->tls = CTLS_REQUIRED;
	conf->ca_file = rc->ca_file;
	conf->ca_path = rc->ca_path;
	conf->tls_cert = rc->tls_cert;
	conf->tls_key = rc->tls_key;
	conf->auth_username = rc->auth_username;
	conf->auth_password = rc->auth_password;
	conf->servername = host;
}
