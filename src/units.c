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

int
duration_parse(const char *s, long *secs, char *err)
{
	const char	*end;
	char		 dummy[UNITS_ERRLEN];
	uint64_t	 n, mult;

	if (err == NULL)
		err = dummy;
	if ((end = parse_digits(s, LONG_MAX, &n, err)) == NULL)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 60 * 60;
		break;
	case 'd':
		mult = 24 * 60 * 60;
		break;
	default:
		bad_unit(*end, "expected s, m, h or d", err);
		return -1;
	}
	if (*end != '\0' && end[1] != '\0') {
		set_err(err, "unexpected text after the unit");
		return -1;
	}
	if (n == 0) {
		set_err(err, "must be positive");
		return -1;
	}
	if (n > (uint64_t)LONG_MAX / mult) {
		set_err(err, "too large");
		return -1;
	}
	*secs = (long)(n * mult);
	return 0;
}

int
size_parse(const char *s, uint64_t *bytes, char *err)
{
	const char	*end;
	char		 dummy[UNITS_ERRLEN];
	uint64_t	 n;
	int		 shift;

	if (err == NULL)
		err = dummy;
	if ((end = parse_digits(s, UINT64_MAX, &n, err)) == NULL)
		return -1;
	/* Lower case is accepted too: nobody means millibytes. */
	switch (*end) {
	case '\0':
		shift = 0;
		break;
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	default:
		bad_unit(*end, "expected K, M or G", err);
		return -1;
	}
	if (*end != '\0' && end[1] != '\0') {
		set_err(err, "unexpected text after the unit");
		return -1;
	}
	if (n > (UINT64_MAX >> shift)) {
		set_err(err, "too large");
		return -1;
	}
	*bytes = n << shift;
	return 0;
}
