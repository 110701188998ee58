/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * units-t.c — duration_parse() and size_parse(): every unit, the edges of
 * overflow, and the malformed values a hand-written file contains.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "units.h"
#include "../tap.h"

static void
dur_ok(const char *s, long want)
{
	long		 v = -12345;
	char		 err[UNITS_ERRLEN] = "";
	char		 name[128];
	int		 r;

	r = duration_parse(s, &v, err);
	snprintf(name, sizeof(name), "duration \"%s\" parses", s);
	is_int(r, 0, name);
	snprintf(name, sizeof(name), "duration \"%s\" = %ld", s, want);
	is_int(v, want, name);
}

static void
dur_bad(const char *s, const char *want_err)
{
	long		 v = -12345;
	char		 err[UNITS_ERRLEN] = "";
	char		 name[128];
	int		 r;

	r = duration_parse(s, &v, err);
	snprintf(name, sizeof(name), "duration \"%s\" rejected", s ? s : "NULL");
	is_int(r, -1, name);
	snprintf(name, sizeof(name), "duration \"%s\" leaves result alone",
	    s ? s : "NULL");
	is_int(v, -12345, name);
	snprintf(name, sizeof(name), "duration \"%s\" error", s ? s : "NULL");
	if (want_err != NULL)
		is_str(err, want_err, name);
	else
		ok(*err != '\0', name);
}

static void
size_ok(const char *s, uint64_t want)
{
	uint64_t	 v = 777;
	char		 err[UNITS_ERRLEN] = "";
	char		 name[128];
	int		 r;

	r = size_parse(s, &v, err);
	snprintf(name, sizeof(name), "size \"%s\" parses", s);
	is_int(r, 0, name);
	snprintf(name, sizeof(name), "size \"%s\" value", s);
	ok(v == want, name);
	if (v != want)
		printf("#   got %llu want %llu\n", (unsigned long long)v,
		    (unsigned long long)want);
}

static void
size_bad(const char *s, const char *want_err)
{
	uint64_t	 v = 777;
	char		 err[UNITS_ERRLEN] = "";
	char		 name[128];
	int		 r;

	r = size_parse(s, &v, err);
	snprintf(name, sizeof(name), "size \"%s\" rejected", s ? s : "NULL");
	is_int(r, -1, name);
	snprintf(name, sizeof(name), "size \"%s\" leaves result alone",
	    s ? s : "NULL");
	ok(v == 777, name);
	snprintf(name, sizeof(name), "size \"%s\" error", s ? s : "NULL");
	if (want_err != NULL)
		is_str(err, want_err, name);
	else
		ok(*err != '\0', name);
}

int
main(void)
{
	char	buf[64];
	long	v;

	/* Durations: each unit, and bare seconds. */
	dur_ok("30", 30);
	dur_ok("1", 1);
	dur_ok("1s", 1);
	dur_ok("90s", 90);
	dur_ok("5m", 300);
	dur_ok("2h", 7200);
	dur_ok("5d", 432000);
	dur_ok("007s", 7);
	dur_ok("60m", 3600);

	/* The largest values that fit, and the first ones that do not. */
	snprintf(buf, sizeof(buf), "%ld", LONG_MAX);
	dur_ok(buf, LONG_MAX);
	snprintf(buf, sizeof(buf), "%lds", LONG_MAX);
	dur_ok(buf, LONG_MAX);
	snprintf(buf, sizeof(buf), "%ldd", LONG_MAX / 86400);
	dur_ok(buf, LONG_MAX / 86400 * 86400);
	snprintf(buf, sizeof(buf), "%ldd", LONG_MAX / 86400 + 1);
	dur_bad(buf, "too large");
	snprintf(buf, sizeof(buf), "%ldm", LONG_MAX / 60 + 1);
	dur_bad(buf, "too large");
	snprintf(buf, sizeof(buf), "%ldh", LONG_MAX / 3600 + 1);
	dur_bad(buf, "too large");
	dur_bad("9223372036854775808", "too large");
	dur_bad("99999999999999999999999999999999s", "too large");

	/* Malformed. */
	dur_bad("", "empty value");
	dur_bad(NULL, "empty value");
	dur_bad("0", "must be positive");
	dur_bad("0s", "must be positive");
	dur_bad("000d", "must be positive");
	dur_bad("-1", "must not be negative");
	dur_bad("-5m", "must not be negative");
	dur_bad("+5", "expected a number");
	dur_bad("5x", "unknown unit 'x' (expected s, m, h or d)");
	dur_bad("5S", "unknown unit 'S' (expected s, m, h or d)");
	dur_bad("5w", "unknown unit 'w' (expected s, m, h or d)");
	dur_bad("5%", "unknown unit (expected s, m, h or d)");
	dur_bad(" 5s", "unexpected space");
	dur_bad("5 s", "unexpected space");
	dur_bad("5s ", "unexpected text after the unit");
	dur_bad("1.5h", "must be a whole number");
	dur_bad("5ss", "unexpected text after the unit");
	dur_bad("5min", "unexpected text after the unit");
	dur_bad("s", "expected a number");
	dur_bad("m5", "expected a number");
	dur_bad("0x10", "unknown unit 'x' (expected s, m, h or d)");

	/* A NULL err pointer is tolerated. */
	is_int(duration_parse("5x", &v, NULL), -1, "NULL err tolerated (bad)");
	is_int(duration_parse("5m", &v, NULL), 0, "NULL err tolerated (good)");
	is_int(v, 300, "NULL err: value still set");

	/* Sizes. */
	size_ok("0", 0);
	size_ok("0K", 0);
	size_ok("1", 1);
	size_ok("1000", 1000);
	size_ok("512K", 512ULL * 1024);
	size_ok("512k", 512ULL * 1024);
	size_ok("25M", 25ULL * 1024 * 1024);
	size_ok("25m", 25ULL * 1024 * 1024);
	size_ok("1G", 1024ULL * 1024 * 1024);
	size_ok("1g", 1024ULL * 1024 * 1024);
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("17179869183G", 17179869183ULL << 30);
	size_bad("17179869184G", "too large");
	size_ok("17592186044415M", 17592186044415ULL << 20);
	size_bad("17592186044416M", "too large");
	size_ok("18014398509481983K", 18014398509481983ULL << 10);
	size_bad("18014398509481984K", "too large");
	size_bad("18446744073709551616", "too large");

	size_bad("", "empty value");
	size_bad(NULL, "empty value");
	size_bad("-1", "must not be negative");
	size_bad("25X", "unknown unit 'X' (expected K, M or G)");
	size_bad("25T", "unknown unit 'T' (expected K, M or G)");
	size_bad("25MB", "unexpected text after the unit");
	size_bad("1.5M", "must be a whole number");
	size_bad(" 1M", "unexpected space");
	size_bad("1 M", "unexpected space");
	size_bad("M", "expected a number");
	size_bad("25#", "unknown unit (expected K, M or G)");

	return done_testing();
}
