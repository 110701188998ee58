/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * proxy_wait.c — owns connections between accept() and their PROXY header
 * (see proxy_wait.h).  The header is looked at with MSG_PEEK and then only
 * its own bytes are taken from the socket, so whatever the client sent
 * behind it (a TLS ClientHello on an implicit-TLS listener) stays for the
 * session.  Bytes that are certainly part of an unfinished header are
 * taken at once, so a level-triggered read event never spins.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "proxy_proto.h"
#include "proxy_wait.h"
#include "util.h"

struct proxy_wait {
	TAILQ_ENTRY(proxy_wait)	 entry;
	struct proxy_waits	*list;
	struct event		*ev;
	int			 fd;
	char			 ip[64];	/* the proxy's own address */
	char			*name;		/* the listener's */
	unsigned char		 buf[PROXY_V2_MAX];
	size_t			 have;		/* header bytes taken so far */
	proxy_done_cb		 done;
	void			*arg;
};

void
proxy_waits_init(struct proxy_waits *w)
{
	TAILQ_INIT(&w->head);
	w->n = 0;
}

static void
wait_free(struct proxy_wait *pw, int close_fd)
{
	TAILQ_REMOVE(&pw->list->head, pw, entry);
	pw->list->n--;
	event_free(pw->ev);
	if (close_fd)
		close(pw->fd);
	free(pw->name);
	free(pw);
}

static void
wait_fail(struct proxy_wait *pw, const char *reason, const char *detail)
{
	log_event("rejected", "listener=%s proxy=%s reason=%s", pw->name,
	    pw->ip, reason);
	if (detail != NULL)
		log_debug("listener %s: PROXY header from %s: %s", pw->name,
		    pw->ip, detail);
	wait_free(pw, 1);
}

static void
wait_read(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_wait	*pw = arg;
	struct proxy_hdr	 h;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen = sizeof(peer);
	const struct sockaddr	*client;
	socklen_t		 clientlen;
	const char		*err;
	size_t			 used;
	ssize_t			 n;
	proxy_done_cb		 done;
	void			*cbarg;

	if (what & EV_TIMEOUT) {
		wait_fail(pw, "proxy_header_timeout", NULL);
		return;
	}
	/* Look at what is there, behind the header bytes already taken. */
	n = recv(fd, pw->buf + pw->have, sizeof(pw->buf) - pw->have, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		wait_fail(pw, "proxy_header_missing",
		    n == 0 ? "closed" : strerror(errno));
		return;
	}
	switch (proxy_parse(pw->buf, pw->have + (size_t)n, &h, &used, &err)) {
	case PROXY_ERROR:
		wait_fail(pw, "bad_proxy_header", err);
		return;
	case PROXY_MORE:
		used = pw->have + (size_t)n;	/* all of it is header */
		break;
	case PROXY_DONE:
		break;
	}
	/* Take exactly the header's bytes; a short take is tried again. */
	n = recv(fd, pw->buf + pw->have, used - pw->have, 0);
	if (n <= 0) {
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		wait_fail(pw, "proxy_header_missing", "read failed");
		return;
	}
	pw->have += (size_t)n;
	if (pw->have < used ||
	    proxy_parse(pw->buf, pw->have, &h, &used, &err) != PROXY_DONE)
		return;

	if (h.local) {
		if (getpeername(fd, (struct sockaddr *)&peer, &peerlen) == -1) {
			wait_fail(pw, "proxy_header_missing", "getpeername");
			return;
		}
		client = (struct sockaddr *)&peer;
		clientlen = peerlen;
	} else {
		client = (struct sockaddr *)&h.src;
		clientlen = h.srclen;
	}
	done = pw->done;
	cbarg = pw->arg;
	wait_free(pw, 0);
	done(fd, client, clientlen, cbarg);
}

void
proxy_wait_start(struct proxy_waits *list, struct event_base *base, int fd,
    const struct sockaddr *peer, socklen_t peerlen, long timeout,
    const char *name, proxy_done_cb done, void *arg)
{
	struct proxy_wait	*pw;
	struct timeval		 tv;

	pw = xcalloc(1, sizeof(*pw));
	pw->list = list;
	pw->fd = fd;
	pw->name = xstrdup(name);
	pw->done = done;
	pw->arg = arg;
	(void)peerlen;
	/* The proxy's address for the log (never a mapped IPv4 in practice). */
	addr_text(peer, pw->ip, sizeof(pw->ip), false);
	TAILQ_INSERT_TAIL(&list->head, pw, entry);
	list->n++;
	evutil_make_socket_nonblocking(fd);
	pw->ev = event_new(base, fd, EV_READ | EV_PERSIST, wait_read, pw);
	if (pw->ev == NULL) {
		log_warnx("listener %s: cannot wait for a PROXY header", name);
		TAILQ_REMOVE(&list->head, pw, entry);
		list->n--;
		close(fd);
		free(pw->name);
		free(pw);
		return;
	}
	tv.tv_sec = timeout;
	tv.tv_usec = 0;
	event_add(pw->ev, &tv);
}

void
proxy_waits_cancel(struct proxy_waits *list)
{
	struct proxy_wait *pw;

	while ((pw = TAILQ_FIRST(&list->head)) != NULL)
		wait_free(pw, 1);
}
