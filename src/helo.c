/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * helo.c — owns the one rule for a client-supplied HELO name in our
 * Received: header.  RFC 5321 puts the name where a domain or an address
 * literal goes, outside any comment; a name such as
 * "x.test)(by.trusted.example" must not be able to end our comment or
 * imitate another hop.  The name stays visible, every unsafe octet as '?',
 * as Postfix shows unprintable text.
 */
#include <string.h>

#include "helo.h"
#include "util.h"

static int
helo_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == ':' || c == '[' || c == ']';
}

char *
helo_for_header(const char *helo)
{
	char	*out, *p;

	if (helo == NULL || *helo == '\0')
		return xstrdup("unknown");
	out = xstrdup(helo);
	for (p = out; *p != '\0'; p++) {
		if (!helo_char_ok((unsigned char)*p))
			*p = '?';
	}
	return out;
}
