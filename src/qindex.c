/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * qindex.c — owns the id -> message table of the queue (qindex.h).
 *
 * Open addressing with linear probing over a power-of-two array of
 * slots; removal shifts the following entries of the cluster back
 * (no tombstones), so a table that has seen a million insertions and
 * removals probes as short as a fresh one.  It grows at 3/4 full and
 * shrinks at 1/8 (never below MIN_CAP), so that memory follows the queue
 * back down after a long outage has drained.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qindex.h"
#include "util.h"

#define MIN_CAP		64

struct qslot {
	const char	*key;		/* NULL: empty */
	void		*val;
};

struct qindex {
	struct qslot	*slots;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;
};

/* FNV-1a, 64 bits: ids are short and not chosen by an attacker (the
 * spool makes them), so a keyed hash buys nothing here. */
static uint64_t
qhash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct qindex *
qindex_new(void)
{
	return xcalloc(1, sizeof(struct qindex));
}

void
qindex_free(struct qindex *x)
{
	if (x == NULL)
		return;
	free(x->slots);
	free(x);
}

size_t
qindex_count(const struct qindex *x)
{
	return x->n;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
qfind(const struct qindex *x, const char *key)
{
	size_t	mask = x->cap - 1, i = (size_t)qhash(key) & mask;

	while (x->slots[i].key != NULL && strcmp(x->slots[i].key, key) != 0)
		i = (i + 1) & mask;
	return i;
}

static void
qresize(struct qindex *x, size_t cap)
{
	struct qslot	*old = x->slots;
	size_t		 oldcap = x->cap, i, j;

	x->slots = xcalloc(cap, sizeof(*x->slots));
	x->cap = cap;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		j = qfind(x, old[i].key);
		x->slots[j] = old[i];
	}
	free(old);
}

int
qindex_put(struct qindex *x, const char *key, void *val)
{
	size_t	i;

	if (x->cap == 0)
		qresize(x, MIN_CAP);
	else if ((x->n + 1) * 4 > x->cap * 3)
		qresize(x, x->cap * 2);
	i = qfind(x, key);
	if (x->slots[i].key != NULL)
		return -1;
	x->slots[i].key = key;
	x->slots[i].val = val;
	x->n++;
	return 0;
}

void *
qindex_get(const struct qindex *x, const char *key)
{
	size_t	i;

	if (x->n == 0)
		return NULL;
	i = qfind(x, key);
	return x->slots[i].key != NULL ? x->slots[i].val : NULL;
}

int
qindex_del(struct qindex *x, const char *key, const void *val)
{
	size_t	mask, i, j, home;

	if (x->n == 0)
		return -1;
	mask = x->cap - 1;
	i = qfind(x, key);
	if (x->slots[i].key == NULL || x->slots[i].val != val)
		return -1;
	/* Close the gap: an entry further along the cluster moves back
	 * into it unless its home slot lies cyclically in (i, j]. */
	for (j = (i + 1) & mask; x->slots[j].key != NULL; j = (j + 1) & mask) {
		home = (size_t)qhash(x->slots[j].key) & mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		x->slots[i] = x->slots[j];
		i = j;
	}
	x->slots[i].key = NULL;
	x->slots[i].val = NULL;
	x->n--;
	if (x->cap > MIN_CAP && x->n * 8 < x->cap)
		qresize(x, x->cap / 2);
	return 0;
}
