/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * ratelimit.h — pure outflow rate limits: the `rate` setting ("N/s", "N/m",
 * "N/h") and an evenly spaced token schedule that says when the next
 * message may start.  Time comes in from the caller (a fake clock in the
 * tests), so nothing here reads a clock or arms a timer.
 */
#ifndef SMARTHOSTD_RATELIMIT_H
#define SMARTHOSTD_RATELIMIT_H

#include <stdint.h>

struct rate_spec {
	uint32_t	count;		/* messages ... */
	uint32_t	period;		/* ... per this many seconds; 0 = no limit */
};

/*
 * Parse "N/s", "N/m" or "N/h" (N from 1 to 1000000).  Returns 0, or -1
 * with a short reason in *err.
 */
int	rate_parse(const char *s, struct rate_spec *out, const char **err);

/*
 * A schedule of starts, one every period/count, with a burst of one: "60/m"
 * lets one message start each second, never sixty at once.  Times are in
 * microseconds of a monotonic clock.
 */
struct rate {
	uint64_t	interval;	/* microseconds between two starts */
	uint64_t	next;		/* earliest start of the next message */
};

void	rate_init(struct rate *, const struct rate_spec *);

/*
 * May a message start at `now`?  Returns 0 and takes the slot when it may;
 * otherwise returns how many microseconds remain until it may (nothing is
 * taken, so asking again costs nothing).  A rate with no limit always
 * returns 0.
 */
uint64_t rate_take(struct rate *, uint64_t now);

/* How long until rate_take() would return 0 (0 = now), taking nothing. */
uint64_t rate_wait(const struct rate *, uint64_t now);

/* Does a change of settings need a new schedule?  (Equal specs: keep it.) */
int	rate_spec_equal(const struct rate_spec *, const struct rate_spec *);

#endif
