/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_req.c — owns what a control request says (control_req.h): the
 * request line split into words, queue id arguments, and the selectors
 * of hold, release and remove with the test of an envelope against them.
 * Pure: no I/O, no globals; the commands that act on it are control.c's.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "control_req.h"
#include "envelope.h"
#include "rewrite.h"
#include "route.h"

/* Routing needs a listener name; a damaged envelope may lack one. */
#define ENV_LISTENER(e)		((e)->listener ? (e)->listener : "")

int
control_parse(const char *line, size_t len, struct control_req *req,
    char *err, size_t errlen)
{
	char	*p, *word;

	memset(req, 0, sizeof(*req));
	if (len >= sizeof(req->buf)) {
		snprintf(err, errlen, "request too long");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)line[i];

		/* Commands and ids are ASCII; anything else is noise. */
		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			snprintf(err, errlen, "invalid character in request");
			return -1;
		}
	}
	memcpy(req->buf, line, len);
	req->buf[len] = '\0';
	p = req->buf;
	while ((word = strsep(&p, " \t")) != NULL) {
		if (*word == '\0')
			continue;
		if (strcmp(word, "--json") == 0) {
			req->json = true;
			continue;
		}
		if (req->argc == CONTROL_ARGS_MAX) {
			snprintf(err, errlen, "too many arguments");
			return -1;
		}
		req->argv[req->argc++] = word;
	}
	if (req->argc == 0) {
		snprintf(err, errlen, "empty request");
		return -1;
	}
	return 0;
}

int
control_id_arg(const char *arg, char *buf, size_t size, char *err, size_t errlen)
{
	size_t	i;

	for (i = 0; arg[i] != '\0' && i + 1 < size; i++)
		buf[i] = (arg[i] >= 'a' && arg[i] <= 'f') ? arg[i] - 32 :
		    arg[i];
	buf[i] = '\0';
	if (arg[i] != '\0' || !envelope_id_valid(buf)) {
		snprintf(err, errlen, "invalid queue id \"%.*s\"",
		    QUEUE_ID_MAX + 1, arg);
		return -1;
	}
	return 0;
}


int
control_select_parse(const struct control_req *req,
    struct control_selector *sel, char *err, size_t errlen)
{
	memset(sel, 0, sizeof(*sel));
	for (int i = 1; i < req->argc; i++) {
		const char	*a = req->argv[i];
		const char	**slot = NULL;

		if (strcmp(a, "--all") == 0) {
			sel->all = true;
			continue;
		}
		if (strcmp(a, "--queue") == 0)
			slot = &sel->queue;
		else if (strcmp(a, "--sender") == 0)
			slot = &sel->sender;
		else if (strcmp(a, "--recipient") == 0)
			slot = &sel->rcpt;
		if (slot != NULL) {
			if (i + 1 == req->argc || *slot != NULL) {
				snprintf(err, errlen, "%s needs one value", a);
				return -1;
			}
			*slot = req->argv[++i];
			continue;
		}
		if (a[0] == '-' || sel->id != NULL) {
			snprintf(err, errlen, "unknown selector \"%.40s\" "
			    "(expected ID, --queue, --sender, --recipient or "
			    "--all)", a);
			return -1;
		}
		if (control_id_arg(a, sel->idbuf, sizeof(sel->idbuf), err,
		    errlen) == -1)
			return -1;
		sel->id = sel->idbuf;
	}
	if (sel->all && (sel->id || sel->queue || sel->sender || sel->rcpt)) {
		snprintf(err, errlen, "--all takes no other selector");
		return -1;
	}
	if (!sel->all && !sel->id && !sel->queue && !sel->sender &&
	    !sel->rcpt) {
		snprintf(err, errlen, "no message selected (give an ID or a "
		    "selector)");
		return -1;
	}
	return 0;
}

/* "<>" selects the null sender; otherwise patterns as in `rewrite`. */
static bool
addr_selected(const char *pat, const char *addr, const char *hostname)
{
	if (strcmp(pat, "<>") == 0)
		return addr[0] == '\0';
	return addr[0] != '\0' && rewrite_match(pat, addr, hostname);
}

bool
control_selected(const struct config *cfg,
    const struct control_selector *sel, const struct envelope *env)
{
	bool		 q_ok = sel->queue == NULL, r_ok = sel->rcpt == NULL;

	if (sel->all)
		return true;
	if (sel->id != NULL && strcmp(sel->id, env->id) != 0)
		return false;
	if (sel->sender != NULL &&
	    !addr_selected(sel->sender, env->sender, cfg->hostname))
		return false;
	for (int i = 0; i < env->n_rcpts && (!q_ok || !r_ok); i++) {
		const struct env_rcpt	*er = &env->rcpts[i];
		struct route		 r;

		if (er->state != RCPT_PENDING)
			continue;
		if (!r_ok && addr_selected(sel->rcpt, er->addr, cfg->hostname))
			r_ok = true;
		if (!q_ok && route_resolve(cfg, ENV_LISTENER(env), env->sender,
		    er->addr, &r) == 0 && strcasecmp(r.queue, sel->queue) == 0)
			q_ok = true;
	}
	return q_ok && r_ok;
}

