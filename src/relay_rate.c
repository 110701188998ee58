/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_rate.c — owns the outflow gate (see relay_rate.h): a bucket per
 * limited destination — the relayer for `smtp`, the relayer and next-hop
 * domain for `mx` or where a routing.domains entry sets its own `rate` —
 * with ratelimit.c's schedule, a FIFO of parked deliveries and one timer.
 * A bucket lives until its timer finds it empty, at most one interval
 * after its last start, so destinations seen once cost nothing for long.
 * Buckets are kept by name across reloads: a reload that leaves a rate as
 * it was keeps its schedule, one that changes it starts a new one.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "ratelimit.h"
#include "relay.h"
#include "relay_rate.h"
#include "route.h"
#include "util.h"

struct bucket {
	TAILQ_ENTRY(bucket)	 entry;
	char			*key;
	struct rate_spec	 spec;
	struct rate		 rate;
	struct event		*timer;
	struct delivery		**fifo;		/* ring of parked deliveries */
	size_t			 head, n, cap;
	void			(*start)(struct delivery *);
};

static TAILQ_HEAD(, bucket)	buckets = TAILQ_HEAD_INITIALIZER(buckets);
static int			n_parked;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
bucket_free(struct bucket *b)
{
	TAILQ_REMOVE(&buckets, b, entry);
	event_free(b->timer);
	free(b->fifo);
	free(b->key);
	free(b);
}

static void
bucket_arm(struct bucket *b, uint64_t wait)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(wait / 1000000);
	tv.tv_usec = (suseconds_t)(wait % 1000000);
	evtimer_add(b->timer, &tv);
}

static struct delivery *
fifo_pop(struct bucket *b)
{
	struct delivery *d = b->fifo[b->head];

	b->head = (b->head + 1) % b->cap;
	b->n--;
	n_parked--;
	return d;
}

static void
fifo_push(struct bucket *b, struct delivery *d)
{
	if (b->n == b->cap) {
		size_t			 cap = b->cap ? b->cap * 2 : 16;
		struct delivery		**f = xcalloc(cap, sizeof(*f));

		for (size_t i = 0; i < b->n; i++)
			f[i] = b->fifo[(b->head + i) % b->cap];
		free(b->fifo);
		b->fifo = f;
		b->head = 0;
		b->cap = cap;
	}
	b->fifo[(b->head + b->n) % b->cap] = d;
	b->n++;
	n_parked++;
}

/* The timer: start what the schedule allows, then wait again or go. */
static void
bucket_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct bucket	*b = arg;
	uint64_t	 wait;

	(void)fd;
	(void)ev;
	while (b->n > 0) {
		if ((wait = rate_take(&b->rate, now_us())) != 0) {
			bucket_arm(b, wait);
			return;
		}
		b->start(fifo_pop(b));
	}
	if ((wait = rate_wait(&b->rate, now_us())) != 0)
		bucket_arm(b, wait);
	else
		bucket_free(b);
}

int
rate_gate(struct event_base *base, struct delivery *d,
    void (*start)(struct delivery *))
{
	const struct rate_spec	*spec;
	struct bucket		*b;
	char			*key;
	uint64_t		 wait;

	if (d->dom != NULL && d->dom->rate.count != 0) {
		spec = &d->dom->rate;
		key = xasprintf("%s!%s", d->relayer->name, d->nexthop);
	} else if (d->relayer->rate.count != 0) {
		spec = &d->relayer->rate;
		key = d->relayer->type == RELAY_MX ?
		    xasprintf("%s!%s", d->relayer->name, d->nexthop) :
		    xstrdup(d->relayer->name);
	} else
		return 1;

	TAILQ_FOREACH(b, &buckets, entry)
		if (strcmp(b->key, key) == 0)
			break;
	if (b == NULL) {
		b = xcalloc(1, sizeof(*b));
		b->key = key;
		key = NULL;
		b->spec = *spec;
		rate_init(&b->rate, spec);
		if ((b->timer = evtimer_new(base, bucket_timer, b)) == NULL)
			fatalx("evtimer_new");
		TAILQ_INSERT_TAIL(&buckets, b, entry);
	} else if (!rate_spec_equal(&b->spec, spec)) {
		/* A reload changed the rate: a new schedule from now. */
		b->spec = *spec;
		rate_init(&b->rate, spec);
	}
	free(key);
	b->start = start;

	/* Parked ones go first: no overtaking. */
	if (b->n == 0 && (wait = rate_take(&b->rate, now_us())) == 0) {
		/* Keep the bucket until the next slot, then let it go. */
		if (!evtimer_pending(b->timer, NULL))
			bucket_arm(b, rate_wait(&b->rate, now_us()));
		return 1;
	}
	fifo_push(b, d);
	if (!evtimer_pending(b->timer, NULL))
		bucket_arm(b, rate_wait(&b->rate, now_us()));
	log_debug("rate: %s: delivery to %s parked (%zu waiting)", b->key,
	    d->nexthop, b->n);
	return 0;
}

void
rate_gate_reconfigure(struct config *cfg)
{
	struct bucket			*b;
	const struct relayer_conf	*rc;
	const struct domain_conf	*dom;
	struct rate_spec		 none = { 0, 0 };
	const struct rate_spec		*spec;
	char				*name, *bang;

	TAILQ_FOREACH(b, &buckets, entry) {
		name = xstrdup(b->key);
		if ((bang = strchr(name, '!')) != NULL)
			*bang++ = '\0';
		rc = NULL;
		for (int i = 0; i < cfg->n_relayers; i++)
			if (strcmp(cfg->relayers[i].name, name) == 0)
				rc = &cfg->relayers[i];
		dom = bang != NULL ? route_domain(cfg, bang) : NULL;
		if (dom != NULL && dom->rate.count != 0)
			spec = &dom->rate;
		else if (rc != NULL && rc->rate.count != 0)
			spec = &rc->rate;
		else
			spec = &none;
		if (!rate_spec_equal(&b->spec, spec)) {
			log_info("rate: %s: now %u per %us", b->key, spec->count,
			    spec->period);
			b->spec = *spec;
			rate_init(&b->rate, spec);
			bucket_arm(b, 0);	/* the timer sorts it out */
		}
		free(name);
	}
}

void
rate_gate_shutdown(void)
{
	struct bucket *b;

	while ((b = TAILQ_FIRST(&buckets)) != NULL) {
		while (b->n > 0) {
			struct delivery *d = fifo_pop(b);

			delivery_fail_all(d, DLV_TEMPFAIL, "451 4.4.5 not "
			    "attempted: shutdown while waiting for the rate");
			delivery_done_later(d);
		}
		bucket_free(b);
	}
}

int
rate_gate_parked(void)
{
	return n_parked;
}
