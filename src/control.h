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

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_REQUEST_MAX	512	/* octets, line end included */
#define CONTROL_ARGS_MAX	8	/* words besides --json */

struct event_base;
struct evbuffer;
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

/* One parsed request line. */
struct control_req {
	char	 buf[CONTROL_REQUEST_MAX];
	char	*argv[CONTROL_ARGS_MAX];	/* argv[0] is the command */
	int	 argc;
	bool	 json;
};

/* Parse a request line (without its line end).  Pure.  Returns 0, or -1
 * with a reason in err (empty, too long, too many words, bad bytes). */
int		 control_parse(const char *line, size_t len,
		    struct control_req *, char *err, size_t errlen);

/* Append s as a JSON string (quoted, escaped; invalid UTF-8 becomes
 * U+FFFD), or null when s is NULL. */
void		 control_json_string(struct evbuffer *, const char *s);

#endif
