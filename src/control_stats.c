/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_stats.c — owns what the two reporting commands gather: `queues`
 * (each scheduled queue's messages, recipients and oldest arrival, from
 * one walk of the queue) and `stats` (the counters, the queue length,
 * the sessions, the uptime, and per listener and relayer the numbers the
 * metrics page shows).  Their text and JSON forms are control_format.c's;
 * the command table and the framing are control.c's.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "config.h"
#include "control.h"
#include "control_format.h"
#include "control_int.h"
#include "control_req.h"
#include "envelope.h"
#include "qindex.h"
#include "queue.h"
#include "route.h"
#include "smtp_server.h"
#include "stats.h"
#include "util.h"

/* Routing needs a listener name; a damaged envelope may lack one. */
#define ENV_LISTENER(e)		((e)->listener ? (e)->listener : "")
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

int
control_cmd_queues(struct control *ctl, const struct control_req *req,
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

int
control_cmd_stats(struct control *ctl, const struct control_req *req,
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
