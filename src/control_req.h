/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_req.h — a control request's words (the protocol is control.h's):
 * the line parsed, a queue id argument checked, and the selectors of hold,
 * release and remove.  Pure.
 */
#ifndef SMARTHOSTD_CONTROL_REQ_H
#define SMARTHOSTD_CONTROL_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "envelope.h"

struct config;

/* One parsed request line. */
struct control_req {
	char	 buf[CONTROL_REQUEST_MAX];
	char	*argv[CONTROL_ARGS_MAX];	/* argv[0] is the command */
	int	 argc;
	bool	 json;
};

/* Parse a request line (without its line end).  Returns 0, or -1 with a
 * reason in err (empty, too long, too many words, bad bytes). */
int	control_parse(const char *line, size_t len, struct control_req *,
	    char *err, size_t errlen);

/* Check a queue id argument (ids name files) and upper-case it into buf.
 * Returns 0, or -1 with a reason in err. */
int	control_id_arg(const char *arg, char *buf, size_t size, char *err,
	    size_t errlen);

/* Which messages a command acts on: an id, or --queue, --sender,
 * --recipient (all given must match), or --all. */
struct control_selector {
	const char	*id;		/* upper-cased copy in idbuf */
	char		 idbuf[QUEUE_ID_MAX + 1];
	const char	*queue, *sender, *rcpt;
	bool		 all;
};

/* The selector in req->argv[1..]: 0, or -1 with a reason in err. */
int	control_select_parse(const struct control_req *,
	    struct control_selector *, char *err, size_t errlen);
/* Does env match?  Queues are those of its pending recipients routed by
 * cfg; sender and recipient patterns as in `rewrite` ("<>": null sender). */
bool	control_selected(const struct config *cfg,
	    const struct control_selector *, const struct envelope *env);

#endif
