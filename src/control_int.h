/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_int.h — what the control commands' two files share: the
 * control object and the reporting commands that control_stats.c runs
 * for control.c's command table.  Nothing else includes it.
 */
#ifndef SMARTHOSTD_CONTROL_INT_H
#define SMARTHOSTD_CONTROL_INT_H

#include <stddef.h>
#include <string.h>

#include <event2/buffer.h>

#include "control.h"

struct control_req;
struct control_socket;
struct queue;
struct smtp_server;

struct control {
	struct control_socket	*sock;		/* the socket and its clients */
	struct queue		*queue;
	struct smtp_server	*server;
	control_reload_cb	 reload;
	void			*reload_arg;
};

static inline void
put(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, s, strlen(s));
}

/* queues: one line per scheduled queue, largest first (qshape). */
int	control_cmd_queues(struct control *, const struct control_req *,
	    struct evbuffer *, char *, size_t);
/* stats: the counters, the queue, the sessions and per-name numbers. */
int	control_cmd_stats(struct control *, const struct control_req *,
	    struct evbuffer *, char *, size_t);

#endif
