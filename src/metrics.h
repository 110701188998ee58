/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * metrics.h — the `metrics` HTTP listener: GET /metrics in the Prometheus
 * text exposition format, on libevent's evhttp.  Reads the counters in
 * stats.c, the queue and the listeners; owns no numbers of its own.
 */
#ifndef SMARTHOSTD_METRICS_H
#define SMARTHOSTD_METRICS_H

#include <stddef.h>

struct config;
struct evbuffer;
struct event_base;
struct queue;
struct smtp_server;

struct metrics;

struct metrics	*metrics_new(struct event_base *, struct queue *,
		    struct smtp_server *);
/*
 * Apply cfg->metrics: bind, rebind (address or port changed), or close.
 * Returns 0, or -1 with a reason when the socket cannot be opened (the
 * listener that was open stays open, unless the new one needed its port).
 */
int		 metrics_configure(struct metrics *, struct config *,
		    char *err, size_t errlen);
void		 metrics_free(struct metrics *);

/* The exposition text itself (also for tests). */
void		 metrics_render(struct metrics *, struct evbuffer *);

#endif
