/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * inject-t.c — the pure part of smarthost-sendmail (inject.h): address
 * lists as people and scripts write them (comments, quotes, groups,
 * source routes, broken ones), Bcc: removal, the added header fields, the
 * -f sender, names, and the splitting of input into lines.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incoming.h"
#include "inject.h"
#include "smtp_data.h"
#include "../tap.h"

#define HOST	"example.org"

/* The recipients of one list, joined with ",", or "ERR:bad" / "TOOMANY". */
static char *
list(const char *s)
{
	struct inject_rcpts	 r = { NULL, 0 };
	char			*bad, *out;
	size_t			 len = 1;
	int			 ret, i;

	ret = inject_addr_list(&r, s, HOST, &bad);
	if (ret == INJECT_BAD) {
		out = malloc(strlen(bad) + 5);
		sprintf(out, "ERR:%s", bad);
		free(bad);
		inject_rcpts_clear(&r);
		return out;
	}
	if (ret == INJECT_TOOMANY) {
		inject_rcpts_clear(&r);
		return strdup("TOOMANY");
	}
	for (i = 0; i < r.n; i++)
		len += strlen(r.v[i]) + 1;
	out = calloc(1, len);
	for (i = 0; i < r.n; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, r.v[i]);
	}
	inject_rcpts_clear(&r);
	return out;
}

static void
list_is(const char *s, const char *want, const char *name)
{
	char	*got = list(s);

	is_str(got, want, name);
	free(got);
}

static void
test_rcpts(void)
{
	struct inject_rcpts	 r = { NULL, 0 };
	char			 a[64];
	int			 i, ret = INJECT_OK;

	is_int(inject_rcpts_add(&r, "a@x.org"), INJECT_OK, "rcpts: add");
	is_int(inject_rcpts_add(&r, "a@x.org"), INJECT_OK, "rcpts: add again");
	is_int(r.n, 1, "rcpts: no duplicate");
	is_int(inject_rcpts_add(&r, "A@x.org"), INJECT_OK, "rcpts: case");
	is_int(r.n, 2, "rcpts: local parts are case-sensitive");
	inject_rcpts_clear(&r);
	ok(r.n == 0 && r.v == NULL, "rcpts: clear empties");

	for (i = 0; i < INCOMING_RCPT_MAX && ret == INJECT_OK; i++) {
		snprintf(a, sizeof(a), "u%d@x.org", i);
		ret = inject_rcpts_add(&r, a);
	}
	is_int(ret, INJECT_OK, "rcpts: INCOMING_RCPT_MAX fit");
	is_int(r.n, INCOMING_RCPT_MAX, "rcpts: all there");
	is_int(inject_rcpts_add(&r, "one-more@x.org"), INJECT_TOOMANY,
	    "rcpts: one more is too many");
	is_int(inject_rcpts_add(&r, "u0@x.org"), INJECT_OK,
	    "rcpts: a duplicate at the limit is fine");
	is_int(r.n, INCOMING_RCPT_MAX, "rcpts: still at the limit");
	inject_rcpts_clear(&r);
}

static void
qualify_is(const char *in, const char *want)
{
	char	*got = inject_qualify(in, HOST), name[400];

	snprintf(name, sizeof(name), "qualify \"%.300s\"", in);
	is_str(got, want, name);
	free(got);
}

static void
test_qualify(void)
{
	char	long_local[80], long_addr[300];

	qualify_is("user", "user@example.org");
	qualify_is("a@x.org", "a@x.org");
	qualify_is("\"a b\"", "\"a b\"@example.org");
	qualify_is("first.last", "first.last@example.org");
	qualify_is("a..b", NULL);
	qualify_is("a@", NULL);
	qualify_is("@x.org", NULL);
	qualify_is("", NULL);
	qualify_is("a@-x.org", NULL);
	qualify_is("a b@x.org", NULL);
	qualify_is("u@[127.0.0.1]", "u@[127.0.0.1]");
	memset(long_local, 'a', 65);
	long_local[65] = '\0';
	qualify_is(long_local, NULL);		/* local part > 64 */
	long_local[64] = '\0';
	qualify_is(long_local, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaa@example.org");
	/* Over SMTP_ADDR_MAX although each part would be fine. */
	memset(long_addr, 0, sizeof(long_addr));
	strcpy(long_addr, "u@");
	for (; strlen(long_addr) < 270; )
		strcat(long_addr, "abcdefghij.");
	strcat(long_addr, "org");
	qualify_is(long_addr, NULL);
}

static void
test_addr_list(void)
{
	char	*big, *p, *got;
	int	 i;

	list_is("", "", "list: empty");
	list_is(" , ,, ", "", "list: only commas");
	list_is("root", "root@example.org", "list: bare local part qualified");
	list_is("a@x.org", "a@x.org", "list: one addr-spec");
	list_is("Joe <joe@x.org>, ann@y.org", "joe@x.org,ann@y.org",
	    "list: name-addr and addr-spec");
	list_is("\"Doe, John\" <jd@x.org>", "jd@x.org",
	    "list: comma inside a quoted display name");
	list_is("joe@x.org (Joe (the) Smith), b@y.org", "joe@x.org,b@y.org",
	    "list: nested comment dropped");
	list_is("a@x.org (a \\) b, c), d@y.org", "a@x.org,d@y.org",
	    "list: escaped parenthesis in a comment");
	list_is("friends: a@x.org, b@y.org;, c@z.org",
	    "a@x.org,b@y.org,c@z.org",
	    "list: group");
	list_is("undisclosed-recipients:;", "", "list: empty group");
	list_is("g1:;, g2: ;", "", "list: two empty groups");
	list_is("u@[IPv6:::1]", "u@[IPv6:::1]",
	    "list: colons in a domain literal are no group");
	list_is("<@relay.org:u@x.org>", "u@x.org",
	    "list: source route dropped");
	list_is("a @ x . org", "a@x.org", "list: blanks in an addr-spec go");
	list_is("Joe < joe@x.org >", "joe@x.org", "list: blanks in angles go");
	list_is("a@x.org, a@x.org, A@x.org", "a@x.org,A@x.org",
	    "list: duplicates once");
	list_is("\"a b\"@x.org", "\"a b\"@x.org", "list: quoted local part");
	list_is("<\"a,b\"@x.org>", "\"a,b\"@x.org",
	    "list: quoted local part in angles");
	list_is("Joe\r\n <joe@x.org>", "joe@x.org", "list: folded");
	list_is("a@x.org (unterminated", "a@x.org",
	    "list: unterminated comment");
	list_is("Joe <joe@x.org", "joe@x.org", "list: unterminated angle");
	list_is("\"abc", "ERR:\"abc", "list: unterminated quote is bad");
	list_is("\"abc, def@x.org", "ERR:\"abc, def@x.org",
	    "list: unterminated quote swallows the rest");
	list_is("u@[1.2.3.4", "ERR:u@[1.2.3.4", "list: unterminated literal");
	list_is("ok@x.org, bad..addr@x.org, never@y.org",
	    "ERR:bad..addr@x.org", "list: first bad address reported");
	list_is("a\001b@-x.org", "ERR:a?b@-x.org",
	    "list: control characters shown as ?");
	/* '?' is atext: turning a control character into it would make a
	 * different, valid address; it is refused instead. */
	list_is("a\001b@x.org", "ERR:a?b@x.org",
	    "list: a control character makes the address bad");
	list_is("x@-bad-.org", "ERR:x@-bad-.org", "list: bad domain");
	list_is("Joe <>", "", "list: empty angles add nothing");

	/* A very long address, and a very long list. */
	big = malloc(5000);
	memset(big, 'a', 4000);
	strcpy(big + 4000, "@x.org");
	got = list(big);
	ok(strncmp(got, "ERR:aaaa", 8) == 0 && strlen(got) == 4010,
	    "list: a 4000-octet local part is bad");
	free(got);
	free(big);

	big = malloc((size_t)(INCOMING_RCPT_MAX + 1) * 16);
	for (p = big, i = 0; i <= INCOMING_RCPT_MAX; i++)
		p += sprintf(p, "%su%d@x.org", i ? "," : "", i);
	list_is(big, "TOOMANY", "list: INCOMING_RCPT_MAX + 1 recipients");
	free(big);
}

static void
test_field_is(void)
{
	ok(inject_field_is("To: a", 5, "to"), "field: To:");
	ok(inject_field_is("TO :a", 5, "to"), "field: blank before colon");
	ok(inject_field_is("to\t: a", 6, "to"), "field: tab before colon");
	ok(!inject_field_is("Tox: a", 6, "to"), "field: longer name");
	ok(!inject_field_is("To", 2, "to"), "field: no colon");
	ok(!inject_field_is("To: a", 2, "to"), "field: cut before colon");
	ok(!inject_field_is("X-To: a", 7, "to"), "field: other name");
	ok(!inject_field_is("T o: a", 6, "to"), "field: blank inside name");
	ok(inject_field_is("bCc: a", 6, "bcc"), "field: case");
}

static void
test_filter(void)
{
	static const char h1[] = "From: a@x.org\r\n"
	    "To: Bee <b@y.org>\r\n"
	    "Bcc: secret@z.org,\r\n c@z.org\r\n"
	    "Subject: hi\r\n";
	static const char h2[] = "To: b@y.org\r\n"
	    "bcc : hidden@z.org\r\n"
	    "Bccx: kept\r\n"
	    "Cc: d@w.org,\0e@w.org\r\n"
	    "X: a\0b\r\n";
	static const char want2[] = "To: b@y.org\r\n"
	    "Bccx: kept\r\n"
	    "Cc: d@w.org,\0e@w.org\r\n"
	    "X: a\0b\r\n";
	struct inject_rcpts	 r = { NULL, 0 };
	char			*kept, *bad;
	size_t			 len;
	bool			 from;
	int			 ret;

	ret = inject_filter_headers(h1, sizeof(h1) - 1, true, &r, HOST, &kept,
	    &len, &from, &bad);
	is_int(ret, INJECT_OK, "filter -t: ok");
	is_str(kept, "From: a@x.org\r\nTo: Bee <b@y.org>\r\nSubject: hi\r\n",
	    "filter -t: Bcc: with its continuation removed");
	is_int(len, strlen(kept), "filter -t: length");
	ok(from, "filter -t: From: seen");
	is_int(r.n, 3, "filter -t: three recipients");
	ok(r.n == 3 && strcmp(r.v[0], "b@y.org") == 0 &&
	    strcmp(r.v[1], "secret@z.org") == 0 &&
	    strcmp(r.v[2], "c@z.org") == 0, "filter -t: To:, then Bcc:");
	free(kept);
	inject_rcpts_clear(&r);

	ret = inject_filter_headers(h1, sizeof(h1) - 1, false, &r, HOST, &kept,
	    &len, &from, &bad);
	is_int(ret, INJECT_OK, "filter: ok");
	is_str(kept, "From: a@x.org\r\nTo: Bee <b@y.org>\r\nSubject: hi\r\n",
	    "filter: Bcc: removed without -t too");
	is_int(r.n, 0, "filter: no recipients without -t");
	free(kept);

	ret = inject_filter_headers(h2, sizeof(h2) - 1, true, &r, HOST, &kept,
	    &len, &from, &bad);
	is_int(ret, INJECT_OK, "filter NUL: ok");
	ok(len == sizeof(want2) - 1 && memcmp(kept, want2, len) == 0,
	    "filter NUL: NUL octets kept, \"bcc :\" removed, Bccx: kept");
	ok(!from, "filter NUL: no From:");
	ok(r.n == 4 && strcmp(r.v[1], "hidden@z.org") == 0 &&
	    strcmp(r.v[3], "e@w.org") == 0,
	    "filter NUL: a NUL in Cc: separates, does not cut");
	free(kept);
	inject_rcpts_clear(&r);

	ret = inject_filter_headers("To: ok@x.org, bad..a@x.org\r\n", 28, true,
	    &r, HOST, &kept, &len, &from, &bad);
	is_int(ret, INJECT_BAD, "filter: bad address in To:");
	ok(kept == NULL, "filter: nothing kept on error");
	is_str(bad, "bad..a@x.org", "filter: the bad address");
	free(bad);
	inject_rcpts_clear(&r);

	ret = inject_filter_headers("Subject: x", 10, true, &r, HOST, &kept,
	    &len, &from, &bad);
	is_int(ret, INJECT_OK, "filter: a last line without line end");
	is_str(kept, "Subject: x", "filter: kept as is");
	free(kept);

	ret = inject_filter_headers("", 0, true, &r, HOST, &kept, &len, &from,
	    &bad);
	ok(ret == INJECT_OK && len == 0 && kept[0] == '\0',
	    "filter: empty header section");
	free(kept);
}

static void
str_fn_is(char *got, const char *want, const char *name)
{
	is_str(got, want, name);
	free(got);
}

static void
test_names(void)
{
	char	in[400], *got;

	str_fn_is(inject_phrase("John Smith"), "John Smith", "phrase: atoms");
	str_fn_is(inject_phrase("J. Smith"), "\"J. Smith\"", "phrase: quoted");
	str_fn_is(inject_phrase("a\"b\\c"), "\"a\\\"b\\\\c\"",
	    "phrase: quotes and backslashes escaped");
	str_fn_is(inject_phrase("J\xc3\xbcrgen"), "=?UTF-8?B?SsO8cmdlbg==?=",
	    "phrase: UTF-8 as RFC 2047");
	str_fn_is(inject_phrase("\xc3\xbc"), "=?UTF-8?B?w7w=?=",
	    "phrase: RFC 2047 padding");
	str_fn_is(inject_phrase(""), "", "phrase: empty");

	str_fn_is(inject_clean_name("  John\tSmith \n"), "John Smith",
	    "clean_name: controls and end blanks");
	str_fn_is(inject_clean_name("\r\n\t"), "", "clean_name: only controls");
	memset(in, 'n', 300);
	in[300] = '\0';
	got = inject_clean_name(in);
	is_int(strlen(got), 200, "clean_name: at most 200 octets");
	free(got);

	str_fn_is(inject_gecos_name("John Smith,Room 1,555"), "John Smith",
	    "gecos: up to the comma");
	str_fn_is(inject_gecos_name(",x"), "", "gecos: empty name");
	ok(inject_gecos_name("") == NULL, "gecos: empty field");
	ok(inject_gecos_name(NULL) == NULL, "gecos: none");
}

static void
sender_is(const char *in, const char *want, const char *want_bad)
{
	char	*bad = (char *)"unset", *got, name[200];

	got = inject_sender(in, HOST, &bad);
	snprintf(name, sizeof(name), "sender \"%s\"", in);
	is_str(got, want, name);
	snprintf(name, sizeof(name), "sender \"%s\": bad", in);
	is_str(bad, want_bad, name);
	free(got);
	free(bad);
}

static void
test_sender(void)
{
	sender_is("", "", NULL);
	sender_is("<>", "", NULL);
	sender_is("a@x.org", "a@x.org", NULL);
	sender_is("<a@x.org>", "a@x.org", NULL);
	sender_is("bob", "bob@example.org", NULL);
	sender_is("<bob>", "bob@example.org", NULL);
	sender_is("bad..x@y.org", NULL, "bad..x@y.org");
	sender_is("<bad..x@y.org>", NULL, "bad..x@y.org");
	sender_is("<", NULL, "<");
	sender_is("<<>>", NULL, "<>");
}

static void
test_added(void)
{
	struct hdr_scan	 hs;
	char		*got;
	const char	*msg;

	memset(&hs, 0, sizeof(hs));
	hs.need_blank = true;
	got = inject_added_headers(&hs, false, "a@x.org", "J. Smith", HOST,
	    1700000000, "0123456789abcdef");
	is_str(got, "From: \"J. Smith\" <a@x.org>\r\n"
	    "Message-ID: <20231114221320.0123456789abcdef@example.org>\r\n"
	    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\n",
	    "added: all three and the empty line");
	free(got);

	hs.need_blank = false;
	got = inject_added_headers(&hs, false, "a@x.org", NULL, HOST, 0, "r");
	is_str(got, "From: a@x.org\r\n"
	    "Message-ID: <19700101000000.r@example.org>\r\n"
	    "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n",
	    "added: From: without a name");
	free(got);

	got = inject_added_headers(&hs, false, "", "Name", HOST, 0, "r");
	ok(strncmp(got, "Message-ID:", 11) == 0,
	    "added: no From: for the null sender");
	free(got);

	/* With the scanner that sendmail.c uses. */
	hdr_scan_init(&hs);
	msg = "From: x@y.org\r\nmessage-id: <a@b>\r\nDate : today\r\n"
	    "\r\nbody\r\n";
	hdr_scan_feed(&hs, msg, strlen(msg));
	got = inject_added_headers(&hs, true, "a@x.org", "N", HOST, 0, "r");
	is_str(got, "", "added: nothing when all are there");
	free(got);

	hdr_scan_init(&hs);
	msg = "Subject: x\r\nnot a header\r\n";
	hdr_scan_feed(&hs, msg, strlen(msg));
	got = inject_added_headers(&hs, true, "a@x.org", NULL, HOST, 0, "r");
	is_str(got, "Message-ID: <19700101000000.r@example.org>\r\n"
	    "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n\r\n",
	    "added: the empty line before a body that had none");
	free(got);
}

/* All pieces of in, fed in chunks of chunk octets, as "piece|" or
 * "piece$|" (with a line end). */
static char *
pieces(const char *in, size_t len, size_t chunk, size_t segcap)
{
	struct inject_line	 l = { false, 0 };
	char			 seg[64], *out;
	size_t			 off = 0, k, used, o = 0;
	bool			 done, eol;

	out = calloc(1, 4 * len + 16);
	while (off < len) {
		k = len - off < chunk ? len - off : chunk;
		used = inject_line_take(&l, in + off, k, seg, segcap, &done,
		    &eol);
		if (used > k)
			return strcpy(out, "OVERRUN");
		off += used;
		if (done) {
			memcpy(out + o, seg, l.n);
			o += l.n;
			if (eol)
				out[o++] = '$';
			out[o++] = '|';
			l.n = 0;
		}
	}
	if (l.n > 0) {		/* the end of input ends the last line */
		memcpy(out + o, seg, l.n);
		o += l.n;
		out[o++] = '|';
	}
	return out;
}

static void
test_lines(void)
{
	char		*got, *big, seg[8192];
	struct inject_line l = { false, 0 };
	size_t		 off, used, n = 0, total = 0;
	bool		 done, eol;
	size_t		 k;

	got = pieces("a\r\nb\rc\nd", 8, 100, 64);
	is_str(got, "a$|b$|c$|d|", "lines: CRLF, CR, LF, none");
	free(got);
	got = pieces("a\r\nb\rc\nd", 8, 1, 64);
	is_str(got, "a$|b$|c$|d|", "lines: one octet at a time");
	free(got);
	got = pieces("x\r\r\ny\n\nz", 8, 100, 64);
	is_str(got, "x$|$|y$|$|z|", "lines: CR then CRLF is two line ends");
	free(got);
	got = pieces("\n\n", 2, 100, 64);
	is_str(got, "$|$|", "lines: empty lines");
	free(got);
	got = pieces("abcdefg\n", 8, 100, 3);
	is_str(got, "abc|def|g$|", "lines: long line in pieces");
	free(got);
	got = pieces("abc\ndef", 7, 100, 3);
	is_str(got, "abc|$|def|", "lines: a piece of exactly segcap");
	free(got);
	got = pieces("a\0b\n", 4, 100, 64);
	ok(memcmp(got, "a\0b$|", 5) == 0, "lines: NUL octets kept");
	free(got);

	/* 100000 octets on one line, in 8192-octet pieces. */
	big = malloc(100001);
	memset(big, 'x', 100000);
	big[100000] = '\n';
	for (off = 0; off < 100001; off += used) {
		k = 100001 - off < 4096 ? 100001 - off : 4096;
		used = inject_line_take(&l, big + off, k, seg, sizeof(seg),
		    &done, &eol);
		if (done) {
			n++;
			total += l.n;
			l.n = 0;
		}
	}
	is_int(n, 13, "lines: 100000 octets make 13 pieces");
	is_int(total, 100000, "lines: none lost");
	ok(eol, "lines: the last piece has the line end");
	free(big);

	ok(inject_lone_dot(false, true, ".", 1, true), "lone dot");
	ok(!inject_lone_dot(true, true, ".", 1, true), "lone dot: not with -i");
	ok(!inject_lone_dot(false, false, ".", 1, true),
	    "lone dot: not after a piece of a long line");
	ok(!inject_lone_dot(false, true, ".", 1, false),
	    "lone dot: not a piece without a line end");
	ok(!inject_lone_dot(false, true, "..", 2, true), "lone dot: two dots");
	ok(!inject_lone_dot(false, true, "x", 1, true), "lone dot: other");
	ok(!inject_lone_dot(false, true, "", 0, true), "lone dot: empty line");
}

int	main(void);

int
main(void)
{
	test_rcpts();
	test_qualify();
	test_addr_list();
	test_field_is();
	test_filter();
	test_names();
	test_sender();
	test_added();
	test_lines();
	return done_testing();
}
