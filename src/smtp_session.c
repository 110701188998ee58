/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_session.c — one ESMTP session on the receiving side: the
 * connection and its life.
 *
 * struct smtp_session is the connection (bufferevent, peer, HELO, listener
 * settings and the configuration in force when it was accepted, state);
 * struct smtp_tx is one mail transaction (sender, recipients, MAIL
 * parameters, the receive.c transaction and the DATA filter).  RSET, HELO/EHLO and
 * the end of a transaction free only the tx.  Both are declared in
 * smtp_session_int.h, shared with the session's four other files: the
 * plain read path (smtp_session_rx.c), the command table and the
 * commands before DATA (smtp_session_cmd.c), the message's reception
 * from DATA or BDAT to the commit's reply (smtp_session_data.c) and the
 * AUTH exchange (smtp_session_auth.c).
 *
 * A plain connection's socket bufferevent only writes: the session reads
 * it itself, one read(2) at a time into the bufferevent's input
 * (smtp_session_rx.c).  Under TLS the bufferevent reads, as libevent does.
 *
 * Input is processed as it arrives: every complete command line buffered
 * is answered in one go by session_command() (replies appended to the
 * output buffer, so that a pipelined group leaves in as few writes as
 * possible), and the message
 * body is streamed to receive.c in bounded chunks (smtp_session_data.c).
 * Processing stops while the end of DATA waits for receive_commit() and while
 * the client is not reading its replies; it resumes from what is buffered.
 *
 * Nothing is freed inside a callback chain: session_close() marks the
 * session closing and the free happens once, from its own event.
 *
 * STARTTLS (RFC 3207) swaps the socket bufferevent for a TLS filter over
 * it once the 220 is queued; whatever the client pipelined after the
 * STARTTLS line is thrown away and the session forgets its HELO, so no
 * plaintext command can ride into the TLS session.  AUTH (RFC 4954)
 * exists only under TLS; a continuation line of an AUTH exchange is never
 * parsed as a command (smtp_session_auth.c).  The OpenSSL side is in
 * tls_server.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "auth.h"
#include "config.h"
#include "deadline.h"
#include "log.h"
#include "receive.h"
#include "smtp_parse.h"
#include "smtp_session.h"
#include "smtp_session_int.h"
#include "tls_server.h"
#include "stats.h"
#include "util.h"

/* Stop reading while this much output waits for a client that does not
 * read; resume once it is down to OUTPUT_LOW. */
#define OUTPUT_MAX	(64 * 1024)
#define OUTPUT_LOW	(16 * 1024)

static const char *const state_names[] = {
	"GREETED", "HELO", "MAIL", "RCPT", "DATA", "COMMIT", "CLOSING"
};

static void	session_read(struct bufferevent *, void *);
static void	session_write(struct bufferevent *, void *);
static void	session_event(struct bufferevent *, short, void *);
static void	session_free_cb(evutil_socket_t, short, void *);
static void	session_deadline(void *);

void
session_enter_state(struct smtp_session *s, enum session_state st)
{
	if (s->state == st)
		return;
	log_debug("smtp %s: %s -> %s", s->ip, state_names[s->state],
	    state_names[st]);
	s->state = st;
}

/*
 * Replies out: straight to a plain socket when nothing waits before them
 * (one send(2), no write event armed then disarmed: libevent does both
 * for every reply otherwise), else, and for what the socket does not
 * take, behind what waits in the bufferevent's output.
 */
static void
session_out(struct smtp_session *s, const char *p, size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	size_t		 n = 0;

	if (s->plain && !s->freeing && evbuffer_get_length(out) == 0)
		n = send_now(bufferevent_getfd(s->bev), p, len);
	if (n < len)
		evbuffer_add(out, p + n, len - n);
}

/* The replies held while one read was handled leave, in one piece. */
static void
session_flush(struct smtp_session *s)
{
	if (s->npend > 0)
		session_out(s, s->pend, s->npend);
	s->npend = 0;
}

void
session_reply(struct smtp_session *s, const char *fmt, ...)
{
	char		 line[PEND_MAX];
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf");
	if ((size_t)n >= sizeof(line) - 2) {
		/* Longer than any reply made here: the slow way, in order. */
		session_flush(s);
		va_start(ap, fmt);
		evbuffer_add_vprintf(bufferevent_get_output(s->bev), fmt, ap);
		va_end(ap);
		evbuffer_add(bufferevent_get_output(s->bev), "\r\n", 2);
		return;
	}
	memcpy(line + n, "\r\n", 2);
	n += 2;
	if (!s->in_process) {
		session_out(s, line, (size_t)n);
		return;
	}
	/* session_process() sends them when this read is done. */
	if (s->npend + (size_t)n > sizeof(s->pend))
		session_flush(s);
	memcpy(s->pend + s->npend, line, (size_t)n);
	s->npend += (size_t)n;
}

void
session_update_read(struct smtp_session *s)
{
	bool	on;

	on = !(s->state == S_CLOSING || s->out_paused || s->eof ||
	    s->auth_wait);
	if (s->rx != NULL)
		/*
		 * Our own read path keeps the bufferevent's high watermark
		 * itself (smtp_session_rx.c).  It stays on while a commit is
		 * in flight: what the client pipelines after the end of data
		 * only waits in the input (session_process() reads no command
		 * in S_COMMIT), and turning reading off and on around every
		 * commit cost two epoll_ctl per message.
		 */
		session_rx_set(s, on && evbuffer_get_length(
		    bufferevent_get_input(s->bev)) < INPUT_MAX);
	else if (on && s->state != S_COMMIT)
		bufferevent_enable(s->bev, EV_READ);
	else
		bufferevent_disable(s->bev, EV_READ);
}

static void
tx_free(struct smtp_tx *tx)
{
	if (tx == NULL)
		return;
	/* A commit in flight goes on without us. */
	receive_release(tx->rtx);
	for (int i = 0; i < tx->n_rcpts; i++)
		free((char *)tx->dsn[i].orcpt);
	free(tx->dsn);
	strv_free(tx->rcpts, tx->n_rcpts);
	free(tx->envid);
	free(tx->sender);
	free(tx);
}

void
session_reset(struct smtp_session *s)
{
	tx_free(s->tx);
	s->tx = NULL;
	if (s->state != S_CLOSING && s->state != S_GREETED)
		session_enter_state(s, S_HELO);
}

static void
peer_text(struct smtp_session *s)
{
	/* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d. */
	s->ipv6 = addr_text((const struct sockaddr *)&s->peer, s->ip,
	    sizeof(s->ip), true) == AF_INET6;
}

struct smtp_session *
smtp_session_new(const struct smtp_session_env *env, struct config *cfg,
    const struct listener_conf *lc, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct smtp_session	*s;
	struct timeval		 tv;

	s = xcalloc(1, sizeof(*s));
	s->env = *env;
	s->base = env->base;
	if (salen > sizeof(s->peer))
		salen = sizeof(s->peer);
	memcpy(&s->peer, sa, salen);
	peer_text(s);
	/* The listener's context and users as they are now: a reload
	 * replaces the listener's, never ours. */
	if ((s->ssl_ctx = env->ssl_ctx) != NULL)
		SSL_CTX_up_ref(s->ssl_ctx);
	if ((s->users = env->users) != NULL)
		auth_users_ref(s->users);
	if (lc->tls == LTLS_IMPLICIT) {
		/* Never plaintext on an implicit-TLS listener. */
		if (s->ssl_ctx != NULL)
			s->bev = tls_server_socket(s->base, s->ssl_ctx, fd);
		s->handshaking = true;
	} else {
		s->bev = bufferevent_socket_new(s->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		s->plain = true;
	}
	s->ev_free = event_new(s->base, -1, 0, session_free_cb, s);
	if (s->bev == NULL || s->ev_free == NULL ||
	    (s->plain && session_rx_new(s, fd) == -1)) {
		log_warnx("smtp %s: cannot set up a session", s->ip);
		session_rx_free(s);
		if (s->bev != NULL)
			bufferevent_free(s->bev);
		else
			close(fd);
		if (s->ev_free != NULL)
			event_free(s->ev_free);
		SSL_CTX_free(s->ssl_ctx);
		auth_users_unref(s->users);
		free(s);
		return NULL;
	}
	s->cfg = config_ref(cfg);
	s->lc = lc;
	s->state = S_GREETED;
	/* The first command (and an implicit TLS handshake) is due within
	 * timeout of the connection. */
	s->deadline = deadline_new(s->base, session_deadline, s);
	deadline_start(s->deadline, lc->timeout);

	bufferevent_setcb(s->bev, session_read, session_write, session_event,
	    s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, INPUT_MAX);
	bufferevent_setwatermark(s->bev, EV_WRITE, OUTPUT_LOW, 0);
	tv.tv_sec = lc->timeout;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(s->bev, &tv, &tv);

	stats_inc(STAT_CONNECTIONS);
	log_debug("smtp %s: connect to listener %s", s->ip, lc->name);
	session_reply(s, "220 %s", lc->banner);
	/* A socket bufferevent starts with writing enabled and arms its
	 * write event only once output waits; enabling it again would arm
	 * it now, for a write event that finds nothing to write.  A plain
	 * one never reads: smtp_session_rx.c does. */
	if (s->plain)
		session_rx_set(s, true);
	else
		bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	return s;
}

void
smtp_session_free(struct smtp_session *s)
{
	log_debug("smtp %s: disconnect", s->ip);
	s->env.end(s->env.end_arg, s);
	tx_free(s->tx);
	/* libevent may free the bufferevents later: no callback to us. */
	if (s->drain_cb != NULL)
		evbuffer_remove_cb_entry(s->drain, s->drain_cb);
	session_rx_free(s);		/* before the socket closes */
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	event_free(s->ev_free);
	deadline_free(s->deadline);
	session_auth_free(s);
	free(s->helo);
	free(s->auth_user);
	free(s->tls_info);
	SSL_CTX_free(s->ssl_ctx);
	auth_users_unref(s->users);
	config_unref(s->cfg);
	free(s);
}

static void
session_free_cb(evutil_socket_t fd, short ev, void *arg)
{
	smtp_session_free(arg);
}

/* Free from the event loop, never inside the current callback chain. */
static void
session_schedule_free(struct smtp_session *s)
{
	if (s->freeing)
		return;
	s->freeing = true;
	deadline_stop(s->deadline);
	session_rx_set(s, false);
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	event_active(s->ev_free, EV_TIMEOUT, 1);
}

static void
session_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	if (evbuffer_get_length(buf) == 0)
		session_schedule_free(arg);
}

/*
 * A closing session's replies have left its bufferevent.  Under TLS they
 * may still wait, encrypted, in the socket bufferevent below, where the
 * close_notify goes too: free once that has drained, or the last reply
 * (221, 421) would be lost.
 */
static void
session_flushed(struct smtp_session *s)
{
	struct bufferevent	*under;
	struct evbuffer		*out;
	struct timeval		 tv;

	if (s->drain != NULL)
		return;			/* session_drained() will free */
	if (s->tls) {
		tls_server_shutdown(s->bev);
		under = bufferevent_get_underlying(s->bev);
		if (under != NULL && evbuffer_get_length(out =
		    bufferevent_get_output(under)) > 0) {
			s->drain = out;
			s->drain_cb = evbuffer_add_cb(out, session_drained, s);
			/* The socket below has no timeout of its own: a
			 * client that stops reading is dropped all the same. */
			tv.tv_sec = s->lc->timeout;
			tv.tv_usec = 0;
			event_add(s->ev_free, &tv);
			return;
		}
	}
	session_schedule_free(s);
}

void
session_close(struct smtp_session *s)
{
	struct timeval	tv;

	session_flush(s);
	session_reset(s);
	session_enter_state(s, S_CLOSING);
	session_update_read(s);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		session_flushed(s);
		return;
	}
	/*
	 * session_write() frees it once the output has drained.  When the
	 * client's end of a TLS connection closes, libevent stops writing
	 * as well as reading (conn_closed()), so replies queued before then
	 * would wait for ever: writing is asked for again, and either the
	 * replies leave or the write fails and the error event frees us.
	 * Whatever happens, a closing session ends within the timeout.
	 */
	bufferevent_enable(s->bev, EV_WRITE);
	if (!s->freeing && s->drain == NULL) {
		tv.tv_sec = s->lc->timeout;
		tv.tv_usec = 0;
		event_add(s->ev_free, &tv);
	}
}

void
smtp_session_shutdown(struct smtp_session *s)
{
	/* Only a session still in its handshake: nothing can be said to it,
	 * and a client that stalls there is not a session in progress.  The
	 * others may finish (behaviour.md: bounded by the shutdown grace). */
	if (s->freeing || s->state == S_CLOSING || !s->handshaking)
		return;
	log_info("smtp %s: shutdown: closed during the TLS handshake", s->ip);
	s->handshaking = false;
	session_reset(s);
	session_enter_state(s, S_CLOSING);
	session_schedule_free(s);
}

const char *
session_input(struct smtp_session *s, size_t max, size_t *n, size_t *avail)
{
	struct evbuffer	*in = bufferevent_get_input(s->bev);
	size_t		 len;

	if ((len = evbuffer_get_length(in)) == 0)
		return NULL;
	*n = len < max ? len : max;
	if (avail != NULL)
		*avail = len;
	return (const char *)evbuffer_pullup(in, *n);
}

const char *
session_input_piece(struct smtp_session *s, size_t max, size_t *n)
{
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	struct evbuffer_iovec	 v;

	if (evbuffer_get_length(in) == 0 ||
	    evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
		return NULL;
	*n = v.iov_len < max ? v.iov_len : max;
	return v.iov_base;
}

/*
 * One command line from the input.  Returns 1 when a line was handled,
 * 0 when more input is needed.  A line ends at LF; a CR before it is
 * dropped.  Like Postfix, a bare LF ends a command line too: only DATA must
 * be strict about line ends (smuggling), and clients that send bare LF in
 * commands are common.
 */
static int
session_line(struct smtp_session *s)
{
	struct evbuffer	*in = bufferevent_get_input(s->bev);
	size_t		 avail, n, len;
	const char	*p, *nl;

	if ((p = session_input(s, SMTP_LINE_MAX, &n, &avail)) == NULL)
		return 0;
	nl = memchr(p, '\n', n);
	if (s->discarding) {
		if (nl == NULL) {
			evbuffer_drain(in, n);
			return n == avail ? 0 : 1;
		}
		evbuffer_drain(in, nl - p + 1);
		s->discarding = false;
		return 1;
	}
	if (nl == NULL) {
		if (n < SMTP_LINE_MAX)
			return 0;
		/* 512 octets and no line end: RFC 5321 4.5.3.1.4. */
		session_reply(s, "500 5.5.2 Line too long");
		log_event("rejected", "client=%s listener=%s reason=line_too_long",
		    s->ip, s->lc->name);
		evbuffer_drain(in, n);
		s->discarding = true;
		deadline_start(s->deadline, s->lc->timeout);
		/* An overlong AUTH response ends the exchange. */
		session_auth_abort(s);
		return 1;
	}
	len = nl - p;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	/* The next line is due within timeout of this one's reply (DATA
	 * and a commit set their own). */
	deadline_start(s->deadline, s->lc->timeout);
	if (s->auth_step != AUTH_STEP_NONE)
		session_auth_response(s, p, len);
	else
		session_command(s, p, len);
	/* The command may not touch the input, so p..nl is still there. */
	evbuffer_drain(in, nl - p + 1);
	return 1;
}

/*
 * The 220 to STARTTLS is queued: put TLS under the session.  RFC 3207
 * 4.2: everything learnt before is forgotten, and what the client sent
 * after the STARTTLS line (already read, still plaintext) is dropped
 * unread, so it can never pass for a command sent under TLS.
 */
static void
session_starttls(struct smtp_session *s)
{
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	struct bufferevent	*bev;
	struct timeval		 tv;
	size_t			 junk;

	s->starttls = false;
	if ((junk = evbuffer_get_length(in)) > 0) {
		log_info("smtp %s: %zu octets sent after STARTTLS discarded",
		    s->ip, junk);
		evbuffer_drain(in, junk);
	}
	session_reset(s);
	free(s->helo);
	s->helo = NULL;
	s->esmtp = false;
	s->discarding = false;
	session_enter_state(s, S_GREETED);

	/* From here the TLS filter reads the socket, through the socket
	 * bufferevent's own reading; ours stops before a byte of TLS. */
	session_rx_free(s);
	/* The TLS bufferevent keeps the time; the socket one must not. */
	bufferevent_set_timeouts(s->bev, NULL, NULL);
	if ((bev = tls_server_filter(s->base, s->ssl_ctx, s->bev)) == NULL) {
		log_warnx("smtp %s: cannot start TLS", s->ip);
		session_close(s);
		return;
	}
	s->bev = bev;
	s->plain = false;
	s->handshaking = true;
	deadline_start(s->deadline, s->lc->timeout);
	bufferevent_setcb(bev, session_read, session_write, session_event, s);
	bufferevent_setwatermark(bev, EV_READ, 0, INPUT_MAX);
	bufferevent_setwatermark(bev, EV_WRITE, OUTPUT_LOW, 0);
	tv.tv_sec = s->lc->timeout;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void
session_process(struct smtp_session *s)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	int		 more = 1;

	if (s->in_process)
		return;
	s->in_process = true;
	while (more) {
		/* Nothing is read as a command before the session is in
		 * its TLS state: libevent may hand over the octets that
		 * came with the end of the handshake (a TLS 1.3 client's
		 * pipelined EHLO) before it reports the handshake done. */
		if (s->state == S_CLOSING || s->state == S_COMMIT ||
		    s->starttls || s->auth_wait || s->handshaking)
			break;
		if (evbuffer_get_length(out) > OUTPUT_MAX) {
			/* Not reading its replies: stop reading its input. */
			if (!s->out_paused)
				log_debug("smtp %s: client not reading replies, "
				    "input paused", s->ip);
			s->out_paused = true;
			break;
		}
		if (s->state == S_DATA)
			more = session_data_read(s);
		else if (s->in_bdat)
			more = session_bdat_read(s);
		else
			more = session_line(s);
	}
	s->in_process = false;
	session_flush(s);
	if (s->starttls && s->state != S_CLOSING) {
		session_starttls(s);
		return;
	}
	if (s->eof && s->state != S_COMMIT && s->state != S_CLOSING &&
	    !s->out_paused && !s->auth_wait && !s->handshaking) {
		/* Everything the client sent before closing is answered. */
		if (s->state == S_DATA || s->in_bdat)
			log_info("smtp %s: connection closed during %s",
			    s->ip, s->in_bdat ? "BDAT" : "DATA");
		session_close(s);
	}
	session_update_read(s);
}

static void
session_read(struct bufferevent *bev, void *arg)
{
	session_process(arg);
}

static void
session_write(struct bufferevent *bev, void *arg)
{
	struct smtp_session	*s = arg;
	size_t			 len;

	len = evbuffer_get_length(bufferevent_get_output(bev));
	if (s->state == S_CLOSING) {
		if (len == 0)
			session_flushed(s);
		return;
	}
	if (s->out_paused && len <= OUTPUT_LOW) {
		s->out_paused = false;
		session_process(s);
	}
}

/*
 * The client took longer than its deadline for a command line, a TLS
 * handshake or its message (deadline.h), however many octets it sent.
 */
static void
session_deadline(void *arg)
{
	struct smtp_session	*s = arg;

	if (s->freeing || s->state == S_CLOSING || s->state == S_COMMIT ||
	    s->auth_wait)
		return;		/* not waiting on the client */
	if (s->handshaking) {
		log_info("smtp %s: TLS handshake failed: timeout",
		    s->ip);
		s->handshaking = false;
		tls_server_abort(s->bev);
		session_reset(s);
		session_enter_state(s, S_CLOSING);
		session_schedule_free(s);
		return;
	}
	log_info("smtp %s: deadline exceeded in state %s", s->ip,
	    state_names[s->state]);
	log_event("rejected", "client=%s listener=%s reason=deadline state=%s",
	    s->ip, s->lc->name, state_names[s->state]);
	session_reply(s, "421 4.4.2 %s Error: timeout exceeded",
	    s->cfg->hostname);
	session_close(s);
}

static void
session_event(struct bufferevent *bev, short what, void *arg)
{
	session_conn_event(arg, what);
}

void
session_conn_event(struct smtp_session *s, short what)
{
	struct bufferevent	*bev = s->bev;
	char			 buf[512];

	if (what & BEV_EVENT_CONNECTED) {
		s->handshaking = false;
		s->tls = true;
		tls_server_describe(bev, buf, sizeof(buf));
		free(s->tls_info);
		s->tls_info = xstrdup(buf);
		log_info("smtp %s: TLS established: %s", s->ip, s->tls_info);
		/* Now what came with the end of the handshake. */
		session_process(s);
		return;
	}
	if (s->handshaking) {
		/* No reply can reach a client that cannot speak TLS. */
		if (what & BEV_EVENT_TIMEOUT)
			strlcpy_(buf, "timeout", sizeof(buf));
		else
			tls_server_error(bev, buf, sizeof(buf));
		log_info("smtp %s: TLS handshake failed: %s", s->ip, buf);
		s->handshaking = false;
		/* The alert OpenSSL queued tells the client why. */
		tls_server_abort(bev);
		session_reset(s);
		session_enter_state(s, S_CLOSING);
		session_schedule_free(s);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if ((what & BEV_EVENT_WRITING) || s->state == S_CLOSING) {
			/* It does not even read: drop it. */
			log_info("smtp %s: write timeout", s->ip);
			session_reset(s);
			session_schedule_free(s);
			return;
		}
		log_info("smtp %s: timeout in state %s", s->ip,
		    state_names[s->state]);
		session_reply(s, "421 4.4.2 %s Error: timeout exceeded",
		    s->cfg->hostname);
		session_close(s);
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_WRITING) &&
	    s->state != S_CLOSING) {
		/* Answer what it sent, then close (it may only have shut
		 * down its sending side, as nc does). */
		s->eof = true;
		session_process(s);
		return;
	}
	/* An error, or an end while writing or closing: the connection is
	 * gone and replies cannot leave. */
	log_debug("smtp %s: connection %s: %s", s->ip,
	    (what & BEV_EVENT_EOF) ? "closed" : "error",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	session_reset(s);
	session_enter_state(s, S_CLOSING);
	session_schedule_free(s);
}
