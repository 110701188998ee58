/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * log-t.c — log_format(): the escaping of logged values (doc/logging.md),
 * with the forgeries of #19 item 8 as inputs: a quoted local part that
 * imitates fields, a newline that imitates a line, and plain values that
 * must stay as they were.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "../tap.h"

static void
fmt_is(const char *got, const char *want, const char *name)
{
	is_str(got, want, name);
}

int
main(void)
{
	char	buf[4096], small[16], big[3000];
	int	n;

	log_format(buf, sizeof(buf), "id=%s from=<%s> nrcpt=%d size=%llu",
	    "6B15E5F1", "user@example.com", 3, 1234ULL);
	fmt_is(buf, "id=6B15E5F1 from=<user@example.com> nrcpt=3 size=1234",
	    "plain values unchanged");

	log_format(buf, sizeof(buf), "from=<%s> to=<%s>", "", "a@b");
	fmt_is(buf, "from=<> to=<a@b>", "null sender stays <>");

	log_format(buf, sizeof(buf), "from=<%s> status=%s",
	    "\"x> to=<victim@a.b> status=sent\"@b.test", "ok");
	fmt_is(buf, "from=\"<\\\"x> to=<victim@a.b> status=sent\\\"@b.test>\" "
	    "status=ok", "a quoted local part cannot forge fields");

	log_format(buf, sizeof(buf), "file=%s", "x\nJan 1 delivered id=1");
	fmt_is(buf, "file=\"x\\x0aJan 1 delivered id=1\"",
	    "a newline cannot forge a line");
	ok(strchr(buf, '\n') == NULL, "no newline in the output");

	log_format(buf, sizeof(buf), "status=\"%s\"", "550 \"no\" \\ here\r");
	fmt_is(buf, "status=\"550 \\\"no\\\" \\\\ here\\x0d\"",
	    "\"%s\": quotes and backslashes escaped inside");

	log_format(buf, sizeof(buf), "user=%s", "a=b");
	fmt_is(buf, "user=\"a=b\"", "'=' is quoted");
	log_format(buf, sizeof(buf), "helo=%s", "");
	fmt_is(buf, "helo=\"\"", "empty bare value is \"\"");
	log_format(buf, sizeof(buf), "to=<%s>", "j\xc3\xb6rg@b\x7f");
	fmt_is(buf, "to=\"<j\\xc3\\xb6rg@b\\x7f>\"", "non-ASCII and DEL as \\xHH");
	log_format(buf, sizeof(buf), "to=<%s>", "a<b@c");
	fmt_is(buf, "to=\"<a<b@c>\"", "an angle bracket in an address is quoted");
	log_format(buf, sizeof(buf), "x=%s", "tab\there");
	fmt_is(buf, "x=\"tab\\x09here\"", "tab escaped");
	log_format(buf, sizeof(buf), "x=%s y=%s", "a\xe2\x80\xa8" "b",
	    "c\xc2\x85" "d");
	fmt_is(buf, "x=\"a\\xe2\\x80\\xa8b\" y=\"c\\xc2\\x85d\"",
	    "U+2028 LINE SEPARATOR and U+0085 NEL escaped");

	log_format(buf, sizeof(buf), "a=%d b=%ld c=%lu d=%zu e=%5d%% f=%c",
	    -1, -2L, 3UL, (size_t)4, 5, '\n');
	fmt_is(buf, "a=-1 b=-2 c=3 d=4 e=    5% f=\\x0a", "numbers and %%");

	log_format(buf, sizeof(buf), "tls=%.*s verified=%s x=%.*s",
	    7, "TLSv1.3 verified=yes", "yes", 3, "a b c");
	fmt_is(buf, "tls=TLSv1.3 verified=yes x=\"a b\"", "%.*s: a prefix, escaped");

	n = log_format(small, sizeof(small), "k=%s", "abcdefghijklmnopqrstuvwxyz");
	ok(n > (int)sizeof(small) - 1, "the wanted length is returned");
	is_int(strlen(small), sizeof(small) - 1, "cut, still terminated");

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = ' ';
	log_format(buf, sizeof(buf), "k=%s end=1", big);
	ok(strlen(buf) < 1100 && strstr(buf, "...\" end=1") != NULL,
	    "a long value is cut with ... and still closed");

	log_sanitize(buf, sizeof(buf), "line\none\x1b[31m\xff");
	fmt_is(buf, "line\\x0aone\\x1b[31m\\xff", "log_sanitize: controls");

	return done_testing();
}
