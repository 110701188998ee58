/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * ratelimit.c — owns the `rate` syntax and the start schedule of the
 * outflow limits (see ratelimit.h).  The schedule is a "virtual time"
 * token bucket of depth one: each start pushes the next permitted start
 * one interval further, and a relayer that was idle does not save up a
 * burst, because a downstream that asked for 60 a minute usually means
 * one a second.
 */
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

int
rate_parse(const char *s, struct rate_spec *out, const char **err)
{
	unsigned long	 n = 0;
	const char	*p = s;

	if (s == NULL || *s < '0' || *s > '9') {
		*err = "expected N/s, N/m or N/h";
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 1000000) {
			*err = "rate above 1000000 per period";
			return -1;
		}
	}
	if (n == 0) {
		*err = "rate must be at least 1";
		return -1;
	}
	if (p[0] != '/' || p[1] == '\0' || p[2] != '\0') {
		*err = "expected N/s, N/m or N/h";
		return -1;
	}
	switch (p[1]) {
	case 's': out->period = 1; break;
	case 'm': out->period = 60; break;
	case 'h': out->period = 3600; break;
	default:
		*err = "expected N/s, N/m or N/h";
		return -1;
	}
	out->count = (uint32_t)n;
	return 0;
}

void
rate_init(struct rate *r, const struct rate_spec *spec)
{
	memset(r, 0, sizeof(*r));
	if (spec != NULL && spec->period != 0 && spec->count != 0)
		r->interval = (uint64_t)spec->period * 1000000 / spec->count;
}

uint64_t
rate_wait(const struct rate *r, uint64_t now)
{
	if (r->interval == 0 || now >= r->next)
		return 0;
	return r->next - now;
}

uint64_t
rate_take(struct rate *r, uint64_t now)
{
	uint64_t w = rate_wait(r, now);

	if (w != 0)
		return w;
	if (r->interval != 0)
		r->next = now + r->interval;
	return 0;
}

int
rate_spec_equal(const struct rate_spec *a, const struct rate_spec *b)
{
	return a->count == b->count && a->period == b->period;
}
