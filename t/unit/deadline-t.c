/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * deadline-t.c — deadline_extend(): the minimum data rate moves the DATA
 * deadline by octets/rate and never beyond timeout from now.
 */
#include <sys/time.h>

#include <stdint.h>

#include "deadline.h"
#include "../tap.h"

static long long
us_of(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

int
main(void)
{
	struct timeval	now = { 1000, 0 }, dl;
	int		i;

	/* 354 at t=1000 with timeout 5: deadline 1005; now it is 1002. */
	dl.tv_sec = 1005;
	dl.tv_usec = 0;
	now.tv_sec = 1002;
	deadline_extend(&dl, &now, 250, 500, 5);
	is_int(us_of(&dl), 1005500000LL, "250 octets at 500/s add 0.5 s");

	dl.tv_sec = 1005;
	dl.tv_usec = 0;
	now.tv_sec = 1000;
	deadline_extend(&dl, &now, 100000, 500, 5);
	is_int(us_of(&dl), 1005000000LL, "never past now + timeout");

	/* A fast sender: at t=1003 with the deadline at 1001 (it was far
	 * behind), 10000 octets catch up to the cap. */
	now.tv_sec = 1003;
	dl.tv_sec = 1001;
	deadline_extend(&dl, &now, 10000, 500, 5);
	is_int(us_of(&dl), 1008000000LL, "catching up is capped at now + 5");

	/* A dripper: one octet a second gains 2 ms a second, so a 5 s
	 * deadline is hit after about 5 s, not never. */
	dl.tv_sec = 1005;
	dl.tv_usec = 0;
	for (i = 1; i <= 5; i++) {
		now.tv_sec = 1000 + i;
		deadline_extend(&dl, &now, 1, 500, 5);
	}
	is_int(us_of(&dl), 1005010000LL, "5 octets in 5 s gain 10 ms");
	ok(timercmp(&dl, &now, >) && dl.tv_sec == 1005,
	    "the dripper's deadline is still about 1005");

	/* rate 0: an idle timer, any octet gives a full timeout. */
	dl.tv_sec = 1001;
	dl.tv_usec = 0;
	now.tv_sec = 1004;
	deadline_extend(&dl, &now, 1, 0, 5);
	is_int(us_of(&dl), 1009000000LL, "rate 0: now + timeout");

	/* Huge counts and rates do not overflow. */
	dl.tv_sec = 1005;
	dl.tv_usec = 0;
	now.tv_sec = 1000;
	deadline_extend(&dl, &now, UINT64_MAX, 1, 5);
	is_int(us_of(&dl), 1005000000LL, "UINT64_MAX octets: the cap");
	dl.tv_sec = 1002;
	deadline_extend(&dl, &now, UINT64_MAX / 2, UINT64_MAX, 5);
	ok(dl.tv_sec == 1002 && dl.tv_usec == 499999,
	    "huge rate: a fraction of a second, no overflow");
	dl.tv_sec = 1002;
	dl.tv_usec = 999999;
	deadline_extend(&dl, &now, 1, 1000000, 5);
	is_int(us_of(&dl), 1003000000LL, "microseconds carry into seconds");
	return done_testing();
}
