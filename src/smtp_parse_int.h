/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_parse_int.h — what the two files of the pure command parser share:
 * the verbs and the other commands' arguments (smtp_parse.c) call the
 * path and ESMTP parameter parser of MAIL and RCPT (smtp_parse_addr.c).
 * Nothing else includes it.
 */
#ifndef SMARTHOSTD_SMTP_PARSE_INT_H
#define SMARTHOSTD_SMTP_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct smtp_cmd;

static inline int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Case-insensitive ASCII comparison of n octets against a literal. */
static inline bool
ncaseeq(const char *s, size_t n, const char *lit)
{
	size_t	i;

	if (strlen(lit) != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
			return false;
	return true;
}

/* MAIL FROM:<path> [params] or RCPT TO:<path>, args past the verb: NULL,
 * or the reply for a syntax error. */
const char	*smtp_path_cmd(const char *, size_t, bool, struct smtp_cmd *);

#endif
