/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_canon-t.c — unit tests for dkim_canon.c: RFC 6376 §3.4.5's example,
 * empty bodies, trailing empty lines and blanks, no final CRLF, and the
 * same output whatever the chunking.
 */
#include <stdlib.h>
#include <string.h>

#include "dkim_canon.h"
#include "util.h"
#include "../tap.h"

static void
collect(void *arg, const void *p, size_t len)
{
	buf_add(arg, p, len);
}

/* Canonical body of s fed in chunks of step octets (0: at once). */
static char *
body(enum dkim_canon c, const char *s, size_t len, size_t step)
{
	struct dkim_body b;
	struct buf	 out = { NULL, 0, 0 };
	size_t		 i, k;

	dkim_body_init(&b, c, collect, &out);
	if (step == 0)
		dkim_body_feed(&b, s, len);
	else
		for (i = 0; i < len; i += k) {
			k = len - i < step ? len - i : step;
			dkim_body_feed(&b, s + i, k);
		}
	dkim_body_finish(&b);
	buf_add(&out, "", 0);
	return out.p != NULL ? out.p : xstrdup("");
}

static void
is_body(enum dkim_canon c, const char *in, const char *want, const char *name)
{
	size_t	 step, len = strlen(in);
	char	*got;
	int	 same = 1;

	got = body(c, in, len, 0);
	is_str(got, want, name);
	free(got);
	for (step = 1; step <= len && step < 8; step++) {
		got = body(c, in, len, step);
		if (strcmp(got, want) != 0)
			same = 0;
		free(got);
	}
	ok(same, "... and the same in chunks of 1 to 7 octets");
}

static void
is_header(enum dkim_canon c, const char *in, const char *want,
    const char *name)
{
	struct buf	 out = { NULL, 0, 0 };

	dkim_canon_header(c, in, strlen(in), &out);
	is_str(out.p, want, name);
	free(out.p);
}

int
main(void)
{
	char	*big, *got;
	size_t	 i;

	/* RFC 6376 §3.4.5 */
	is_header(DKIM_RELAXED, "A: X\r\n", "a:X\r\n", "rfc 6376 3.4.5 A");
	is_header(DKIM_RELAXED, "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n",
	    "rfc 6376 3.4.5 B, relaxed");
	is_header(DKIM_SIMPLE, "B : Y\t\r\n\tZ  \r\n", "B : Y\t\r\n\tZ  \r\n",
	    "rfc 6376 3.4.5 B, simple");
	is_header(DKIM_SIMPLE, "A: X", "A: X\r\n", "simple adds the CRLF");
	is_header(DKIM_RELAXED, "SubJect :  a \t b  \r\n\t c  ",
	    "subject:a b c\r\n", "relaxed: name, blanks, folding");
	is_header(DKIM_RELAXED, "X-Empty:", "x-empty:\r\n", "empty value");
	is_header(DKIM_RELAXED, "X-Empty:  \r\n\t ", "x-empty:\r\n",
	    "blank value");
	is_body(DKIM_RELAXED, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n",
	    "rfc 6376 3.4.5 body, relaxed");
	is_body(DKIM_SIMPLE, " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n",
	    "rfc 6376 3.4.5 body, simple");

	is_body(DKIM_SIMPLE, "", "\r\n", "empty body, simple: CRLF");
	is_body(DKIM_RELAXED, "", "", "empty body, relaxed: nothing");
	is_body(DKIM_SIMPLE, "\r\n\r\n\r\n", "\r\n",
	    "only empty lines, simple");
	is_body(DKIM_RELAXED, "\r\n \r\n\t\r\n", "",
	    "only blank lines, relaxed");
	is_body(DKIM_SIMPLE, " \r\n", " \r\n", "a blank line, simple");
	is_body(DKIM_SIMPLE, "no break", "no break\r\n",
	    "no final CRLF, simple");
	is_body(DKIM_RELAXED, "no break  ", "no break\r\n",
	    "no final CRLF, relaxed, trailing blanks");
	is_body(DKIM_RELAXED, "a\r\n  ", "a\r\n",
	    "a last line of blanks without CRLF, relaxed");
	is_body(DKIM_SIMPLE, "a\r\n  ", "a\r\n  \r\n",
	    "a last line of blanks without CRLF, simple");
	is_body(DKIM_RELAXED, "a\r\n\r\n\r\nb\r\n\r\n", "a\r\n\r\n\r\nb\r\n",
	    "inner empty lines stay");
	is_body(DKIM_RELAXED, "\t a\t\tb \r\n", " a b\r\n",
	    "leading blanks become one SP");
	is_body(DKIM_SIMPLE, "a\rb\nc\r\n", "a\rb\nc\r\n",
	    "bare CR and LF are octets");
	is_body(DKIM_RELAXED, "a \r", "a \r\r\n",
	    "a CR at the very end is an octet");
	is_body(DKIM_RELAXED, ".\r\n..\r\n\xc3\xa9t\xc3\xa9 \r\n",
	    ".\r\n..\r\n\xc3\xa9t\xc3\xa9\r\n", "dots and 8-bit");

	/* Much more than the output buffer, and a long run of empty
	 * lines that must not be held as octets. */
	big = xmalloc(3 * 100000 + 10);
	for (i = 0; i < 100000; i++)
		memcpy(big + 3 * i, "x\r\n", 3);
	for (i = 0; i < 50000; i++)
		memcpy(big + 3 * i + 150000, "\r\n ", 3);
	memcpy(big + 300000, "end\r\n\r\n", 8);
	got = body(DKIM_RELAXED, big, strlen(big), 4093);
	is_int(strlen(got), 150000 + 50000 * 2 + 6, "a long body, relaxed");
	ok(memcmp(got + 150000, "\r\n\r\n", 4) == 0 &&
	    strcmp(got + strlen(got) - 8, "\r\n end\r\n") == 0,
	    "... its empty lines and end");
	free(got);
	free(big);
	return done_testing();
}
