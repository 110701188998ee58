/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * retry.c — the retry policy as pure functions: exponential backoff with a
 * cap and jitter, and expiry by age.  Every input may be absurd (a corrupt
 * envelope, a clock far in the future); nothing here may overflow.
 */
#include <stdint.h>
#include <time.h>

#include "retry.h"

/* time_t is a signed integer type on every system we build on. */
#define TIME_T_MAX	((time_t)(sizeof(time_t) == 8 ? (time_t)INT64_MAX : \
			    (time_t)INT32_MAX))

time_t
retry_next(time_t now, long interval, long max_interval, int attempts,
    double jitter)
{
	long	delay;
	double	d;
	time_t	add;
	int	i;

	if (interval < 1)
		interval = 1;
	if (max_interval < 1)
		max_interval = 1;
	if (attempts < 1)
		attempts = 1;

	/* Double until the cap: at most ~63 rounds, whatever attempts is. */
	delay = interval;
	for (i = 1; i < attempts && delay < max_interval; i++) {
		if (delay > max_interval / 2) {
			delay = max_interval;
			break;
		}
		delay *= 2;
	}
	if (delay > max_interval)
		delay = max_interval;

	/*
	 * Factor (9 + 2 jitter) / 10 in [0.9, 1.1); multiplying before
	 * dividing keeps round numbers exact (60s at jitter 0 is 54s).
	 */
	if (!(jitter >= 0.0))		/* also NaN */
		jitter = 0.0;
	if (jitter >= 1.0)
		jitter = 0.999999;
	d = (double)delay * (9.0 + 2.0 * jitter) / 10.0;

	if (d < 1.0)
		add = 1;
	else if (d >= (double)TIME_T_MAX)
		add = TIME_T_MAX;
	else
		add = (time_t)d;	/* truncates: d is positive */
	if (now > TIME_T_MAX - add)
		return TIME_T_MAX;
	return now + add;
}

int
retry_expired(time_t created, long max_age, time_t now)
{
	uintmax_t	age;

	if (max_age <= 0)
		return 1;
	if (now < created)		/* the clock went back */
		return 0;
	/* now >= created, so the difference fits unsigned. */
	age = (uintmax_t)now - (uintmax_t)created;
	return age >= (uintmax_t)max_age;
}
