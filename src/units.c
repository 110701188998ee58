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

#include "units.h"

/*
 * Messages for a letter where a unit was expected, so the user sees the
 * letter they typed without us needing a buffer (err points at constant
 * storage and the function stays pure).
 */
#define DUR_UNIT(c)	"unknown unit '" #c "' (expected s, m, h or d)"
#define SIZE_UNIT(c)	"unknown unit '" #c "' (expected K, M or G)"
/* One message per letter, in order, for each table below. */
#define LOWER(MSG)	MSG(a), MSG(b), MSG(c), MSG(d), MSG(e), MSG(f), \
	MSG(g), MSG(h), MSG(i), MSG(j), MSG(k), MSG(l), MSG(m), MSG(n), \
	MSG(o), MSG(p), MSG(q), MSG(r), MSG(s), MSG(t), MSG(u), MSG(v), \
	MSG(w), MSG(x), MSG(y), MSG(z)
#define UPPER(MSG)	MSG(A), MSG(B), MSG(C), MSG(D), MSG(E), MSG(F), \
	MSG(G), MSG(H), MSG(I), MSG(J), MSG(K), MSG(L), MSG(M), MSG(N), \
	MSG(O), MSG(P), MSG(Q), MSG(R), MSG(S), MSG(T), MSG(U), MSG(V), \
	MSG(W), MSG(X), MSG(Y), MSG(Z)

static const char *const dur_unit_lower[26] = { LOWER(DUR_UNIT) };
static const char *const dur_unit_upper[26] = { UPPER(DUR_UNIT) };
static const char *const size_unit_lower[26] = { LOWER(SIZE_UNIT) };
static const char *const size_unit_upper[26] = { UPPER(SIZE_UNIT) };

/* Why the character where a unit was expected is not one. */
static const char *
bad_unit(char c, const char *const *lower, const char *const *upper,
    const char *generic)
{
	if (c >= 'a' && c <= 'z')
		return lower[c - 'a'];
	if (c >= 'A' && c <= 'Z')
		return upper[c - 'A'];
	if (c == '.' || c == ',')
		return "must be a whole number";
	if (c == ' ' || c == '\t')
		return "unexpected space";
	return generic;
}

/*
 * Leading decimal digits of s (NULL: empty) into *v, refusing what does
 * not fit in max.
 * Returns a pointer past the digits, or NULL with *err set.
 */
static const char *
parse_digits(const char *s, uint64_t max, uint64_t *v, const char **err)
{
	uint64_t	 n = 0;
	unsigned int	 d;

	if (s == NULL || *s == '\0') {
		*err = "empty value";
		return NULL;
	}
	if (*s == '-') {
		*err = "must not be negative";
		return NULL;
	}
	if (*s == ' ' || *s == '\t') {
		*err = "unexpected space";
		return NULL;
	}
	if (*s < '0' || *s > '9') {
		*err = "expected a number";
		return NULL;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned int)(*s - '0');
		if (n > (max - d) / 10) {
			*err = "too large";
			return NULL;
		}
		n = n * 10 + d;
	}
	*v = n;
	return s;
}

int
duration_parse(const char *s, long *secs, const char **err)
{
	const char	*end;
	const char	*dummy;
	uint64_t	 n, mult;

	if (err == NULL)
		err = &dummy;
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
		*err = bad_unit(*end, dur_unit_lower, dur_unit_upper,
		    "unknown unit (expected s, m, h or d)");
		return -1;
	}
	if (*end != '\0' && end[1] != '\0') {
		*err = "unexpected text after the unit";
		return -1;
	}
	if (n == 0) {
		*err = "must be positive";
		return -1;
	}
	if (n > (uint64_t)LONG_MAX / mult) {
		*err = "too large";
		return -1;
	}
	*secs = (long)(n * mult);
	return 0;
}

int
size_parse(const char *s, uint64_t *bytes, const char **err)
{
	const char	*end;
	const char	*dummy;
	uint64_t	 n;
	int		 shift;

	if (err == NULL)
		err = &dummy;
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
		*err = bad_unit(*end, size_unit_lower, size_unit_upper,
		    "unknown unit (expected K, M or G)");
		return -1;
	}
	if (*end != '\0' && end[1] != '\0') {
		*err = "unexpected text after the unit";
		return -1;
	}
	if (n > (UINT64_MAX >> shift)) {
		*err = "too large";
		return -1;
	}
	*bytes = n << shift;
	return 0;
}
