/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * ratelimit-t.c — rate_parse() on good and bad settings, and the start
 * schedule over a fake clock: spacing, no burst after idling, asking
 * early takes nothing, no limit, and a reload that keeps or resets it.
 */
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"
#include "../tap.h"

#define SEC	1000000ULL

static void
parse_ok(const char *s, unsigned count, unsigned period)
{
	struct rate_spec	 r;
	const char		*err = NULL;
	char			 t[100];

	snprintf(t, sizeof(t), "\"%s\" parses", s);
	is_int(rate_parse(s, &r, &err), 0, t);
	snprintf(t, sizeof(t), "\"%s\" count", s);
	is_int(r.count, count, t);
	snprintf(t, sizeof(t), "\"%s\" period", s);
	is_int(r.period, period, t);
}

static void
parse_bad(const char *s)
{
	struct rate_spec	 r;
	const char		*err = NULL;
	char			 t[100];

	snprintf(t, sizeof(t), "\"%s\" refused", s);
	is_int(rate_parse(s, &r, &err), -1, t);
	snprintf(t, sizeof(t), "\"%s\" refused with a reason", s);
	ok(err != NULL && *err != '\0', t);
}

int
main(void)
{
	struct rate_spec	 spec;
	struct rate		 r;
	const char		*err;
	uint64_t		 now, w;
	int			 i, started, spaced;

	parse_ok("60/m", 60, 60);
	parse_ok("1/s", 1, 1);
	parse_ok("100/h", 100, 3600);
	parse_ok("1000000/s", 1000000, 1);
	parse_ok("007/m", 7, 60);
	parse_bad("");
	parse_bad("0/m");
	parse_bad("60");
	parse_bad("60/");
	parse_bad("60/d");
	parse_bad("60/min");
	parse_bad("60/M");
	parse_bad("/m");
	parse_bad("-1/m");
	parse_bad(" 60/m");
	parse_bad("60 /m");
	parse_bad("1000001/s");
	parse_bad("99999999999999999999/s");
	parse_bad("6x/m");

	/* 60/m: one start a second. */
	rate_parse("60/m", &spec, &err);
	rate_init(&r, &spec);
	now = 1000 * SEC;
	is_int(rate_take(&r, now), 0, "60/m: the first message starts at once");
	is_int(rate_take(&r, now), SEC, "60/m: the second waits one second");
	is_int(rate_wait(&r, now + SEC / 4), 3 * SEC / 4,
	    "60/m: a quarter later, three quarters remain");
	is_int(rate_take(&r, now + SEC / 2), SEC / 2,
	    "60/m: asking early takes nothing");
	is_int(rate_take(&r, now + SEC - 1), 1, "60/m: one microsecond early");
	is_int(rate_take(&r, now + SEC), 0, "60/m: on time it starts");

	/* 30 messages taken as soon as allowed span 29 intervals. */
	rate_init(&r, &spec);
	now = 5 * SEC;
	started = 0;
	spaced = 1;
	for (i = 0; i < 1000 && started < 30; i++) {
		w = rate_take(&r, now);
		if (w == 0) {
			started++;
			continue;
		}
		if (w > SEC)
			spaced = 0;
		now += w;
	}
	is_int(started, 30, "30 messages started");
	is_int(now - 5 * SEC, 29 * SEC, "... over 29 seconds");
	ok(spaced, "... never a wait over one interval");

	/* An idle relayer saves up no burst. */
	now += 3600 * SEC;
	is_int(rate_take(&r, now), 0, "after an hour idle: one starts");
	ok(rate_take(&r, now) > 0, "after an hour idle: no burst");

	/* 7/s does not divide a second: the interval rounds down. */
	rate_parse("7/s", &spec, &err);
	rate_init(&r, &spec);
	is_int(r.interval, 142857, "7/s: 142857 us apart");

	/* No limit. */
	rate_init(&r, NULL);
	for (i = 0, started = 0; i < 1000; i++)
		started += rate_take(&r, 0) == 0;
	is_int(started, 1000, "no limit: everything starts at once");

	{
		struct rate_spec a = { 60, 60 }, b = { 60, 60 }, c = { 1, 1 };

		ok(rate_spec_equal(&a, &b), "60/m equals 60/m (keep schedule)");
		ok(!rate_spec_equal(&a, &c), "60/m is not 1/s (new schedule)");
	}
	done_testing();
}
