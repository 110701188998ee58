/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * qtimer.h — the queued messages' retry times: a binary min-heap of
 * nodes ordered by (due time, order of arming), so that the queue keeps
 * one libevent timer for all its messages instead of a struct event of
 * 128 octets each (#18: a deferred message cost about 0.84 KiB of memory,
 * 144 of them its own timer).  Equal times come out in the order they
 * were armed: a flush of the whole queue, armed oldest first, tries the
 * oldest first.  Pure: no clock, no I/O; the caller says what "due" is.
 *
 * A node is embedded in what it times (queue.c: struct qmsg) and belongs
 * to at most one heap; its fields are the heap's.
 */
#ifndef SMARTHOSTD_QTIMER_H
#define SMARTHOSTD_QTIMER_H

#include <sys/time.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qtimer_node {
	struct timeval	 due;
	uint64_t	 seq;		/* order of arming, for ties */
	size_t		 at;		/* index in the heap + 1; 0: not in it */
};

struct qtimer {
	struct qtimer_node	**v;
	size_t			  n, cap;
	uint64_t		  next_seq;
};

void	qtimer_init(struct qtimer *);
/* Frees the heap's array (not the nodes). */
void	qtimer_free(struct qtimer *);

/* Arm n for due, or re-arm it if it is in already. */
void	qtimer_add(struct qtimer *, struct qtimer_node *n,
	    const struct timeval *due);
/* Take n out if it is in; nothing otherwise. */
void	qtimer_del(struct qtimer *, struct qtimer_node *n);
static inline bool
qtimer_armed(const struct qtimer_node *n)
{
	return n->at != 0;
}

/* The earliest node, or NULL when empty. */
struct qtimer_node *qtimer_first(const struct qtimer *);
/* The sequence number the next qtimer_add() will give: nodes armed
 * before a given moment have one below its value then. */
uint64_t qtimer_seq(const struct qtimer *);
size_t	qtimer_count(const struct qtimer *);

#endif
