/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * proxy_wait.h — before a session exists on a `proxy_protocol` listener:
 * read the PROXY header (and nothing after it) from a fresh connection,
 * with a bounded wait, then hand the socket on with the client's address.
 */
#ifndef SMARTHOSTD_PROXY_WAIT_H
#define SMARTHOSTD_PROXY_WAIT_H

#include <sys/queue.h>
#include <sys/socket.h>

struct event_base;
struct proxy_wait;

/* A listener's connections still waiting for their header. */
struct proxy_waits {
	TAILQ_HEAD(, proxy_wait) head;
	int			 n;
};

/*
 * The header arrived: `client` is the address it names (or the peer's own
 * for a LOCAL/UNKNOWN header), and the socket holds only what followed it.
 */
typedef void (*proxy_done_cb)(int fd, const struct sockaddr *client,
		    socklen_t clientlen, void *arg);

void	proxy_waits_init(struct proxy_waits *);

/*
 * Wait at most timeout seconds for the header on fd.  On success done()
 * is called once and owns fd; on a bad or missing header the connection is
 * closed without a word and logged as rejected (listener `name`).
 */
void	proxy_wait_start(struct proxy_waits *, struct event_base *, int fd,
	    const struct sockaddr *peer, socklen_t peerlen, long timeout,
	    const char *name, proxy_done_cb done, void *arg);

/* Close every waiting connection (listener closed, or shutdown). */
void	proxy_waits_cancel(struct proxy_waits *);

#endif
