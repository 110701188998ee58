/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * helo-t.c — helo_for_header(): names that are domains or address
 * literals pass unchanged; the injections of #19 item 8 come out visible
 * but inert.
 */
#include <stdlib.h>
#include <string.h>

#include "helo.h"
#include "../tap.h"

static void
helo_is(const char *in, const char *want, const char *name)
{
	char	*got = helo_for_header(in);

	is_str(got, want, name);
	free(got);
}

int
main(void)
{
	helo_is("mail.example.com", "mail.example.com", "a domain unchanged");
	helo_is("[192.0.2.1]", "[192.0.2.1]", "IPv4 literal unchanged");
	helo_is("[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]",
	    "IPv6 literal unchanged");
	helo_is("my_host-1.local", "my_host-1.local", "underscore and digits");
	helo_is("x.test)(by.trusted.example", "x.test??by.trusted.example",
	    "cannot close the comment and open another");
	helo_is("x (by evil.example) ;", "x??by?evil.example???",
	    "no blanks, parentheses or semicolons");
	helo_is("a\r\n\tby b", "a???by?b", "cannot fold the header");
	helo_is("\"q\"\\<x>", "?q???x?", "quotes, backslash, angle brackets");
	helo_is("j\xc3\xb6rg", "j??rg", "non-ASCII octets");
	helo_is("", "unknown", "empty becomes unknown");
	helo_is(NULL, "unknown", "NULL becomes unknown");
	return done_testing();
}
