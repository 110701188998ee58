/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_socket.h — the control socket's plumbing, apart from the
 * commands (control.c): a unix socket created 0600, bounded clients, one
 * request line each, handed to a dispatch function that writes the whole
 * response.
 */
#ifndef SMARTHOSTD_CONTROL_SOCKET_H
#define SMARTHOSTD_CONTROL_SOCKET_H

#include <stddef.h>

struct event_base;
struct evbuffer;
struct control_socket;

/* One request line (without its line end); the response goes to out. */
typedef void (*control_dispatch_cb)(void *arg, const char *line,
		    size_t len, struct evbuffer *out);

/* Listen on path (a stale socket is replaced, a live one refused).  NULL
 * with the reason in err. */
struct control_socket *control_socket_new(struct event_base *,
		    const char *path, control_dispatch_cb, void *arg,
		    char *err, size_t errlen);
/* Close every client and the socket, and remove it. */
void		 control_socket_free(struct control_socket *);

#endif
