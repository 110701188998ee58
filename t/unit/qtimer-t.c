/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * qtimer-t.c — the heap of retry times: random adds, re-arms and removals
 * against a plain array as the reference; what comes out first is always
 * the earliest time, and among equal times the one armed first; removing
 * a node that is not in the heap changes nothing; the array shrinks back
 * after a large heap drains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtimer.h"
#include "../tap.h"

#define NN	5000

static struct qtimer_node	nodes[NN];
static int			in[NN];
static long			due_s[NN], due_us[NN];
static unsigned long long	armed[NN];	/* order of arming */
static unsigned long long	clock_;

/* Is x before y by (due, order of arming)? */
static int
ref_before(int x, int y)
{
	if (due_s[x] != due_s[y])
		return due_s[x] < due_s[y];
	if (due_us[x] != due_us[y])
		return due_us[x] < due_us[y];
	return armed[x] < armed[y];
}

/* The reference's first node, or -1. */
static int
ref_first(void)
{
	int	best = -1;

	for (int i = 0; i < NN; i++)
		if (in[i] && (best == -1 || ref_before(i, best)))
			best = i;
	return best;
}

static void
add(struct qtimer *h, int i, long s, long us)
{
	struct timeval	tv = { s, us };

	qtimer_add(h, &nodes[i], &tv);
	in[i] = 1;
	due_s[i] = s;
	due_us[i] = us;
	armed[i] = clock_++;
}

static int
consistent(const struct qtimer *h)
{
	size_t	n = 0;
	int	f = ref_first();
	struct qtimer_node *got = qtimer_first(h);

	for (int i = 0; i < NN; i++) {
		if (in[i] != qtimer_armed(&nodes[i])) {
			printf("# node %d: in %d, armed %d\n", i, in[i],
			    qtimer_armed(&nodes[i]));
			return 0;
		}
		n += in[i];
	}
	if (n != qtimer_count(h)) {
		printf("# count %zu, reference %zu\n", qtimer_count(h), n);
		return 0;
	}
	if ((f == -1) != (got == NULL) || (f != -1 && got != &nodes[f])) {
		printf("# first %td, reference %d\n", got ? got - nodes : -1,
		    f);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct qtimer		 h;
	struct timeval		 tv = { 5, 0 };
	int			 ok = 1, i;
	unsigned int		 seed = 20261207;

	qtimer_init(&h);
	tap_result(qtimer_first(&h) == NULL && qtimer_count(&h) == 0,
	    "an empty heap has no first node");
	qtimer_del(&h, &nodes[0]);
	tap_result(qtimer_count(&h) == 0 && !qtimer_armed(&nodes[0]),
	    "removing a node that is not in it changes nothing");

	/* Equal times: the order of arming, whatever the heap's shape. */
	for (i = 0; i < 100; i++)
		add(&h, 99 - i, 7, 0);
	for (i = 0; i < 100 && ok; i++) {
		struct qtimer_node *n = qtimer_first(&h);

		ok = n == &nodes[99 - i];
		qtimer_del(&h, n);
		in[99 - i] = 0;
	}
	tap_result(ok && qtimer_count(&h) == 0,
	    "equal times come out in the order they were armed");

	/* Re-arming moves a node and makes it the latest among equals. */
	add(&h, 1, 5, 0);
	add(&h, 2, 5, 0);
	qtimer_add(&h, &nodes[1], &tv);
	armed[1] = clock_++;
	tap_result(qtimer_first(&h) == &nodes[2] && qtimer_count(&h) == 2,
	    "a node armed again goes after the others of its time");
	tap_result(consistent(&h), "two nodes, consistent");

	/* Random adds, re-arms and removals. */
	ok = 1;
	for (int step = 0; step < 60000 && ok; step++) {
		int	r = rand_r(&seed) % 10;

		i = rand_r(&seed) % NN;
		if (r < 6)
			add(&h, i, rand_r(&seed) % 50,
			    (rand_r(&seed) % 4) * 250000);
		else if (r < 9) {
			qtimer_del(&h, &nodes[i]);
			in[i] = 0;
		} else {
			struct qtimer_node *n = qtimer_first(&h);

			if (n != NULL) {
				qtimer_del(&h, n);
				in[n - nodes] = 0;
			}
		}
		if (step % 97 == 0)
			ok = consistent(&h);
	}
	tap_result(ok && consistent(&h), "60,000 random operations agree "
	    "with the reference");

	/* Draining in order gives non-decreasing times, ties by arming. */
	ok = 1;
	{
		int	prev = -1;
		struct qtimer_node *n;

		while (ok && (n = qtimer_first(&h)) != NULL) {
			int	k = (int)(n - nodes);

			ok = prev == -1 || ref_before(prev, k);
			qtimer_del(&h, n);
			in[k] = 0;
			prev = k;
		}
	}
	tap_result(ok && qtimer_count(&h) == 0, "drained in order");

	/* The array follows the heap back down. */
	for (i = 0; i < NN; i++)
		add(&h, i, i % 13, 0);
	tap_result(h.cap >= NN, "grown for 5,000 nodes");
	for (i = 0; i < NN; i++) {
		qtimer_del(&h, &nodes[i]);
		in[i] = 0;
	}
	tap_result(qtimer_count(&h) == 0 && h.cap <= 128,
	    "shrunk again once drained");

	add(&h, 3, 1, 0);
	qtimer_free(&h);
	tap_result(!qtimer_armed(&nodes[3]) && qtimer_first(&h) == NULL,
	    "freeing the heap leaves its nodes unarmed");
	done_testing();
	return 0;
}
