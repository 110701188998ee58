/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_client.c — owns one outgoing SMTP connection: the client side of
 * the protocol as a state machine over a bufferevent.  This file is the
 * machine itself: the connection's life (connect, free, QUIT, exit),
 * libevent's callbacks, the timeouts, the reading of replies and their
 * dispatch by state, and the greeting, EHLO (HELO after a 5xx) and the
 * extensions noted from it.  Between EHLO and ready the relayer's TLS
 * policy and AUTH run in smtp_client_tls.c; each transaction for a
 * relay.h delivery (MAIL, RCPT, DATA or BDAT, the message streamed from
 * the spool, RSET) in smtp_client_tx.c; the three share the object
 * through smtp_client_int.h.  It knows nothing of pools or host lists:
 * relay_pool.c decides which connection carries what.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "log.h"
#include "relay.h"
#include "smtp_client.h"
#include "smtp_client_int.h"
#include "util.h"

#define QUIT_TIMEOUT	10	/* most seconds to wait for QUIT's reply */

static const char *sc_state_names[] = {
	"connect", "TLS handshake", "greeting", "EHLO", "HELO", "STARTTLS",
	"AUTH", "AUTH", "AUTH", "ready", "RSET", "MAIL",
	"RCPT", "DATA", "message transfer", "end of data", "end of data",
	"RSET", "end of transaction", "QUIT", "closed"
};
_Static_assert(sizeof(sc_state_names) / sizeof(sc_state_names[0]) ==
    SC_CLOSED + 1, "one name per state");

/* How many of our libevent callbacks are on the stack. */
static int	sc_depth;

/* Every client not yet freed, dead ones whose memory is due from the loop
 * included: smtp_client_exit() frees them when the loop has ended. */
static TAILQ_HEAD(, smtp_client) all_clients =
    TAILQ_HEAD_INITIALIZER(all_clients);

static void	sc_read_run(struct bufferevent *, void *);
static void	sc_write_run(struct bufferevent *, void *);
static void	sc_event_run(struct bufferevent *, short, void *);
static void	sc_timeout_run(evutil_socket_t, short, void *);
static void	sc_kick_run(evutil_socket_t, short, void *);

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

void
sc_enter(struct smtp_client *c, enum sc_state s)
{
	log_debug("smtp client %s: %s -> %s", c->remote,
	    sc_state_names[c->state], sc_state_names[s]);
	c->state = s;
}

void
sc_arm(struct smtp_client *c, long secs)
{
	struct timeval	tv = { secs > 0 ? secs : 1, 0 };

	evtimer_add(c->timer, &tv);
}

int
sc_direct_fd(const struct smtp_client *c)
{
	if (c->bev == NULL || c->ssl != NULL || c->state == SC_CONNECT ||
	    c->dead || evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		return -1;
	return bufferevent_getfd(c->bev);
}

/* Out, straight when it can (sc_direct_fd()); what the socket does not
 * take waits in the output buffer as before. */
static void
sc_out(struct smtp_client *c, const char *p, size_t len)
{
	int	fd = sc_direct_fd(c);
	size_t	n = 0;

	if (fd != -1)
		n = send_now(fd, p, len);
	if (n < len)
		evbuffer_add(bufferevent_get_output(c->bev), p + n, len - n);
}

/* sc_send() and sc_command(): the line out at once when it may go
 * (sc_out()), else, or when longer than a command line, buffered. */
static void
sc_vsend(struct smtp_client *c, const char *fmt, va_list ap)
{
	char	line[1024];
	va_list	ap2;
	int	n;

	va_copy(ap2, ap);
	n = vsnprintf(line, sizeof(line), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatal("vsnprintf");
	if ((size_t)n < sizeof(line))
		sc_out(c, line, (size_t)n);
	else
		evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
}

void
sc_send(struct smtp_client *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	sc_vsend(c, fmt, ap);
	va_end(ap);
}

void
sc_command(struct smtp_client *c, enum sc_state s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	sc_vsend(c, fmt, ap);
	va_end(ap);
	sc_enter(c, s);
	sc_arm(c, c->conf.command_timeout);
}

void
sc_ehlo(struct smtp_client *c)
{
	memset(&c->caps, 0, sizeof(c->caps));
	sc_command(c, SC_EHLO, "EHLO %s\r\n", c->ehlo_as);
}

void
sc_bev_setcb(struct smtp_client *c, struct bufferevent *bev)
{
	bufferevent_setcb(bev, sc_read, sc_write, sc_event, c);
}

void
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

static enum dlv_result
sc_result_of(int code)
{
	if (code >= 200 && code < 300)
		return DLV_OK;
	if (code >= 500 && code < 600)
		return DLV_PERMFAIL;
	return DLV_TEMPFAIL;
}

static void
sc_kick_run(evutil_socket_t fd, short ev, void *arg)
{
	sc_tx_finish(arg);
}

/*
 * The connection is lost or unusable (error, EOF, timeout, protocol
 * error): close it.  Inside a transaction its pending recipients fail
 * transiently; otherwise the owner hears SMTPC_FAILED.
 */
void
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
	if (c->state == SC_RSET_BEFORE)
		sc_tx_clear(c);	/* untouched: see sc_reply_rset_before() */
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
	if (SC_DANE(&c->conf) != NULL)
		c->conf.tls = CTLS_VERIFY;
	if ((size_t)salen <= sizeof(c->sa)) {
		memcpy(&c->sa, sa, salen);
		c->salen = salen;
	}
	addr_text(sa, c->ip, sizeof(c->ip), false);
	if ((c->timer = evtimer_new(base, sc_timeout, c)) == NULL ||
	    (c->kick = event_new(base, -1, 0, sc_kick, c)) == NULL)
		fatalx("event_new");
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new");
	sc_bev_setcb(c, c->bev);
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

void
sc_ready(struct smtp_client *c)
{
	evtimer_del(c->timer);
	sc_enter(c, SC_READY);
	c->cb(c, SMTPC_READY, c->arg);
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
	sc_ehlo(c);
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
	sc_command(c, SC_HELO, "HELO %s\r\n", c->ehlo_as);
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
sc_reply_idle(struct smtp_client *c, enum dlv_result res)
{
	sc_fail(c, "451 4.4.2 %s sent while idle: %s", c->remote,
	    c->rtext);
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