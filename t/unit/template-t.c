/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * template-t.c — unit tests for template.c: placeholder names, expansion,
 * "%%", unterminated and unknown placeholders, the put hook.
 */
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"
#include "../tap.h"

static int
put_plain(struct buf *b, const char *v, size_t len, bool lower, void *arg)
{
	int	*calls = arg;

	(*calls)++;
	buf_add(b, v, len);
	if (lower)
		lowercase(b->p + b->len - len);
	return 0;
}

static int
put_refuse_x(struct buf *b, const char *v, size_t len, bool lower, void *arg)
{
	if (len > 0 && v[0] == 'x')
		return -1;
	buf_add(b, v, len);
	return 0;
}

/* Expand with put_plain; "ERR" for -1. */
static char *
expand(const char *tmpl, const char *sender, const char *rcpt, int *calls)
{
	struct buf	 b = { NULL, 0, 0 };

	*calls = 0;
	if (template_expand(&b, tmpl, sender, rcpt, put_plain, calls) == -1) {
		free(b.p);
		return xstrdup("ERR");
	}
	return b.p;
}

static void
is_expand(const char *tmpl, const char *sender, const char *rcpt,
    const char *want, int want_calls, const char *name)
{
	int	 calls;
	char	*got = expand(tmpl, sender, rcpt, &calls);

	is_str(got, want, name);
	if (strcmp(want, "ERR") != 0)
		is_int(calls, want_calls, name);
	free(got);
}

int
main(void)
{
	struct buf	 b = { NULL, 0, 0 };

	ok(template_known("sender", 6), "sender is known");
	ok(template_known("recipient", 9), "recipient is known");
	ok(template_known("local", 5), "local is known");
	ok(template_known("domain", 6), "domain is known");
	ok(!template_known("domai", 5), "a prefix is not known");
	ok(!template_known("domains", 7), "a longer name is not known");
	ok(!template_known("Domain", 6), "names are case-sensitive");
	ok(!template_known("", 0), "the empty name is not known");

	is_expand("", "s@a.org", "r@b.org", "", 0, "empty template: empty string");
	is_expand("/var/mail", "s@a.org", "r@b.org", "/var/mail", 0,
	    "no placeholder: copied");
	is_expand("%{sender}|%{recipient}", "s@a.org", "r@b.org",
	    "s@a.org|r@b.org", 2, "sender and recipient");
	is_expand("/m/%{domain}/%{local}", "", "Joe.X@Example.ORG",
	    "/m/example.org/Joe.X", 2, "domain lower-cased, local as is");
	is_expand("%{local}@%{domain}", "", "\"a@b\"@x.org", "\"a@b\"@x.org", 2,
	    "split at the last '@'");
	is_expand("[%{local}][%{domain}]", "", "postmaster", "[postmaster][]", 2,
	    "no '@': all local, empty domain");
	is_expand("[%{sender}]", "", "r@b.org", "[]", 1, "null sender is empty");
	is_expand("100%% %{local}", "", "r@b.org", "100% r", 1, "%% is a percent");
	is_expand("%%{local}", "", "r@b.org", "%{local}", 0,
	    "%%{ is text, not a placeholder");
	is_expand("a%b%", "", "r@b.org", "a%b%", 0, "a lone % is text");
	is_expand("x%{local", "", "r@b.org", "x%{local", 0,
	    "unterminated %{ is text");
	is_expand("%{nope}", "", "r@b.org", "ERR", 0, "unknown placeholder");
	is_expand("ok %{local} %{}", "", "r@b.org", "ERR", 0,
	    "empty placeholder name");

	ok(template_expand(&b, "-f%{sender}", "xs@a.org", "r@b.org",
	    put_refuse_x, NULL) == -1, "put may refuse a value");
	free(b.p);
	b.p = NULL;
	b.len = b.cap = 0;
	ok(template_expand(&b, "-f%{sender}", "s@a.org", "r@b.org",
	    put_refuse_x, NULL) == 0 && strcmp(b.p, "-fs@a.org") == 0,
	    "text before the value reaches the output");
	free(b.p);
	return done_testing();
}
