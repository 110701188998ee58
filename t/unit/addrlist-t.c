/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * addrlist-t.c — unit tests for addrlist.c: the addresses found in RFC
 * 5322 address lists (groups, quoted local parts, comments, encoded
 * words, folding), malformed lists, and rewriting that keeps every octet
 * but the addr-specs it replaces.
 */
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "util.h"
#include "../tap.h"

static int
list_cb(const struct addrlist_addr *a, void *arg)
{
	struct buf	*b = arg;

	if (b->len > 0)
		buf_str(b, "|");
	buf_str(b, a->addr);
	if (!a->contiguous)
		buf_str(b, "~");
	return 0;
}

/* The addresses found, "a|b|c" ("~" after a non-contiguous one), or
 * "MALFORMED". */
static void
is_walk(const char *v, const char *want, const char *name)
{
	struct buf	 b = { NULL, 0, 0 };

	if (addrlist_walk(v, strlen(v), list_cb, &b) == -1) {
		free(b.p);
		b.p = xstrdup("MALFORMED");
	}
	is_str(b.p ? b.p : "", want, name);
	free(b.p);
}

/* Every address at example.net becomes new@example.org; "root" and
 * anything @old.example get their local part kept at new.example. */
static char *
map(const char *addr, void *arg)
{
	const char	*at = strchr(addr, '@');

	(void)arg;
	if (at != NULL && strcmp(at, "@example.net") == 0)
		return xstrdup("new@example.org");
	if (strcmp(addr, "root") == 0)
		return xstrdup("root@new.example");
	if (at != NULL && strcmp(at, "@old.example") == 0)
		return xasprintf("%.*s@new.example", (int)(at - addr), addr);
	return NULL;
}

static void
is_rewrite(const char *v, int want_rc, const char *want, const char *name)
{
	struct buf	 b = { NULL, 0, 0 };
	int		 rc;

	rc = addrlist_rewrite(v, strlen(v), map, NULL, &b);
	is_int(rc, want_rc, name);
	is_str(rc == 1 ? b.p : v, want, name);
	free(b.p);
}

int
main(void)
{
	/* What is found */
	is_walk(" a@b.example", "a@b.example", "addr-spec");
	is_walk(" Joe Q. Public <john.q.public@example.com>",
	    "john.q.public@example.com", "name-addr with obs-phrase dot");
	is_walk(" Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	    "mary@x.test|jdoe@example.org|one@y.test", "RFC 5322 A.1.2");
	is_walk(" <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	    "boss@nil.test|sysservices@example.net", "quoted display name");
	is_walk(" A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	    "c@a.test|joe@where.test|jdoe@one.test", "group");
	is_walk(" Undisclosed recipients:;", "", "empty group");
	is_walk(" Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	    "pete@silly.test~", "comments inside addr-spec (A.5)");
	is_walk(" \"john doe\"@example.com", "\"john doe\"@example.com",
	    "quoted local part");
	is_walk(" \"a@b\"@example.com, x@[192.0.2.1]",
	    "\"a@b\"@example.com|x@[192.0.2.1]", "@ in quotes, domain literal");
	is_walk(" =?utf-8?q?J=C3=B6rg?= <j@example.de>", "j@example.de",
	    "encoded word display name");
	is_walk(" J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc\x63her.example>",
	    "j\xc3\xb6rg@b\xc3\xbc\x63her.example", "UTF-8 (RFC 6532)");
	is_walk(" a@b.test,\r\n\tc@d.test,\r\n (c) e@f.test",
	    "a@b.test|c@d.test|e@f.test", "folded lines");
	is_walk(" root (Cron Daemon)", "root", "bare local part, comment");
	is_walk(" , a@b.test,,c@d.test ,", "a@b.test|c@d.test",
	    "empty members (obs-addr-list)");
	is_walk("", "", "empty value");
	is_walk(" (only a comment)", "", "only a comment");

	/* Malformed */
	is_walk(" a@b.test, <unterminated@x.test", "MALFORMED", "unclosed <");
	is_walk(" \"open quote <a@b.test>", "MALFORMED", "unclosed quote");
	is_walk(" (open comment a@b.test", "MALFORMED", "unclosed comment");
	is_walk(" a@b.test)", "MALFORMED", "stray )");
	is_walk(" a@b.test\r\nX-Injected: yes", "MALFORMED", "CRLF without fold");
	is_walk(" a@b.test\n c@d", "MALFORMED", "bare LF");
	is_walk(" a@b.test\r c@d", "MALFORMED", "bare CR");
	is_walk(" a@@b.test", "MALFORMED", "double @");
	is_walk(" a@", "MALFORMED", "empty domain");
	is_walk(" @b.test", "MALFORMED", "empty local part");
	is_walk(" Just A Name", "MALFORMED", "phrase without address");
	is_walk(" g1: g2: a@b.test;;", "MALFORMED", "nested group");
	is_walk(" g1: a@b.test", "MALFORMED", "unterminated group");
	is_walk(" <@route.test:a@b.test>", "MALFORMED", "source route");
	is_walk(" <>", "MALFORMED", "empty angle address");
	is_walk(" a@b.test;", "MALFORMED", "; outside a group");
	is_walk(" a@b..test", "MALFORMED", "empty label");
	is_walk(" x@[1.2[3]", "MALFORMED", "[ in a domain literal");
	{
		const char v[] = " a@b.test\0, c@d.test";
		struct buf b = { NULL, 0, 0 };

		is_int(addrlist_walk(v, sizeof(v) - 1, list_cb, &b), -1,
		    "NUL octet is malformed");
		free(b.p);
	}

	/* Rewriting keeps every other octet */
	is_rewrite(" \"Smith, Joe\" (work) <joe@example.net> (ok)", 1,
	    " \"Smith, Joe\" (work) <new@example.org> (ok)",
	    "display name, comments kept");
	is_rewrite(" root (Cron Daemon)", 1, " root@new.example (Cron Daemon)",
	    "bare local part rewritten, comment kept");
	is_rewrite(" Team: a@old.example,\r\n\t\"B\" <b@keep.test>; , c@old.example", 1,
	    " Team: a@new.example,\r\n\t\"B\" <b@keep.test>; , c@new.example",
	    "group and folding kept");
	is_rewrite(" =?utf-8?b?SsO2cmc=?= <x@example.net>", 1,
	    " =?utf-8?b?SsO2cmc=?= <new@example.org>", "encoded word kept");
	is_rewrite(" \"q u\"@old.example", 1, " \"q u\"@new.example",
	    "quoted local part carried");
	is_rewrite(" keep@other.test", 0, " keep@other.test", "no match");
	is_rewrite(" pete(c)@example.net", 0, " pete(c)@example.net",
	    "addr-spec with a comment inside is not rewritten");
	is_rewrite(" a@example.net, <broken", -1, " a@example.net, <broken",
	    "malformed is left untouched");
	return done_testing();
}
