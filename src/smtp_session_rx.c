/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_session_rx.c — the receiving session's own read path on a
 * plaintext connection.
 *
 * libevent's socket bufferevent reads with evbuffer_read(): an
 * ioctl(FIONREAD) and a readv(2) of at most 4,096 octets for every read,
 * 20 system calls for a 4 KiB message and 68 for a 100 KiB one (#18).
 * On a plain connection the session reads for itself instead: a read
 * event of its own on the socket and one read(2) per readiness, straight
 * into space reserved at the end of the bufferevent's input, where every
 * reader of the input (session_input()) finds it as before.  The
 * bufferevent still writes (with its write timeout); its reading is never
 * enabled.  What its read side did is done here the same way: at most
 * INPUT_MAX octets buffered (reading stops there and resumes once the
 * session has taken some: session_update_read()), the read timeout, and
 * the end of file or an error handed to the session's event handler as
 * the bufferevent would have.  Unlike the bufferevent's, reading stays
 * on while a message's commit is in flight (session_update_read()).
 *
 * STARTTLS ends this path for good before the TLS filter takes the
 * socket (session_rx_free()): what was read ahead of the switch is still
 * plaintext, in the input, where session_starttls() drops it, and nothing
 * is read here after that.  TLS connections never use it.
 */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "smtp_session_int.h"

/*
 * At most this much is asked of one read(2).  libevent adds its chain
 * header to the space asked for and rounds the allocation up to a power
 * of two, so asking a little less than 8 KiB gets one 8 KiB chain, all
 * of whose free space is read into: the size of the chains that
 * evbuffer_read() made for the body before.  16 KiB chains cut the reads
 * of a 100 KiB message from 18 to 12 but grew the daemon's peak heap by
 * 170 KiB under 20 sessions of 100 KiB messages (doc/decisions.md, "One
 * read per readiness").
 */
#define RX_ASK		(8 * 1024 - 256)

static void	rx_ready(evutil_socket_t, short, void *);

int
session_rx_new(struct smtp_session *s, int fd)
{
	s->rx = event_new(s->base, fd, EV_READ | EV_PERSIST, rx_ready, s);
	return s->rx == NULL ? -1 : 0;
}

void
session_rx_free(struct smtp_session *s)
{
	if (s->rx == NULL)
		return;
	event_free(s->rx);
	s->rx = NULL;
}

/*
 * Reading on or off.  On re-arms the read timeout every time, as
 * bufferevent_enable() does: the client has the whole timeout from the
 * moment the session is ready for it again.
 */
void
session_rx_set(struct smtp_session *s, bool on)
{
	struct timeval	tv;

	if (s->rx == NULL)
		return;
	if (!on) {
		event_del(s->rx);
		return;
	}
	tv.tv_sec = s->lc->timeout;
	tv.tv_usec = 0;
	if (event_add(s->rx, &tv) == -1)
		log_warnx("smtp %s: cannot watch the socket for input", s->ip);
}

/* Reading stops and the session hears of it as from the bufferevent. */
static void
rx_event(struct smtp_session *s, short what, int err)
{
	session_rx_set(s, false);
	errno = err;
	session_conn_event(s, BEV_EVENT_READING | what);
}

static void
rx_ready(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session	*s = arg;
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	struct evbuffer_iovec	 v;
	size_t			 len, room;
	ssize_t			 n;
	int			 err;

	if (what & EV_TIMEOUT) {
		/* Reading stays on while a commit is in flight; then the
		 * session waits on us, not on the client (the event is
		 * persistent: the timeout starts again). */
		if (s->state != S_COMMIT)
			rx_event(s, BEV_EVENT_TIMEOUT, 0);
		return;
	}
	if ((len = evbuffer_get_length(in)) >= INPUT_MAX) {
		/* The session resumes reading once it has taken some. */
		session_rx_set(s, false);
		return;
	}
	room = INPUT_MAX - len;
	/* A socket bufferevent keeps the end of its input frozen but while
	 * it reads into it itself: so do we. */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, (ev_ssize_t)(room < RX_ASK ? room :
	    RX_ASK), &v, 1) != 1) {
		evbuffer_freeze(in, 0);
		rx_event(s, BEV_EVENT_ERROR, ENOMEM);
		return;
	}
	if (v.iov_len > room)
		v.iov_len = room;
	do
		n = read(fd, v.iov_base, v.iov_len);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		v.iov_len = (size_t)n;
		if (evbuffer_commit_space(in, &v, 1) == -1)
			fatalx("evbuffer_commit_space");
		evbuffer_freeze(in, 0);
		session_process(s);
		return;
	}
	err = errno;
	evbuffer_freeze(in, 0);
	/* Nothing is committed: the space reserved stays unused. */
	if (n == -1 && (err == EAGAIN || err == EWOULDBLOCK))
		return;
	rx_event(s, n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR, n == 0 ? 0 : err);
}
