/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control.c — owns the control commands: the command table, what each
 * command that acts on the queue gathers and does, and the "ok"/"error"
 * framing of the answer.  The request's words are control_req.c's, what
 * `queues` and `stats` gather control_stats.c's, the text and JSON forms
 * control_format.c's; the
 * socket, its clients and their bounds are control_socket.c's, which
 * hands each request line to control_dispatch().
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "control.h"
#include "control_format.h"
#include "control_int.h"
#include "control_req.h"
#include "control_socket.h"
#include "envelope.h"
#include "log.h"
#include "queue.h"
#include "smtp_server.h"
#include "util.h"

struct ctl_cmd {
	const char	*name;
	int		 min_args, max_args;	/* besides the command */
	const char	*usage;
	int		(*run)(struct control *, const struct control_req *,
			    struct evbuffer *, char *, size_t);
};

/*
 * queue
 */

static void
listing_cb(void *arg, const struct envelope *env, bool busy)
{
	control_listing_add(arg, env, busy);
}

static int
cmd_queue(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	struct control_listing	l;

	(void)err;
	(void)errlen;
	control_listing_begin(&l, out, queue_config(ctl->queue), req->json);
	queue_walk(ctl->queue, listing_cb, &l);
	control_listing_end(&l);
	return 0;
}

/*
 * show ID, flush [ID], remove ID
 */

static int
cmd_show(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	const struct envelope	*env;
	char			 id[QUEUE_ID_MAX + 1];
	bool			 busy = false;

	if (control_id_arg(req->argv[1], id, sizeof(id), err, errlen) == -1)
		return -1;
	if ((env = queue_find(ctl->queue, id, &busy)) == NULL) {
		snprintf(err, errlen, "no such message: %s", id);
		return -1;
	}
	control_show(out, queue_config(ctl->queue), env, busy, req->json);
	return 0;
}

static int
cmd_flush(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	char	id[QUEUE_ID_MAX + 1];
	int	n = queue_length(ctl->queue);

	if (req->argc == 1) {
		queue_flush(ctl->queue, NULL);
		log_info("control: flush of %d queued message%s", n,
		    n == 1 ? "" : "s");
		if (req->json)
			evbuffer_add_printf(out, "{\"flushed\": %d}\n", n);
		else
			evbuffer_add_printf(out, "flushing %d message%s\n", n,
			    n == 1 ? "" : "s");
		return 0;
	}
	if (control_id_arg(req->argv[1], id, sizeof(id), err, errlen) == -1)
		return -1;
	if (queue_flush(ctl->queue, id) == -1) {
		snprintf(err, errlen, "no such message: %s", id);
		return -1;
	}
	log_info("control: flush of %s", id);
	if (req->json)
		evbuffer_add_printf(out, "{\"flushed\": 1, \"id\": \"%s\"}\n",
		    id);
	else
		evbuffer_add_printf(out, "flushing %s\n", id);
	return 0;
}

static int	select_run(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);

static int
cmd_remove(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	char	id[QUEUE_ID_MAX + 1];

	if (req->argc > 2 || req->argv[1][0] == '-')
		return select_run(ctl, req, out, err, errlen);
	if (control_id_arg(req->argv[1], id, sizeof(id), err, errlen) == -1)
		return -1;
	switch (queue_remove(ctl->queue, id)) {
	case 0:
		break;
	case -1:
		snprintf(err, errlen, "no such message: %s", id);
		return -1;
	case -2:
		snprintf(err, errlen, "message %s is being delivered right "
		    "now; try again in a moment", id);
		return -1;
	default:
		snprintf(err, errlen, "cannot remove %s from the spool (see "
		    "the log)", id);
		return -1;
	}
	if (req->json)
		evbuffer_add_printf(out, "{\"removed\": \"%s\"}\n", id);
	else
		evbuffer_add_printf(out, "removed %s\n", id);
	return 0;
}

/*
 * hold, release, remove with selectors; queues
 */

struct sel_walk {
	struct control		*ctl;
	const struct control_selector *sel;
	char			**ids;
	int			 n;
};

static void
sel_cb(void *arg, const struct envelope *env, bool busy)
{
	struct sel_walk *w = arg;

	(void)busy;
	if (!control_selected(queue_config(w->ctl->queue), w->sel, env))
		return;
	w->ids = xreallocarray(w->ids, w->n + 1, sizeof(*w->ids));
	w->ids[w->n++] = xstrdup(env->id);
}

/*
 * hold/release/remove over a selection: the ids are collected first (the
 * walk may not change the queue), then acted on one by one.
 */
static int
select_run(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	const char	*cmd = req->argv[0];
	bool		 rm = strcmp(cmd, "remove") == 0;
	bool		 hold = strcmp(cmd, "hold") == 0;
	const char	*done = rm ? "removed" : hold ? "held" : "released";
	struct control_selector sel;
	struct sel_walk	 w;
	int		 n_done = 0, n_busy = 0, n_fail = 0, r;

	if (control_select_parse(req, &sel, err, errlen) == -1)
		return -1;
	if (hold && sel.all) {
		snprintf(err, errlen, "hold takes an ID or a selector, not "
		    "--all");
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.ctl = ctl;
	w.sel = &sel;
	queue_walk(ctl->queue, sel_cb, &w);
	if (sel.id != NULL && w.n == 0) {
		snprintf(err, errlen, "no such message: %s", sel.id);
		return -1;
	}
	if (req->json)
		evbuffer_add_printf(out, "{\"%s\": [", done);
	for (int i = 0; i < w.n; i++) {
		r = rm ? queue_remove(ctl->queue, w.ids[i]) :
		    queue_hold(ctl->queue, w.ids[i], hold);
		if (r == -2)
			n_busy++;
		else if (r < 0)
			n_fail++;
		else {
			if (req->json) {
				put(out, n_done ? ", " : "");
				control_json_string(out, w.ids[i]);
			} else
				evbuffer_add_printf(out, "%s %s\n", done,
				    w.ids[i]);
			n_done++;
		}
		free(w.ids[i]);
	}
	free(w.ids);
	log_info("control: %s: %d message%s", cmd, n_done,
	    n_done == 1 ? "" : "s");
	if (req->json)
		evbuffer_add_printf(out, "], \"count\": %d, \"busy\": %d, "
		    "\"failed\": %d}\n", n_done, n_busy, n_fail);
	else {
		evbuffer_add_printf(out, "-- %d message%s %s", n_done,
		    n_done == 1 ? "" : "s", done);
		if (n_busy)
			evbuffer_add_printf(out, ", %d being delivered "
			    "(try again)", n_busy);
		if (n_fail)
			evbuffer_add_printf(out, ", %d failed (see the log)",
			    n_fail);
		put(out, "\n");
	}
	return 0;
}

static int
cmd_hold(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	return select_run(ctl, req, out, err, errlen);
}

static int
cmd_reload(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	log_info("control: reload requested");
	if (ctl->reload(ctl->reload_arg, err, errlen) == -1)
		return -1;
	if (req->json)
		evbuffer_add_printf(out, "{\"reloaded\": true}\n");
	else
		evbuffer_add_printf(out, "configuration reloaded\n");
	return 0;
}

static const struct ctl_cmd commands[] = {
	{ "queue",	0, 0, "queue",		cmd_queue },
	{ "show",	1, 1, "show ID",	cmd_show },
	{ "flush",	0, 1, "flush [ID]",	cmd_flush },
	{ "remove",	1, 7, "remove ID | --queue Q | --sender A | "
	    "--recipient A | --all", cmd_remove },
	{ "hold",	1, 7, "hold ID | --queue Q | --sender A | --recipient A",
	    cmd_hold },
	{ "release",	1, 7, "release ID | --queue Q | --sender A | "
	    "--recipient A | --all", cmd_hold },
	{ "queues",	0, 0, "queues",		control_cmd_queues },
	{ "reload",	0, 0, "reload",		cmd_reload },
	{ "stats",	0, 0, "stats",		control_cmd_stats },
};

/* Run one request; the response goes to out. */
static void
control_dispatch(void *arg, const char *line, size_t len,
    struct evbuffer *out)
{
	struct control		*ctl = arg;
	struct control_req	 req;
	const struct ctl_cmd	*cmd = NULL;
	struct evbuffer		*body = evbuffer_new();
	char			 err[1024];
	size_t			 i;
	int			 rc = -1;

	err[0] = '\0';
	if (body == NULL) {
		evbuffer_add_printf(out, "error out of memory\n");
		return;
	}
	if (control_parse(line, len, &req, err, sizeof(err)) == -1)
		goto done;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(req.argv[0], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		snprintf(err, sizeof(err), "unknown command \"%s\" (commands: "
		    "queue, show ID, flush [ID], remove ID, reload, stats)",
		    req.argv[0]);
		goto done;
	}
	if (req.argc - 1 < cmd->min_args || req.argc - 1 > cmd->max_args) {
		snprintf(err, sizeof(err), "usage: %s", cmd->usage);
		goto done;
	}
	log_debug("control: %s", cmd->name);
	rc = cmd->run(ctl, &req, body, err, sizeof(err));
done:
	if (rc == 0) {
		put(out, "ok\n");
		evbuffer_add_buffer(out, body);
	} else {
		/* One line: the reason must not forge more of the reply. */
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20)
				err[i] = ' ';
		evbuffer_add_printf(out, "error %s\n",
		    err[0] ? err : "failed");
	}
	evbuffer_free(body);
}

struct control *
control_new(struct event_base *base, const char *path, struct queue *queue,
    struct smtp_server *server, control_reload_cb reload, void *arg,
    char *err, size_t errlen)
{
	struct control	*ctl;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->queue = queue;
	ctl->server = server;
	ctl->reload = reload;
	ctl->reload_arg = arg;
	if ((ctl->sock = control_socket_new(base, path, control_dispatch, ctl,
	    err, errlen)) == NULL) {
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	control_socket_free(ctl->sock);
	free(ctl);
}
