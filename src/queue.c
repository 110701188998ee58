/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue.c — owns the scheduler: every queued message in memory, its timer,
 * its delivery attempts and retries; the control commands' view of it
 * (walk, find, flush, hold, remove).
 *
 * The spool holds the truth; a struct qmsg holds what scheduling needs.
 * An attempt routes every pending recipient with the configuration in force
 * at that moment, groups recipients by (relayer, next hop), hands each group
 * to its relayer as one delivery, and when the last delivery reports back,
 * records the outcome durably (spool_update) before anything else: a crash
 * after a delivery may repeat it (at least once), never lose it.  A message
 * leaves the spool only when every recipient has a final outcome, and after
 * its bounce, if any, is itself durably queued (queue_final.c).  The log
 * lines of the outcomes are queue_outcome.c's; the three files share the
 * queue's objects through queue_int.h.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "batch.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "qindex.h"
#include "queue.h"
#include "queue_dsn.h"
#include "queue_int.h"
#include "receive.h"
#include "relay.h"
#include "retry.h"
#include "route.h"
#include "spool.h"
#include "stats.h"
#include "util.h"

static void	qmsg_attempt(struct qmsg *);
static void	qmsg_timer_cb(evutil_socket_t, short, void *);

struct queue *
queue_new(struct event_base *base, struct spool *spool, struct receive *rc,
    struct config *cfg)
{
	struct queue	*q = xcalloc(1, sizeof(*q));

	q->base = base;
	q->spool = spool;
	q->receive = rc;
	q->cfg = config_ref(cfg);
	TAILQ_INIT(&q->msgs);
	q->byid = qindex_new();
	return q;
}

void
qmsg_free(struct qmsg *m)
{
	struct queue	*q = m->q;

	for (int i = 0; i < m->n_deferred; i++)
		outcome_clear(&m->deferred[i]);
	free(m->deferred);
	TAILQ_REMOVE(&q->msgs, m, entry);
	qindex_del(q->byid, m->env->id, m);
	q->n--;
	event_free(m->timer);
	envelope_free(m->env);
	free(m);
}

void
queue_free(struct queue *q)
{
	struct qmsg	*m;

	/* Only at exit: what is in flight is abandoned, the spool keeps it. */
	while ((m = TAILQ_FIRST(&q->msgs)) != NULL)
		qmsg_free(m);
	qindex_free(q->byid);
	config_unref(q->cfg);
	free(q);
}

void
queue_set_config(struct queue *q, struct config *cfg)
{
	struct config	*old = q->cfg;

	q->cfg = config_ref(cfg);
	config_unref(old);
}

int
queue_length(const struct queue *q)
{
	return q->n;
}

void
qmsg_schedule(struct qmsg *m, time_t when, time_t from)
{
	struct timeval	tv = { 0, 0 };

	/* Counted from the caller's clock reading, not a new one: a second
	 * that ticks in between (a spool_update()'s fsync) must not cut a
	 * 1 s retry to nothing (retry.t's "not retried before
	 * retry_interval" failed so once). */
	if (when > from)
		tv.tv_sec = when - from;
	m->env->next_attempt = when;
	/* Held mail keeps its time but is neither attempted nor expired. */
	if (!m->env->held)
		evtimer_add(m->timer, &tv);
}

void
qmsg_retry_later(struct qmsg *m)
{
	time_t	t = now();

	qmsg_schedule(m, t + m->q->cfg->retry_interval, t);
}

static struct qmsg *
qmsg_new(struct queue *q, struct envelope *env)
{
	struct qmsg	*m = xcalloc(1, sizeof(*m));

	m->q = q;
	m->env = env;
	m->timer = evtimer_new(q->base, qmsg_timer_cb, m);
	if (m->timer == NULL)
		fatalx("evtimer_new");
	TAILQ_INSERT_TAIL(&q->msgs, m, entry);
	/* Ids are unique (spool_new_id); a duplicate would stay findable
	 * only by a walk, as the first one keeps the index entry. */
	if (qindex_put(q->byid, env->id, m) == -1)
		log_warnx("id=%s: queued twice", env->id);
	q->n++;
	return m;
}

/* The message's envelope becomes env (the id index is keyed by the id
 * inside it). */
static void
qmsg_set_env(struct qmsg *m, struct envelope *env)
{
	qindex_del(m->q->byid, m->env->id, m);
	envelope_free(m->env);
	m->env = env;
	if (qindex_put(m->q->byid, env->id, m) == -1)
		log_warnx("id=%s: queued twice", env->id);
}

/*
 * A message that waits keeps its envelope in one allocation
 * (envelope_pack(): about 160 octets less than in eleven); an attempt,
 * which changes it, works on a plain copy (qmsg_timer_cb()).  Only while nothing is in flight:
 * deliveries and a bounce being committed point into the envelope.
 */
static void
qmsg_pack(struct qmsg *m)
{
	if (!m->busy && !m->env->packed)
		qmsg_set_env(m, envelope_pack(m->env));
}

void
queue_add(struct queue *q, struct envelope *env)
{
	struct qmsg	*m = qmsg_new(q, env);

	qmsg_schedule(m, 0, now());
}

/* The envelopes spool_recover() found, in the order it found them. */
struct recovered {
	struct envelope	**envs;
	size_t		  n, cap;
};

static void
recover_cb(void *arg, struct envelope *full)
{
	struct recovered	*r = arg;
	struct envelope		*env = envelope_pack(full);

	envelope_free(full);

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->envs = xreallocarray(r->envs, r->cap, sizeof(*r->envs));
	}
	r->envs[r->n++] = env;
}

static int
env_cmp_id(const void *a, const void *b)
{
	const struct envelope	*const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

int
queue_recover(struct queue *q)
{
	struct recovered	 r = { NULL, 0, 0 };
	struct qmsg		*m;
	int			 n;

	n = spool_recover(q->spool, recover_cb, &r);
	/* The directory's order is the file system's: sorted by id, which
	 * sorts by arrival (spool_new_id), the queue is oldest first after
	 * a restart too, as queue_walk() promises. */
	if (r.n > 1)
		qsort(r.envs, r.n, sizeof(*r.envs), env_cmp_id);
	for (size_t i = 0; i < r.n; i++) {
		m = qmsg_new(q, r.envs[i]);
		/* Out at once, or at its retry time. */
		qmsg_schedule(m, r.envs[i]->next_attempt, now());
	}
	free(r.envs);
	return n;
}

static void
qmsg_flush(struct qmsg *m)
{
	if (!m->busy && !m->env->held) {
		evtimer_del(m->timer);
		qmsg_schedule(m, 0, now());
	}
}

static struct qmsg	*queue_lookup(struct queue *, const char *);

int
queue_flush(struct queue *q, const char *id)
{
	struct qmsg	*m;

	if (id == NULL) {
		TAILQ_FOREACH(m, &q->msgs, entry)
			qmsg_flush(m);
		return 0;
	}
	if ((m = queue_lookup(q, id)) == NULL)
		return -1;
	qmsg_flush(m);
	return 0;
}

bool
queue_quiesce(struct queue *q)
{
	q->quiescing = 1;
	return q->busy == 0;
}

struct config *
queue_config(const struct queue *q)
{
	return q->cfg;
}

void
queue_walk(struct queue *q, void (*cb)(void *, const struct envelope *, bool),
    void *arg)
{
	struct qmsg	*m;

	TAILQ_FOREACH(m, &q->msgs, entry)
		cb(arg, m->env, m->busy != 0);
}

static struct qmsg *
queue_lookup(struct queue *q, const char *id)
{
	return qindex_get(q->byid, id);
}

const struct envelope *
queue_find(struct queue *q, const char *id, bool *busy)
{
	struct qmsg	*m = queue_lookup(q, id);

	if (m == NULL)
		return NULL;
	if (busy != NULL)
		*busy = m->busy != 0;
	return m->env;
}

int
queue_remove(struct queue *q, const char *id)
{
	struct qmsg	*m = queue_lookup(q, id);
	struct envelope	*env;

	if (m == NULL)
		return -1;
	/* Deliveries in flight point into the envelope; so does a bounce
	 * being committed.  Removing under them would free what they use. */
	if (m->busy)
		return -2;
	env = m->env;
	if (spool_remove(q->spool, env) == -1) {
		log_warnx("id=%s: cannot remove from spool", env->id);
		return -3;
	}
	log_event("removed", "id=%s from=<%s> nrcpt=%d pending=%d "
	    "reason=smarthostctl", env->id, env->sender, env->n_rcpts,
	    envelope_pending(env));
	stats_inc(STAT_REMOVED);
	qmsg_free(m);
	return 0;
}

int
queue_hold(struct queue *q, const char *id, bool hold)
{
	struct qmsg	*m = queue_lookup(q, id);
	struct envelope	*env;

	if (m == NULL)
		return -1;
	env = m->env;
	if (env->held == hold)
		return 1;
	env->held = hold;
	/* Durable first: a hold that a crash forgets would send the mail. */
	if (spool_update(q->spool, env) == -1) {
		log_warnx("id=%s: cannot record the %s", env->id,
		    hold ? "hold" : "release");
		env->held = !hold;
		return -3;
	}
	log_event(hold ? "held" : "released", "id=%s from=<%s> nrcpt=%d "
	    "pending=%d reason=smarthostctl", env->id, env->sender,
	    env->n_rcpts, envelope_pending(env));
	if (hold) {
		evtimer_del(m->timer);
		qmsg_pack(m);
	} else if (!m->busy)
		qmsg_schedule(m, env->next_attempt > now() ?
		    env->next_attempt : 0, now());
	return 0;
}

static void
qmsg_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct qmsg	*m = arg;

	if (m->q->quiescing || m->busy || m->env->held)
		return;
	if (m->env->packed)
		qmsg_set_env(m, envelope_dup(m->env));
	if (envelope_pending(m->env) == 0)
		qmsg_finalize(m);
	else
		qmsg_attempt(m);
}

void
qmsg_set_busy(struct qmsg *m, int busy)
{
	if (m->busy == busy)
		return;
	m->busy = busy;
	m->q->busy += busy ? 1 : -1;
}

static void
delivery_free(struct delivery *d)
{
	for (int i = 0; i < d->n_rcpts; i++) {
		free(d->rcpts[i].status);
		free(d->rcpts[i].queue_name);
	}
	free(d->rcpts);
	free(d->msg_path);
	free(d->remote);
	free(d->tls_info);
	free((char *)d->nexthop);
	free((char *)d->queue_name);
	config_unref(d->cfg);
	free(d);
}

static void
delivery_done(struct delivery *d)
{
	struct qmsg	*m = d->arg;
	struct envelope	*env = m->env;
	long		 delay = (long)(now() - env->created);

	stats_observe(SH_DELIVERY, stats_elapsed(&d->started));
	for (int i = 0; i < d->n_rcpts; i++) {
		struct delivery_rcpt	*r = &d->rcpts[i];
		struct env_rcpt		*er = &env->rcpts[r->index];
		struct outcome		 o;
		const char		*status;

		if (r->result == DLV_PENDING) {
			/* A relayer bug must not lose or bounce mail. */
			r->result = DLV_TEMPFAIL;
			log_warnx("relayer %s left %s without a result",
			    d->relayer->name, r->addr);
		}
		status = r->status ? r->status : "";
		free(er->status);
		er->status = xstrdup(status);
		free(er->remote);
		/* A bounce names a Remote-MTA only for what it said. */
		er->remote = d->remote && !r->local ? xstrdup(d->remote) :
		    NULL;
		if (r->result == DLV_OK) {
			er->state = RCPT_DELIVERED;
			er->done = r->dsn;
		} else if (r->result == DLV_PERMFAIL)
			er->state = RCPT_FAILED;
		else {
			free(env->last_error);
			env->last_error = xstrdup(status);
		}
		stats_inc(r->result == DLV_OK ? STAT_DELIVERED :
		    r->result == DLV_PERMFAIL ? STAT_BOUNCED : STAT_DEFERRED);
		stats_count(SF_DELIVERIES, d->relayer->name,
		    outcome_event(r->result));
		o.index = r->index;
		o.queue = r->queue_name;
		o.relayer = (char *)d->relayer->name;
		o.remote = d->remote;
		o.tls_info = d->tls_info;
		o.dane = d->dane;
		o.mta_sts = d->mta_sts;
		o.status = (char *)status;
		o.delay = delay;
		o.attempt = env->attempts + 1;
		if (r->result != DLV_TEMPFAIL)
			outcome_log(outcome_event(r->result), env, &o, 0);
		else	/* logged when the attempt ends and the next is set */
			outcome_defer(m, &o);
	}
	delivery_free(d);
	if (--m->inflight > 0)
		return;

	env->attempts++;
	if (envelope_pending(env) == 0) {
		outcome_log_deferred(m, 0);	/* none: deferred ones are pending */
		qmsg_finalize(m);
		return;
	}

	/* Some recipients wait: record the outcome, then the retry. */
	{
		struct config	*cfg = m->q->cfg;
		time_t		 t = now();
		time_t		 next = retry_next(t, cfg->retry_interval,
				    cfg->max_retry_interval, env->attempts,
				    (double)random() / ((double)RAND_MAX + 1.0));
		time_t		 deadline = env->created + cfg->max_age;

		/* Never wait past expiry: the last try happens at max_age. */
		if (next > deadline && deadline > t)
			next = deadline;
		env->next_attempt = next;
		outcome_log_deferred(m, next);
		/* delay_warning: once, recorded with the retry below. */
		if (cfg->delay_warning > 0 && !env->warned &&
		    env->sender[0] != '\0' && t - env->created >=
		    cfg->delay_warning &&
		    queue_dsn_count(cfg, env, QUEUE_DSN_DELAYED) > 0)
			qmsg_warn(m);
		if (spool_update(m->q->spool, env) == -1)
			log_warnx("id=%s: cannot record delivery state; "
			    "recipients may be tried again", env->id);
		qmsg_set_busy(m, 0);
		qmsg_schedule(m, next, t);
		qmsg_pack(m);
	}
}

static void
qmsg_attempt(struct qmsg *m)
{
	struct queue	*q = m->q;
	struct config	*cfg = q->cfg;
	struct envelope	*env = m->env;
	struct delivery	**ds = NULL;
	struct route	*routes;
	char		**keys;		/* batch_route_key() of each delivery */
	int		 nd = 0;

	if (env->attempts > 0 && retry_expired(env->created, cfg->max_age,
	    now())) {
		qmsg_expire(m);
		qmsg_finalize(m);
		return;
	}

	qmsg_set_busy(m, 1);
	m->started = now();
	routes = xcalloc(env->n_rcpts, sizeof(*routes));
	ds = xcalloc(env->n_rcpts, sizeof(*ds));
	keys = xcalloc(env->n_rcpts, sizeof(*keys));
	for (int i = 0; i < env->n_rcpts; i++) {
		struct env_rcpt	*er = &env->rcpts[i];
		struct delivery	*d = NULL;
		char		*key;
		int		 j;

		if (er->state != RCPT_PENDING)
			continue;
		if (route_resolve(cfg, env->listener, env->sender, er->addr,
		    &routes[i]) == -1) {
			/* Cannot happen for what the server accepted. */
			free(er->status);
			er->status = xstrdup("550 5.1.3 recipient has no domain");
			er->state = RCPT_FAILED;
			continue;
		}
		/* Recipients with the same route ride together: for an smtp
		 * relayer every one of them, whatever the domain. */
		key = batch_route_key(&routes[i]);
		for (j = 0; j < nd; j++)
			if (strcmp(keys[j], key) == 0) {
				d = ds[j];
				break;
			}
		if (d != NULL)
			free(key);
		else {
			char	path[1024];

			d = xcalloc(1, sizeof(*d));
			d->cfg = config_ref(cfg);
			d->relayer = routes[i].relayer;
			d->dom = routes[i].dom;
			d->nexthop = xstrdup(routes[i].nexthop);
			d->queue_name = xstrdup(routes[i].queue);
			d->env = env;
			spool_msg_path(q->spool, env, path, sizeof(path));
			d->msg_path = xstrdup(path);
			d->size = env->size;
			d->rcpts = xcalloc(env->n_rcpts, sizeof(*d->rcpts));
			d->done = delivery_done;
			d->arg = m;
			keys[nd] = key;
			ds[nd++] = d;
		}
		d->rcpts[d->n_rcpts].addr = er->addr;
		d->rcpts[d->n_rcpts].index = i;
		d->rcpts[d->n_rcpts].queue_name = xstrdup(routes[i].queue);
		d->n_rcpts++;
	}
	free(routes);
	for (int j = 0; j < nd; j++)
		free(keys[j]);
	free(keys);

	if (nd == 0) {
		free(ds);
		qmsg_finalize(m);
		return;
	}
	m->inflight = nd;
	for (int j = 0; j < nd; j++) {
		stats_clock(&ds[j]->started);
		relay_deliver(ds[j]);
	}
	free(ds);
}

