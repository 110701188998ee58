/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * retry.h — the retry policy as a pure function.
 */
#ifndef SMARTHOSTD_RETRY_H
#define SMARTHOSTD_RETRY_H

#include <time.h>

/*
 * When to try again after the attempts-th failed attempt (attempts >= 1):
 * now + interval * 2^(attempts-1), capped at max_interval, then jittered by
 * a factor in [0.9, 1.1) from jitter in [0, 1).  Never earlier than now+1.
 */
time_t	retry_next(time_t now, long interval, long max_interval, int attempts,
	    double jitter);

/* Has a message that arrived at `created` outlived max_age at `now`? */
int	retry_expired(time_t created, long max_age, time_t now);

#endif
