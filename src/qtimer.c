/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * qtimer.c — owns the heap of retry times (qtimer.h): an array of node
 * pointers, each node knowing its place, so that removing any node
 * (a hold, a removal, a flush that arms it again) is O(log n) like
 * adding one.  The array shrinks by half when a quarter is used, so
 * that memory follows the queue back down after an outage has drained.
 */
#include <stdlib.h>

#include "qtimer.h"
#include "util.h"

#define MIN_CAP		64

void
qtimer_init(struct qtimer *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
	h->next_seq = 0;
}

void
qtimer_free(struct qtimer *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->at = 0;
	free(h->v);
	qtimer_init(h);
}

/* Does a come out before b? */
static bool
before(const struct qtimer_node *a, const struct qtimer_node *b)
{
	if (a->due.tv_sec != b->due.tv_sec)
		return a->due.tv_sec < b->due.tv_sec;
	if (a->due.tv_usec != b->due.tv_usec)
		return a->due.tv_usec < b->due.tv_usec;
	return a->seq < b->seq;
}

static void
put(struct qtimer *h, size_t i, struct qtimer_node *n)
{
	h->v[i] = n;
	n->at = i + 1;
}

static void
sift_up(struct qtimer *h, size_t i)
{
	struct qtimer_node	*n = h->v[i];

	while (i > 0 && before(n, h->v[(i - 1) / 2])) {
		put(h, i, h->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	put(h, i, n);
}

static void
sift_down(struct qtimer *h, size_t i)
{
	struct qtimer_node	*n = h->v[i];
	size_t			 c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
			c++;
		if (!before(h->v[c], n))
			break;
		put(h, i, h->v[c]);
		i = c;
	}
	put(h, i, n);
}

void
qtimer_del(struct qtimer *h, struct qtimer_node *n)
{
	size_t	i;

	if (n->at == 0 || n->at > h->n || h->v[n->at - 1] != n)
		return;
	i = n->at - 1;
	n->at = 0;
	if (i != --h->n) {
		put(h, i, h->v[h->n]);
		if (i > 0 && before(h->v[i], h->v[(i - 1) / 2]))
			sift_up(h, i);
		else
			sift_down(h, i);
	}
	if (h->cap > MIN_CAP && h->n < h->cap / 4) {
		h->cap /= 2;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
}

void
qtimer_add(struct qtimer *h, struct qtimer_node *n, const struct timeval *due)
{
	qtimer_del(h, n);
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : MIN_CAP;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	n->due = *due;
	n->seq = h->next_seq++;
	put(h, h->n++, n);
	sift_up(h, h->n - 1);
}

struct qtimer_node *
qtimer_first(const struct qtimer *h)
{
	return h->n > 0 ? h->v[0] : NULL;
}

uint64_t
qtimer_seq(const struct qtimer *h)
{
	return h->next_seq;
}

size_t
qtimer_count(const struct qtimer *h)
{
	return h->n;
}
