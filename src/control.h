/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control.h — the control socket: the daemon's side of smarthostctl.
 *
 * A unix stream socket (mode 0600) served from the event loop.  A client
 * sends one request line, "COMMAND [ARG...]" with an optional "--json"
 * word, at most CONTROL_REQUEST_MAX octets; the daemon answers "ok\n"
 * followed by the output, or one line "error TEXT\n", and closes.
 */
#ifndef SMARTHOSTD_CONTROL_H
#define SMARTHOSTD_CONTROL_H

#include <stddef.h>

#define CONTROL_REQUEST_MAX	512	/* octets, line end included */
#define CONTROL_ARGS_MAX	8	/* words besides --json */

struct event_base;
struct queue;
struct smtp_server;
struct control;

/* Reload the configuration as SIGHUP does: 0, or -1 with the reason. */
typedef int	(*control_reload_cb)(void *arg, char *err, size_t errlen);

/*
 * Create the socket at path (removing a stale one; refusing when another
 * daemon answers on it) and serve it.  NULL with a reason in err.
 */
struct control	*control_new(struct event_base *, const char *path,
		    struct queue *, struct smtp_server *, control_reload_cb,
		    void *arg, char *err, size_t errlen);
/* Close every client, the socket, and remove it. */
void		 control_free(struct control *);

#endif
