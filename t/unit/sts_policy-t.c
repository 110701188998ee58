/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sts_policy-t.c — the MTA-STS grammar of sts_policy.c: TXT records (one
 * v=STSv1 record among others, several, malformed), policies (LF and CRLF,
 * every field, repeats, extensions, the size cap, max_age's bounds),
 * wildcard matching of one leftmost label, and the cache file's text
 * round trip.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_policy.h"
#include "util.h"
#include "../tap.h"

/* The id of records rs (n of them), or "none" (0) / "bad: ..." (-1). */
static const char *
txt(int n, ...)
{
	static char	 out[300];
	const char	*rs[8];
	int		 lens[8], i, r;
	char		 id[STS_ID_MAX + 1], err[256];
	va_list		 ap;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		rs[i] = va_arg(ap, const char *);
		lens[i] = (int)strlen(rs[i]);
	}
	va_end(ap);
	err[0] = '\0';
	r = sts_txt_parse(rs, lens, n, id, err, sizeof(err));
	if (r == 1)
		snprintf(out, sizeof(out), "%s", id);
	else if (r == 0)
		snprintf(out, sizeof(out), "none");
	else
		snprintf(out, sizeof(out), "bad%s", err[0] ? "" : " (no reason)");
	return out;
}

static void
test_txt(void)
{
	const char	*withnul[1] = { "v=STSv1; id=ab\0cd" };
	int		 nullen[1] = { 17 };
	char		 id[STS_ID_MAX + 1], err[256];

	is_str(txt(1, "v=STSv1; id=20160831085700Z;"), "20160831085700Z",
	    "TXT: RFC 8461's example");
	is_str(txt(1, "v=STSv1;id=abc"), "abc", "TXT: no blanks, no final ;");
	is_str(txt(1, "v=STSv1 ;\tid=abc ; "), "abc", "TXT: blanks around ;");
	is_str(txt(1, "v=STSv1; ext=x; id=Q1"), "Q1", "TXT: an extension");
	is_str(txt(2, "v=spf1 -all", "v=STSv1; id=2"), "2",
	    "TXT: other records ignored");
	is_str(txt(1, "v=spf1 -all"), "none", "TXT: none of ours: no policy");
	is_str(txt(0), "none", "TXT: no records");
	is_str(txt(1, "v=STSv10; id=1"), "none", "TXT: v=STSv10 is not ours");
	is_str(txt(2, "v=STSv1; id=1", "v=STSv1; id=2"), "bad",
	    "TXT: two records: none used");
	is_str(txt(1, "v=STSv1;"), "bad", "TXT: no id");
	is_str(txt(1, "v=STSv1"), "bad", "TXT: version alone");
	is_str(txt(1, "v=STSv1; id="), "bad", "TXT: empty id");
	is_str(txt(1, "v=STSv1; id=a-b"), "bad", "TXT: id with a hyphen");
	is_str(txt(1, "v=STSv1; id=012345678901234567890123456789012"), "bad",
	    "TXT: id of 33");
	is_str(txt(1, "v=STSv1; id=01234567890123456789012345678901"),
	    "01234567890123456789012345678901", "TXT: id of 32");
	is_str(txt(1, "v=STSv1; id=1 x"), "bad", "TXT: junk after a field");
	is_str(txt(1, "v=STSv1; id=1; =x"), "bad", "TXT: empty field name");
	is_str(txt(1, "v=STSv1; id=1; e=a=b"), "bad", "TXT: '=' in a value");
	is_str(txt(1, "v=STSv1; id=1; id=2"), "1", "TXT: the first id");
	is_int(sts_txt_parse(withnul, nullen, 1, id, err, sizeof(err)), -1,
	    "TXT: a NUL octet is invalid, not an end");
}

/* Parse body; "mode max_age mx,mx" or "bad: reason". */
static const char *
pol(const char *body)
{
	static char		 out[512];
	struct sts_policy	 p;
	char			 err[256];
	int			 i;
	size_t			 n;

	if (sts_policy_parse(body, strlen(body), &p, err, sizeof(err)) == -1) {
		if (p.mx != NULL || p.n_mx != 0)
			return "bad, and p not cleared";
		snprintf(out, sizeof(out), "bad: %s", err);
		return out;
	}
	n = (size_t)snprintf(out, sizeof(out), "%s %ld ",
	    sts_mode_to_text(p.mode), p.max_age);
	for (i = 0; i < p.n_mx && n < sizeof(out); i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
		    i ? "," : "", p.mx[i]);
	sts_policy_clear(&p);
	return out;
}

static void
is_bad(const char *body, const char *name)
{
	ok(strncmp(pol(body), "bad: ", 5) == 0, name);
}

static void
test_policy(void)
{
	char			*big;
	struct sts_policy	 p;
	char			 err[256];

	is_str(pol("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com"
	    "\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\n"
	    "max_age: 604800\r\n"), "enforce 604800 mail.example.com,"
	    "*.example.net,backupmx.example.com", "policy: RFC 8461's example");
	is_str(pol("version: STSv1\nmode: testing\nmx: MX.Example.COM\n"
	    "max_age: 86400"), "testing 86400 mx.example.com",
	    "policy: LF, no final line end, lower-cased");
	is_str(pol("version: STSv1\nmode: none\nmax_age: 0\n"), "none 0 ",
	    "policy: none needs no mx, max_age 0");
	is_str(pol("version:STSv1\nmode:\t enforce  \nmx:a.b\nmax_age: 1\n"),
	    "enforce 1 a.b", "policy: blanks after ':' and at the end");
	is_str(pol("\nversion: STSv1\n\nmode: enforce\nmx: a.b\nmax_age: 1\n"
	    "\n"), "enforce 1 a.b", "policy: blank lines tolerated");
	is_str(pol("version: STSv1\nmode: enforce\nmode: none\nmx: a.b\n"
	    "max_age: 5\nmax_age: 7\n"), "enforce 5 a.b",
	    "policy: a repeated field: the first counts");
	is_str(pol("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1\n"
	    "future_field: any thing\nx.y-z_1: v\n"), "enforce 1 a.b",
	    "policy: extensions ignored");
	is_str(pol("version: STSv1\nmode: enforce\nmx: a.b\n"
	    "max_age: 31557600\n"), "enforce 31557600 a.b",
	    "policy: max_age at the maximum");
	is_str(pol("version: STSv1\nmode: enforce\nmx: a.b\n"
	    "max_age: 9999999999\n"), "enforce 31557600 a.b",
	    "policy: max_age above a year counts as a year");
	is_bad("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 99999999999\n",
	    "policy: max_age of 11 digits");
	is_bad("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: -1\n",
	    "policy: negative max_age");
	is_bad("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1d\n",
	    "policy: max_age with a unit");
	is_bad("version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 1\n",
	    "policy: version STSv2");
	is_bad("mode: enforce\nmx: a.b\nmax_age: 1\n", "policy: no version");
	is_bad("version: STSv1\nmx: a.b\nmax_age: 1\n", "policy: no mode");
	is_bad("version: STSv1\nmode: enforce\nmx: a.b\n",
	    "policy: no max_age");
	is_bad("version: STSv1\nmode: enforce\nmax_age: 1\n",
	    "policy: enforce without mx");
	is_bad("version: STSv1\nmode: testing\nmax_age: 1\n",
	    "policy: testing without mx");
	is_bad("version: STSv1\nmode: Enforce\nmx: a.b\nmax_age: 1\n",
	    "policy: values are case-sensitive");
	is_bad("version: STSv1\nMode: enforce\nmx: a.b\nmax_age: 1\n",
	    "policy: names are case-sensitive (Mode is an extension)");
	is_bad("version: STSv1\nmode: enforce\nmx: *.*.b\nmax_age: 1\n",
	    "policy: two wildcards");
	is_bad("version: STSv1\nmode: enforce\nmx: a*.b\nmax_age: 1\n",
	    "policy: a partial wildcard");
	is_bad("version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n",
	    "policy: a bare *");
	is_bad("version: STSv1\nmode: enforce\nmx: a..b\nmax_age: 1\n",
	    "policy: an empty label");
	is_bad("version: STSv1\nmode: enforce\nmx: -a.b\nmax_age: 1\n",
	    "policy: a label starting with '-'");
	is_bad("version: STSv1\nmode: enforce\nmx: a.b.\nmax_age: 1\n",
	    "policy: a trailing dot");
	is_bad("version: STSv1\nmode: enforce\nmx: a b\nmax_age: 1\n",
	    "policy: a blank inside mx");
	is_bad("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1\n"
	    "junk line\n", "policy: a line without a colon");
	is_bad("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1\n"
	    " mode: none\n", "policy: a line starting with a blank");
	is_bad("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1\ne:\n",
	    "policy: an empty value");
	is_bad("version: STSv1\rmode: enforce\nmx: a.b\nmax_age: 1\n",
	    "policy: a bare CR is not a line end");
	is_bad("<html><body>Not Found</body></html>\n",
	    "policy: an HTML error page");
	is_bad("", "policy: empty");

	/* The cap: one octet over is refused before it is read. */
	big = xmalloc(STS_POLICY_MAX + 2);
	memset(big, '\n', STS_POLICY_MAX + 1);
	memcpy(big, "version: STSv1\nmode: none\nmax_age: 1\n", 37);
	is_int(sts_policy_parse(big, STS_POLICY_MAX, &p, err, sizeof(err)), 0,
	    "policy: 64 KiB (blank lines padding) is taken");
	sts_policy_clear(&p);
	is_int(sts_policy_parse(big, STS_POLICY_MAX + 1, &p, err,
	    sizeof(err)), -1, "policy: 64 KiB + 1 is refused");
	free(big);
}

static bool
match(const char *pats, const char *host)
{
	char			 body[512];
	struct sts_policy	 p;
	char			 err[256];
	bool			 r;

	snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\n"
	    "max_age: 1\nmx: %s\n", pats);
	if (sts_policy_parse(body, strlen(body), &p, err, sizeof(err)) == -1)
		return false;
	r = sts_policy_match(&p, host);
	sts_policy_clear(&p);
	return r;
}

static void
test_match(void)
{
	ok(match("mail.example.com", "mail.example.com"), "match: exact");
	ok(match("mail.example.com", "MAIL.Example.Com"),
	    "match: case-insensitive");
	ok(match("mail.example.com", "mail.example.com."),
	    "match: a trailing dot on the MX host");
	ok(!match("mail.example.com", "mail.example.co"), "match: shorter");
	ok(!match("mail.example.com", "xmail.example.com"), "match: longer");
	ok(match("*.example.com", "mx1.example.com"), "match: wildcard");
	ok(match("*.Example.com", "MX1.EXAMPLE.COM"),
	    "match: wildcard, any case");
	ok(!match("*.example.com", "example.com"),
	    "match: wildcard needs a label");
	ok(!match("*.example.com", "a.b.example.com"),
	    "match: wildcard is one label only");
	ok(!match("*.example.com", ".example.com"),
	    "match: wildcard is no empty label");
	ok(!match("*.example.com", "mx1.example.com.evil"),
	    "match: no suffix trick");
	ok(!match("*.example.com", "mx1xexample.com"), "match: dot required");
	ok(!match("*.example.com", ""), "match: empty host");
	ok(!match("*.example.com", "."), "match: root");
}

static void
test_cache(void)
{
	struct sts_policy	 p, q;
	char			*text, id[STS_ID_MAX + 1], err[256];
	const char		*body = "version: STSv1\nmode: testing\n"
	    "mx: a.example\nmx: *.b.example\nmax_age: 3600\n";
	time_t			 t = 0;

	is_int(sts_policy_parse(body, strlen(body), &p, err, sizeof(err)), 0,
	    "cache: policy parses");
	text = sts_cache_text(&p, "ID1", 1700000000);
	is_str(text, "id: ID1\nfetched: 1700000000\nversion: STSv1\n"
	    "mode: testing\nmax_age: 3600\nmx: a.example\nmx: *.b.example\n",
	    "cache: text");
	is_int(sts_cache_text_parse(text, strlen(text), &q, id, &t, err,
	    sizeof(err)), 0, "cache: parses back");
	is_str(id, "ID1", "cache: id");
	is_int((long long)t, 1700000000, "cache: fetched");
	is_int(q.mode, STS_MODE_TESTING, "cache: mode");
	is_int(q.max_age, 3600, "cache: max_age");
	is_int(q.n_mx, 2, "cache: mx count");
	sts_policy_clear(&q);
	is_int(sts_cache_text_parse(text, strlen(text) - 10, &q, id, &t, err,
	    sizeof(err)), -1, "cache: a cut file is refused");
	is_int(sts_cache_text_parse(text + 1, strlen(text) - 1, &q, id, &t,
	    err, sizeof(err)), -1, "cache: no id line");
	is_int(sts_cache_text_parse("id: a-b\nfetched: 1\n", 19, &q, id, &t,
	    err, sizeof(err)), -1, "cache: bad id");
	is_int(sts_cache_text_parse("id: a\nfetched: x\n", 17, &q, id, &t,
	    err, sizeof(err)), -1, "cache: bad time");
	is_int(sts_cache_text_parse("id: a\nfetched: 1\n", 17, &q, id, &t,
	    err, sizeof(err)), -1, "cache: no policy");
	free(text);
	sts_policy_clear(&p);
}

int
main(void)
{
	test_txt();
	test_policy();
	test_match();
	test_cache();
	return done_testing();
}
