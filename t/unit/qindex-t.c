/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * qindex-t.c — the id table: put, get and del against a plain array as
 * the reference, through growth, shrinking, long probe clusters and the
 * wrap-around at the end of the slot array; a duplicate key and a
 * removal with the wrong value leave the table as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qindex.h"
#include "../tap.h"

#define NKEYS	20000

static char	keys[NKEYS][17];
static int	present[NKEYS];

/* Every key: present ones map to their own slot, others to nothing. */
static int
consistent(const struct qindex *x)
{
	size_t	n = 0;

	for (int i = 0; i < NKEYS; i++) {
		void	*v = qindex_get(x, keys[i]);

		if (present[i] ? v != &keys[i] : v != NULL) {
			printf("# key %d (%s): present %d, got %p\n", i,
			    keys[i], present[i], v);
			return 0;
		}
		n += present[i] != 0;
	}
	return n == qindex_count(x);
}

int
main(void)
{
	struct qindex	*x = qindex_new();
	char		 other[17];
	int		 i, k, good;
	unsigned	 seed = 12345;

	/* Queue ids as the spool makes them: 16 upper-case hex digits,
	 * close together. */
	for (i = 0; i < NKEYS; i++)
		snprintf(keys[i], sizeof(keys[i]), "%016llX",
		    0x6570A1B200000000ULL + (unsigned long long)i * 4099);

	ok(qindex_get(x, keys[0]) == NULL, "empty: nothing found");
	is_int(qindex_del(x, keys[0], &keys[0]), -1, "empty: nothing removed");
	is_int(qindex_count(x), 0, "empty: count 0");

	/* Fill in order (grows from 64 to 32768 slots). */
	good = 1;
	for (i = 0; i < NKEYS; i++) {
		if (qindex_put(x, keys[i], &keys[i]) != 0)
			good = 0;
		present[i] = 1;
	}
	ok(good, "20000 ids put");
	ok(consistent(x), "every id found, count 20000");

	/* A copy of the key (another pointer, same text) finds it too. */
	memcpy(other, keys[77], sizeof(other));
	ok(qindex_get(x, other) == &keys[77], "found by value, not pointer");
	is_int(qindex_put(x, other, other), -1, "duplicate refused");
	ok(qindex_get(x, keys[77]) == &keys[77], "duplicate: first one kept");
	is_int(qindex_del(x, keys[77], other), -1,
	    "del with another value refused");
	ok(qindex_get(x, keys[77]) == &keys[77], "still there");
	ok(qindex_get(x, "0000000000000000") == NULL, "unknown id: NULL");
	ok(qindex_get(x, "") == NULL, "empty string: NULL");

	/* Random removals and re-insertions: the backward shift must keep
	 * every cluster reachable. */
	good = 1;
	for (k = 0; k < 200000; k++) {
		seed = seed * 1103515245 + 12345;
		i = (int)((seed >> 8) % NKEYS);
		if (present[i]) {
			if (qindex_del(x, keys[i], &keys[i]) != 0)
				good = 0;
			present[i] = 0;
		} else {
			if (qindex_put(x, keys[i], &keys[i]) != 0)
				good = 0;
			present[i] = 1;
		}
		if (k % 20000 == 0 && !consistent(x))
			good = 0;
	}
	ok(good, "200000 random puts and dels");
	ok(consistent(x), "consistent after them");

	/* Drain it all (shrinks back), then refill a few. */
	good = 1;
	for (i = 0; i < NKEYS; i++) {
		if (present[i] && qindex_del(x, keys[i], &keys[i]) != 0)
			good = 0;
		present[i] = 0;
		if (i % 5000 == 0 && !consistent(x))
			good = 0;
	}
	ok(good, "drained");
	ok(consistent(x), "empty after the drain");
	for (i = 0; i < 10; i++) {
		qindex_put(x, keys[i], &keys[i]);
		present[i] = 1;
	}
	ok(consistent(x), "refilled after shrinking");
	qindex_free(x);
	qindex_free(NULL);

	/* A cluster that wraps around the end of a fresh 64-slot table:
	 * keys whose FNV-1a home (as qindex.c computes it) is slot 62, 63
	 * or 0, put in that order, then removed one by one. */
	x = qindex_new();
	memset(present, 0, sizeof(present));
	{
		int	n62 = 0, n63 = 0, n0 = 0;

		for (int pass = 0; pass < 3; pass++)
			for (i = 0; i < NKEYS; i++) {
				unsigned long long h = 0xcbf29ce484222325ULL;
				int	home;

				for (const char *c = keys[i]; *c; c++) {
					h ^= (unsigned char)*c;
					h *= 0x100000001b3ULL;
				}
				home = (int)(h & 63);
				if (pass == 0 && home == 62 && n62 < 3)
					n62++;
				else if (pass == 1 && home == 63 && n63 < 4)
					n63++;
				else if (pass == 2 && home == 0 && n0 < 4)
					n0++;
				else
					continue;
				qindex_put(x, keys[i], &keys[i]);
				present[i] = 1;
			}
		ok(n62 == 3 && n63 == 4 && n0 == 4, "11 keys homed at 62, 63, 0");
	}
	ok(consistent(x), "the wrapping cluster: all found");
	/* Remove the earliest of each home first: the others shift back
	 * across the end of the array. */
	good = 1;
	for (i = 0; i < NKEYS; i++) {
		if (!present[i])
			continue;
		if (qindex_del(x, keys[i], &keys[i]) != 0)
			good = 0;
		present[i] = 0;
		if (!consistent(x))
			good = 0;
	}
	ok(good, "removed one by one, all others found after each");
	is_int(qindex_count(x), 0, "empty again");
	qindex_free(x);
	done_testing();
}
