/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * units.c — the configuration's durations ("90s", "5m", "2h", "5d") and
 * sizes ("512K", "25M", "1G").  Pure: a string in, a number or a short
 * reason out.  The caller adds the file, line and setting name.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

/* A constant reason into the caller's buffer. */
static void
set_err(char *err, const char *why)
{
	size_t	 n = strlen(why);

	if (n >= UNITS_ERRLEN)
		n = UNITS_ERRLEN - 1;
	memcpy(err, why, n);
	err[n] = '\0';
}

/*
 * Why the character where a unit was expected is not one, into err: the
 * letter itself when it is one ("unknown unit 'w' (expected s, m, h or
 * d)"), so the user sees what they typed.  Written into the caller's
 * buffer rather than picked from a table of one constant message per
 * letter: that table was 5 KB of the daemon.
 */
static void
bad_unit(char c, const char *expected, char *err)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		(void)snprintf(err, UNITS_ERRLEN, "unknown unit '%c' (%s)", c,
		    expected);
	else if (c == '.' || c == ',')
		set_err(err, "must be a whole number");
	else if (c == ' ' || c == '\t')
		set_err(err, "unexpected space");
	else
		(void)snprintf(err, UNITS_ERRLEN, "unknown unit (%s)", expected);
}

/*
 * Leading decimal digits of s (NULL: empty) into *v, refusing what does
 * not fit in max.
 * Returns a pointer past the digits, or NULL with the reason in err.
 */
static const char *
parse_digits(const char *s, uint64_t max, uint64_t *v, char *err)
{
	uint64_t	 n = 0;
	unsigned int	 d;

	if (s == NULL || *s == '\0') {
		set_err(err, "empty value");
		return NULL;
	}
	if (*s == '-') {
		set_err(err, "must not be negative");
		return NULL;
	}
	if (*s == ' ' || *s == '\t') {
		set_err(err, "unexpected space");
		return NULL;
	}
	if (*s < '0' || *s > '9') {
		set_err(err, "expected a number");
		return NULL;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned int)(*s - '0');
		if (n > (max - d) / 10) {
			set_err(err, "too large");
			return NULL;
		}
		n = n * 10 + d;
	}
	*v = n;
	return s;
}

/*
 * The units of one kind of value: each letter of `letters` multiplies by
 * the entry of `mult` at its index; no letter multiplies by 1.
 */
struct unit_kind {
	const char	*letters;
	uint64_t	 mult[6];
	const char	*expected;	/* the reason's hint on a bad unit */
	uint64_t	 max;		/* the largest value, units applied */
	int		 positive;	/* refuse 0 */
};

const struct unit_kind units_duration = {
	"smhd", { 1, 60, 60 * 60, 24 * 60 * 60 }, "expected s, m, h or d",
	LONG_MAX, 1
};

/* Lower case is accepted too: nobody means millibytes. */
const struct unit_kind units_size = {
	"KkMmGg", { 1ULL << 10, 1ULL << 10, 1ULL << 20, 1ULL << 20,
	1ULL << 30, 1ULL << 30 }, "expected K, M or G", UINT64_MAX, 0
};

/* Digits and an optional unit of kind u into *out. */
int
units_parse(const char *s, const struct unit_kind *u, uint64_t *out,
    char *err)
{
	const char	*end, *letter;
	char		 dummy[UNITS_ERRLEN];
	uint64_t	 n, mult = 1;

	if (err == NULL)
		err = dummy;
	if ((end = parse_digits(s, u->max, &n, err)) == NULL)
		return -1;
	if (*end != '\0') {
		if ((letter = strchr(u->letters, *end)) == NULL) {
			bad_unit(*end, u->expected, err);
			return -1;
		}
		mult = u->mult[letter - u->letters];
		if (end[1] != '\0') {
			set_err(err, "unexpected text after the unit");
			return -1;
		}
	}
	if (u->positive && n == 0) {
		set_err(err, "must be positive");
		return -1;
	}
	if (n > u->max / mult) {
		set_err(err, "too large");
		return -1;
	}
	*out = n * mult;
	return 0;
}

int
duration_parse(const char *s, long *secs, char *err)
{
	uint64_t	n;

	if (units_parse(s, &units_duration, &n, err) == -1)
		return -1;
	*secs = (long)n;
	return 0;
}

int
size_parse(const char *s, uint64_t *bytes, char *err)
{
	return units_parse(s, &units_size, bytes, err);
}
