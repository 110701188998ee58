/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * proxy_off.c — the PROXY protocol left out (./configure --disable-proxy,
 * or --enable-small without --enable-proxy): in place of proxy_proto.c
 * and proxy_wait.c.  config_listener.c refuses `proxy_protocol = true` at
 * its file:line, so no listener ever waits for a header and the list of
 * waiting connections stays empty.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <unistd.h>

#include "proxy_wait.h"

void
proxy_waits_init(struct proxy_waits *w)
{
	TAILQ_INIT(&w->head);
	w->n = 0;
}

void
proxy_wait_start(struct proxy_waits *w, struct event_base *base, int fd,
    const struct sockaddr *peer, socklen_t peerlen, long timeout,
    const char *name, proxy_done_cb done, void *arg)
{
	/* Unreachable: no listener can have proxy_protocol set. */
	close(fd);
}

void
proxy_waits_cancel(struct proxy_waits *w)
{
}
