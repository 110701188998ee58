/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * retry-t.c — retry_next() and retry_expired(): the doubling, the cap, the
 * jitter bounds, and absurd inputs that must not overflow.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "retry.h"
#include "../tap.h"

#define NOW		((time_t)1700000000)
#define TMAX		((time_t)(sizeof(time_t) == 8 ? (time_t)INT64_MAX : \
			    (time_t)INT32_MAX))

int
main(void)
{
	char	name[128];
	time_t	t, lo, hi;
	int	a, good;
	double	j;

	/* Jitter 0.5 is factor 1: the plain doubling, then the cap. */
	is_int(retry_next(NOW, 60, 3600, 1, 0.5), NOW + 60, "1st: interval");
	is_int(retry_next(NOW, 60, 3600, 2, 0.5), NOW + 120, "2nd: doubled");
	is_int(retry_next(NOW, 60, 3600, 3, 0.5), NOW + 240, "3rd");
	is_int(retry_next(NOW, 60, 3600, 4, 0.5), NOW + 480, "4th");
	is_int(retry_next(NOW, 60, 3600, 6, 0.5), NOW + 1920, "6th");
	is_int(retry_next(NOW, 60, 3600, 7, 0.5), NOW + 3600,
	    "7th: 3840 capped at 3600");
	is_int(retry_next(NOW, 60, 3600, 8, 0.5), NOW + 3600, "8th: capped");
	is_int(retry_next(NOW, 60, 3600, 100, 0.5), NOW + 3600,
	    "100th: capped, no overflow");
	is_int(retry_next(NOW, 60, 3600, 2147483647, 0.5), NOW + 3600,
	    "INT_MAX attempts: capped, no overflow");
	is_int(retry_next(NOW, 1000, 1000, 5, 0.5), NOW + 1000,
	    "interval equal to the cap");
	is_int(retry_next(NOW, 5000, 1000, 1, 0.5), NOW + 1000,
	    "interval above the cap is capped");
	is_int(retry_next(NOW, 1, 7, 3, 0.5), NOW + 4, "small: 1, 2, 4");
	is_int(retry_next(NOW, 1, 7, 4, 0.5), NOW + 7, "small: 8 capped at 7");
	is_int(retry_next(NOW, 3, 7, 2, 0.5), NOW + 6, "small: 6 under 7");
	is_int(retry_next(NOW, 3, 7, 3, 0.5), NOW + 7, "small: 12 capped");

	/* Jitter bounds: factor in [0.9, 1.1). */
	is_int(retry_next(NOW, 60, 3600, 1, 0.0), NOW + 54, "jitter 0: 0.9");
	is_int(retry_next(NOW, 100, 3600, 1, 0.0), NOW + 90, "jitter 0: 90");
	is_int(retry_next(NOW, 100, 3600, 1, 0.25), NOW + 95,
	    "jitter 0.25: 95");
	is_int(retry_next(NOW, 100, 3600, 1, 0.999999999), NOW + 109,
	    "jitter near 1: below 1.1");
	is_int(retry_next(NOW, 3600, 3600, 10, 0.0), NOW + 3240,
	    "jitter applies after the cap (low)");
	is_int(retry_next(NOW, 3600, 3600, 10, 0.99), NOW + 3952,
	    "jitter applies after the cap (high)");
	is_int(retry_next(NOW, 100, 3600, 1, 1.0), NOW + 109,
	    "jitter 1 clamped below 1");
	is_int(retry_next(NOW, 100, 3600, 1, 7.5), NOW + 109,
	    "jitter > 1 clamped");
	is_int(retry_next(NOW, 100, 3600, 1, -3.0), NOW + 90,
	    "jitter < 0 clamped");
	is_int(retry_next(NOW, 100, 3600, 1, 0.0 / 0.0), NOW + 90,
	    "jitter NaN treated as 0");

	good = 1;
	for (a = 1; a <= 70; a++)
		for (j = 0.0; j < 1.0; j += 0.01) {
			long	base = 60;
			int	k;

			for (k = 1; k < a && base < 3600; k++)
				base *= 2;
			if (base > 3600)
				base = 3600;
			lo = NOW + (time_t)(base * 9 / 10);
			hi = NOW + (time_t)(base * 11 / 10);
			t = retry_next(NOW, 60, 3600, a, j);
			if (t < lo || t >= hi) {
				if (good)
					printf("#   attempts %d jitter %f: %lld "
					    "not in [%lld, %lld)\n", a, j,
					    (long long)(t - NOW),
					    (long long)(lo - NOW),
					    (long long)(hi - NOW));
				good = 0;
			}
		}
	ok(good, "every (attempts, jitter) within [0.9, 1.1) of the step");

	/* Never earlier than now + 1. */
	is_int(retry_next(NOW, 1, 1, 1, 0.0), NOW + 1, "1s at 0.9 is still 1");
	is_int(retry_next(NOW, 0, 0, 1, 0.5), NOW + 1, "zero interval: +1");
	is_int(retry_next(NOW, -5, -5, 1, 0.5), NOW + 1,
	    "negative interval: +1");
	is_int(retry_next(NOW, 60, 3600, 0, 0.5), NOW + 60,
	    "attempts 0 treated as 1");
	is_int(retry_next(NOW, 60, 3600, -4, 0.5), NOW + 60,
	    "negative attempts treated as 1");
	is_int(retry_next(0, 60, 3600, 1, 0.5), 60, "now = 0");

	/* Huge values saturate instead of overflowing. */
	is_int(retry_next(TMAX - 10, 60, 3600, 1, 0.5), TMAX,
	    "near the end of time: saturates");
	is_int(retry_next(TMAX, 60, 3600, 1, 0.5), TMAX, "at the end of time");
	t = retry_next(NOW, 2147483647L, 2147483647L, 1, 0.99);
	if (sizeof(time_t) > 4) {
		time_t	big = 2147483647L;	/* not a constant: no
						 * overflow warning on
						 * 32-bit time_t */
		ok(t > NOW + big, "2^31 s interval, jitter up");
	} else
		is_int(t, TMAX, "2^31 s interval saturates (32-bit time_t)");
	snprintf(name, sizeof(name), "LONG_MAX interval and cap");
	t = retry_next(NOW, (long)(~0UL >> 1), (long)(~0UL >> 1), 50, 0.99);
	ok(t >= NOW + 1, name);
	if (sizeof(long) == sizeof(time_t))
		is_int(t, TMAX, "LONG_MAX * 1.1 saturates");
	else
		ok(1, "LONG_MAX * 1.1 (skipped: long narrower than time_t)");
	t = retry_next(-1000, 60, 3600, 1, 0.5);
	is_int(t, -940, "negative now");

	/* retry_expired */
	is_int(retry_expired(NOW, 432000, NOW), 0, "fresh");
	is_int(retry_expired(NOW, 432000, NOW + 431999), 0, "1s before");
	is_int(retry_expired(NOW, 432000, NOW + 432000), 1, "exactly max_age");
	is_int(retry_expired(NOW, 432000, NOW + 432001), 1, "after");
	is_int(retry_expired(NOW, 1, NOW), 0, "1s max_age, fresh");
	is_int(retry_expired(NOW, 1, NOW + 1), 1, "1s max_age, 1s later");
	is_int(retry_expired(NOW + 100, 60, NOW), 0,
	    "created in the future: not expired");
	is_int(retry_expired(NOW, 0, NOW), 1, "zero max_age: expired");
	is_int(retry_expired(NOW, -1, NOW - 5), 1, "negative max_age");
	is_int(retry_expired(-TMAX, 60, TMAX), 1,
	    "difference larger than time_t: no overflow");
	is_int(retry_expired(-TMAX, (long)(~0UL >> 1), TMAX), 1,
	    "huge max_age, huger age");
	is_int(retry_expired(0, (long)(~0UL >> 1), TMAX - 1),
	    sizeof(long) == sizeof(time_t) ? 0 : 1, "huge max_age not reached");
	is_int(retry_expired(TMAX, 60, -TMAX), 0, "far future creation");

	return done_testing();
}
