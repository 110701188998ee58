/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * units.h — pure parsers for the configuration's durations and sizes.
 */
#ifndef SMARTHOSTD_UNITS_H
#define SMARTHOSTD_UNITS_H

#include <stdint.h>

/*
 * Parse a duration string: digits followed by an optional unit s, m, h or d
 * ("90s", "5m", "2h", "5d", "30" = seconds).  Must be positive.
 * Returns 0 and sets *secs, or -1 with a short reason in *err.
 */
int	duration_parse(const char *s, long *secs, const char **err);

/*
 * Parse a size string: digits followed by an optional K, M or G (binary
 * multiples: K = 1024).  Returns 0 and sets *bytes, or -1 with *err.
 */
int	size_parse(const char *s, uint64_t *bytes, const char **err);

#endif
