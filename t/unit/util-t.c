/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * util-t.c — util.c's control-character helpers, which the envelope,
 * the SMTP client, maildrop's argv, the loader's messages, queue names
 * and the injector's full name share; str_same(), the NULL-safe string
 * comparison of batch keys, relayer settings and TLS contexts.  addr_text() is tested in cidr-t.c,
 * write_buffered() in spool-t.c.
 */
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "../tap.h"

int
main(void)
{
	char	s[32];

	ok(!str_has_ctl(""), "ctl: the empty string has none");
	ok(!str_has_ctl("user@example.org"), "ctl: plain ASCII has none");
	ok(!str_has_ctl("j\xc3\xb6rg@example.org"), "ctl: UTF-8 has none");
	ok(!str_has_ctl("a b\x7e"), "ctl: blank and tilde are not");
	ok(str_has_ctl("a\r\nb"), "ctl: CR LF");
	ok(str_has_ctl("a\tb"), "ctl: a tab");
	ok(str_has_ctl("\x1f"), "ctl: 0x1f");
	ok(str_has_ctl("end\x7f"), "ctl: DEL at the end");

	strlcpy_(s, "a\rb\nc\td\x7f" "e\xc3\xa9", sizeof(s));
	str_ctl_to(s, '?');
	is_str(s, "a?b?c?d?e\xc3\xa9", "ctl_to: each control character, "
	    "8-bit bytes kept");
	strlcpy_(s, "\x01 x \x02", sizeof(s));
	str_ctl_to(s, ' ');
	is_str(s, "  x  ", "ctl_to: to blanks");
	strlcpy_(s, "clean", sizeof(s));
	str_ctl_to(s, '?');
	is_str(s, "clean", "ctl_to: a clean string unchanged");

	ok(str_same("a", "a"), "same: equal strings");
	ok(!str_same("a", "A"), "same: case counts");
	ok(!str_same("a", "ab"), "same: a prefix is not the same");
	ok(str_same(NULL, NULL), "same: two NULLs");
	ok(!str_same(NULL, ""), "same: NULL is not the empty string");
	ok(!str_same("x", NULL), "same: a string is not NULL");

	return done_testing();
}
