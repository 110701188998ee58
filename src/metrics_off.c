/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * metrics_off.c — the metrics HTTP listener left out (./configure
 * --disable-metrics, or --enable-small without --enable-metrics): in place
 * of metrics.c.  config.c refuses a `metrics` group at its file:line, so
 * there is never a listener to open; the counters (stats.c) stay, for
 * `smarthostctl stats`.
 */
#include <stddef.h>

#include "metrics.h"

struct metrics *
metrics_new(struct event_base *base, struct queue *q, struct smtp_server *srv)
{
	return NULL;
}

int
metrics_configure(struct metrics *m, struct config *cfg, char *err,
    size_t errlen)
{
	return 0;
}

void
metrics_free(struct metrics *m)
{
}

void
metrics_render(struct metrics *m, struct evbuffer *out)
{
}
