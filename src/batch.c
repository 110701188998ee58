/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * batch.c — how one accepted transaction becomes queued messages: one per
 * recipient, or one per distinct grouping key (domain or route); and what
 * a route key is, so that the queue groups an attempt the same way.  Pure.
 */
#include <stddef.h>
#include <string.h>

#include "batch.h"
#include "route.h"
#include "util.h"

int
batch_split(enum batch_mode mode, const char *const *keys, int n,
    int *batch_of)
{
	int	i, j, k, seen;

	if (n <= 0 || batch_of == NULL)
		return 0;
	/* Splitting too much is always safe; merging wrongly is not. */
	if ((mode != BATCH_BY_DOMAIN && mode != BATCH_BY_ROUTE) ||
	    keys == NULL) {
		for (i = 0; i < n; i++)
			batch_of[i] = i;
		return n;
	}

	k = 0;
	for (i = 0; i < n; i++) {
		batch_of[i] = -1;
		/*
		 * Compare only with the first recipient of each batch so far:
		 * batches are numbered by first appearance, so recipient j
		 * opens a batch exactly when batch_of[j] is the next number.
		 */
		seen = 0;
		for (j = 0; j < i && seen < k; j++) {
			if (batch_of[j] != seen)
				continue;
			/* NULL keys are equal to each other only. */
			if (str_same(keys[j], keys[i])) {
				batch_of[i] = seen;
				break;
			}
			seen++;
		}
		if (batch_of[i] == -1)
			batch_of[i] = k++;
	}
	return k;
}

char *
batch_route_key(const struct route *r)
{
	/* A NUL cannot be in a relayer name nor a domain: "\n" separates. */
	if (r->relayer == NULL)
		return xasprintf("\n%s", r->nexthop);
	if (r->relayer->type == RELAY_SMTP)
		return xasprintf("%s", r->relayer->name);
	return xasprintf("%s\n%s", r->relayer->name, r->nexthop);
}
