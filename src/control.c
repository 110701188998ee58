/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control.c — owns the control commands: the command table, what each
 * command gathers from the queue, the server and the counters, and the
 * "ok"/"error" framing of the answer.  The request's words are
 * control_req.c's, the text and JSON forms control_format.c's; the
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

#include "config.h"
#include "control.h"
#include "control_format.h"
#include "control_req.h"
#include "control_socket.h"
#include "envelope.h"
#include "log.h"
#include "qindex.h"
#include "queue.h"
#include "route.h"
#include "smtp_server.h"
#include "stats.h"
#include "util.h"

/* Routing needs a listener name; a damaged envelope may lack one. */
#define ENV_LISTENER(e)		((e)->listener ? (e)->listener : "")

struct control {
	struct control_socket	*sock;		/* the socket and its clients */
	struct queue		*queue;
	struct smtp_server	*server;
	control_reload_cb	 reload;
	void			*reload_arg;
};

struct ctl_cmd {
	const char	*name;
	int		 min_args, max_args;	/* besides the command */
	const char	*usage;
	int		(*run)(struct control *, const struct control_req *,
			    struct evbuffer *, char *, size_t);
};

static void
put(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, s, strlen(s));
}

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

/*
 * Find the entry named name in the array v of *n elements of size sz,
 * each starting with its char *name, appending it zeroed when missing.
 * Returns the array (moved when it grew) and the entry's index in *idx.
 */
static void *
named_get(void *v, int *n, size_t sz, const char *name, int *idx)
{
	char	*a = v, *name_copy;

	for (*idx = 0; *idx < *n; (*idx)++) {
		memcpy(&name_copy, a + (size_t)*idx * sz, sizeof(name_copy));
		if (strcmp(name_copy, name) == 0)
			return v;
	}
	a = xreallocarray(a, (size_t)*n + 1, sz);
	memset(a + (size_t)*n * sz, 0, sz);
	name_copy = xstrdup(name);
	memcpy(a + (size_t)*n * sz, &name_copy, sizeof(name_copy));
	(*n)++;
	return a;
}

/* queues: one line per scheduled queue, largest first (qshape). */
struct qs_walk {
	struct control		*ctl;
	struct control_qstat	*qs;
	int			 n, cap;
	struct qindex		*byname;	/* queue name -> index + 1 */
};

/*
 * The entry of a scheduled queue, made if needed.  By a hash of the
 * names rather than a scan of qs: after an outage 50,000 messages may
 * wait for as many domains, and a scan per recipient made this command
 * quadratic, with the event loop (mail reception included) stopped
 * meanwhile.
 */
static int
qs_index(struct qs_walk *w, const char *name)
{
	void	*v = qindex_get(w->byname, name);

	if (v != NULL)
		return (int)((intptr_t)v - 1);
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->qs = xreallocarray(w->qs, w->cap, sizeof(*w->qs));
	}
	memset(&w->qs[w->n], 0, sizeof(*w->qs));
	w->qs[w->n].name = xstrdup(name);
	/* The key is the entry's own copy, which does not move. */
	qindex_put(w->byname, w->qs[w->n].name, (void *)(intptr_t)(w->n + 1));
	return w->n++;
}

static void
qs_cb(void *arg, const struct envelope *env, bool busy)
{
	struct qs_walk	*w = arg;
	struct config	*cfg = queue_config(w->ctl->queue);
	int		*seen = xcalloc(env->n_rcpts + 1, sizeof(*seen));
	int		 n_seen = 0;

	for (int i = 0; i < env->n_rcpts; i++) {
		struct route		 r;
		struct control_qstat	*q;
		int			 j, idx;

		if (env->rcpts[i].state != RCPT_PENDING ||
		    route_resolve(cfg, ENV_LISTENER(env), env->sender,
		    env->rcpts[i].addr, &r) == -1)
			continue;
		/* Indices, not pointers: qs moves when it grows. */
		idx = qs_index(w, r.queue);
		q = &w->qs[idx];
		q->rcpts++;
		for (j = 0; j < n_seen; j++)
			if (seen[j] == idx)
				break;
		if (j < n_seen)
			continue;
		seen[n_seen++] = idx;
		q->msgs++;
		q->held += env->held;
		if (q->oldest == 0 || env->created < q->oldest)
			q->oldest = env->created;
		if (busy)
			q->running = true;
		else if (!env->held && (q->next == 0 ||
		    env->next_attempt < q->next))
			q->next = env->next_attempt ? env->next_attempt : 1;
	}
	free(seen);
}

static int
qstat_cmp(const void *a, const void *b)
{
	const struct control_qstat *x = a, *y = b;

	if (x->msgs != y->msgs)
		return y->msgs - x->msgs;
	return strcmp(x->name, y->name);
}

static int
cmd_queues(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	struct qs_walk	 w;

	(void)err;
	(void)errlen;
	memset(&w, 0, sizeof(w));
	w.ctl = ctl;
	w.byname = qindex_new();
	queue_walk(ctl->queue, qs_cb, &w);
	qindex_free(w.byname);
	if (w.n > 0)
		qsort(w.qs, w.n, sizeof(*w.qs), qstat_cmp);
	control_queues(out, w.qs, w.n, now(), req->json);
	for (int i = 0; i < w.n; i++)
		free(w.qs[i].name);
	free(w.qs);
	return 0;
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

/* Per listener and per relayer: the numbers the metrics page shows
 * (listener: received, current; relayer: delivered, deferred, bounced,
 * expired). */
struct by_names {
	struct control_counters	*e;
	int			 n;
};

static struct control_counters *
by_name_get(struct by_names *b, const char *name)
{
	int	i;

	b->e = named_get(b->e, &b->n, sizeof(*b->e), name, &i);
	return &b->e[i];
}

static void
by_names_put(struct evbuffer *out, bool json, const char *what,
    struct by_names *b, const char *const *keys, int nkeys)
{
	control_counters(out, json, what, b->e, b->n, keys, nkeys);
	for (int i = 0; i < b->n; i++)
		free(b->e[i].name);
	free(b->e);
}

static void
received_cb(void *arg, const char *name, const char *result, uint64_t v)
{
	(void)result;
	by_name_get(arg, name)->v[0] = v;
}

static void
current_cb(void *arg, const char *name, int n)
{
	by_name_get(arg, name)->v[1] = (uint64_t)n;
}

static void
deliveries_cb(void *arg, const char *name, const char *result, uint64_t v)
{
	for (int i = 0; i < STATS_RESULTS; i++)
		if (strcmp(result, stats_results[i]) == 0)
			by_name_get(arg, name)->v[i] = v;
}

static void
stats_by_name(struct control *ctl, bool json, struct evbuffer *out)
{
	static const char *const lkeys[] = { "received",
	    "connections_current" };
	struct config	*cfg = queue_config(ctl->queue);
	struct by_names	 l = { NULL, 0 }, r = { NULL, 0 };

	for (int i = 0; i < cfg->n_listeners; i++)
		by_name_get(&l, cfg->listeners[i].name);
	stats_walk(SF_RECEIVED, received_cb, &l);
	smtp_server_listeners(ctl->server, current_cb, &l);
	by_names_put(out, json, "listener", &l, lkeys, 2);
	for (int i = 0; i < cfg->n_relayers; i++)
		by_name_get(&r, cfg->relayers[i].name);
	stats_walk(SF_DELIVERIES, deliveries_cb, &r);
	by_names_put(out, json, "relayer", &r, stats_results, STATS_RESULTS);
}

static int
cmd_stats(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	const char	*fmt = req->json ? "%s\"%s\": %" PRIu64 :
			    "%s%s: %" PRIu64 "\n";
	const char	*sep = req->json ? ", " : "";
	long		 up = (long)(now() - stats_started());

	if (req->json)
		put(out, "{");
	for (int c = 0; c < STAT_MAX; c++)
		evbuffer_add_printf(out, fmt, c ? sep : "", stats_name(c),
		    stats_get(c));
	evbuffer_add_printf(out, fmt, sep, "queue_length",
	    (uint64_t)queue_length(ctl->queue));
	evbuffer_add_printf(out, fmt, sep, "connections_current",
	    (uint64_t)smtp_server_sessions(ctl->server));
	evbuffer_add_printf(out, fmt, sep, "uptime", (uint64_t)(up < 0 ? 0 :
	    up));
	stats_by_name(ctl, req->json, out);
	if (req->json)
		put(out, "}\n");
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
	{ "queues",	0, 0, "queues",		cmd_queues },
	{ "reload",	0, 0, "reload",		cmd_reload },
	{ "stats",	0, 0, "stats",		cmd_stats },
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
