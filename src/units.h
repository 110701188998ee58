/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * units.h — pure parsers for the configuration's durations and sizes.
 */
#ifndef SMARTHOSTD_UNITS_H
#define SMARTHOSTD_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* The size of the buffer the parsers write a reason into: the longest
 * reason with its NUL. */
#define UNITS_ERRLEN	48

/*
 * Parse a duration string: digits followed by an optional unit s, m, h or d
 * ("90s", "5m", "2h", "5d", "30" = seconds).  Must be positive.
 * Returns 0 and sets *secs, or -1 with a short reason in err (a buffer
 * of UNITS_ERRLEN bytes, or NULL).
 */
int	duration_parse(const char *s, long *secs, char *err);

/*
 * Parse a size string: digits followed by an optional K, M or G (binary
 * multiples: K = 1024).  Returns 0 and sets *bytes, or -1 with the reason
 * in err, as duration_parse().
 */
int	size_parse(const char *s, uint64_t *bytes, char *err);

/*
 * Either of the above by the table of its units, for a caller that treats
 * both alike (the configuration's typed getters): the value as a
 * uint64_t, at most LONG_MAX for a duration.
 */
struct unit_kind;
extern const struct unit_kind units_duration, units_size;
int	units_parse(const char *s, const struct unit_kind *, uint64_t *,
	    char *err);

#endif
