/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_data-t.c — the DATA filter and the header scanner, each input fed
 * whole, split at every position (and at every pair of positions when
 * short), and byte by byte: the results must not depend on the splits.
 * A naive whole-buffer model of the filter checks random inputs too, and
 * the per-octet filter the memchr fast path replaced (../smtp_data-ref.h)
 * checks longer ones, whole and cut, octet for octet.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"
#include "../smtp_data-ref.h"
#include "../tap.h"

/* What one run of the filter produced. */
struct run {
	char		*out;
	size_t		 outlen;
	size_t		 consumed;
	uint64_t	 bare;
	uint64_t	 octets_out;
	bool		 done;
	bool		 bound_ok;	/* every call within 2 * len + 4 */
	bool		 stop_ok;	/* a call that did not end ate it all */
};

/*
 * Feed in[0..len) cut at the sorted positions cuts[0..ncuts).  Each call
 * gets an output buffer of exactly 2 * n + 4 octets on the heap, so that
 * AddressSanitizer sees any overflow of the contract.
 */
typedef size_t	feed_fn(struct smtp_data *, const char *, size_t, char *,
		    size_t *);

static void
feed_with(feed_fn *fn, const char *in, size_t len, const size_t *cuts,
    size_t ncuts, struct run *r)
{
	struct smtp_data	 d;
	size_t			 k, from = 0, to, n, got, olen;
	char			*buf;

	memset(r, 0, sizeof(*r));
	r->out = malloc(2 * len + 8);
	r->bound_ok = r->stop_ok = true;
	smtp_data_init(&d);
	for (k = 0; k <= ncuts; k++) {
		to = k < ncuts ? cuts[k] : len;
		n = to - from;
		buf = malloc(2 * n + 4);
		olen = (size_t)-1;
		got = fn(&d, in + from, n, buf, &olen);
		if (olen > 2 * n + 4)
			r->bound_ok = false;
		else {
			memcpy(r->out + r->outlen, buf, olen);
			r->outlen += olen;
		}
		free(buf);
		r->consumed += got;
		if (!d.done && got != n)
			r->stop_ok = false;
		if (d.done)
			break;
		from = to;
	}
	r->bare = d.bare_count;
	r->octets_out = d.octets_out;
	r->done = d.done;
}

static void
feed(const char *in, size_t len, const size_t *cuts, size_t ncuts,
    struct run *r)
{
	feed_with(smtp_data_feed, in, len, cuts, ncuts, r);
}

static bool
same(const struct run *a, const struct run *b)
{
	return a->outlen == b->outlen &&
	    memcmp(a->out, b->out, a->outlen) == 0 &&
	    a->consumed == b->consumed && a->bare == b->bare &&
	    a->octets_out == b->octets_out && a->done == b->done &&
	    b->bound_ok && b->stop_ok;
}

/* Whole, every split, every pair of splits (short inputs), byte by byte:
 * returns how many of those runs differed from the whole one. */
static int
splits_differ(const char *in, size_t len, const struct run *whole)
{
	struct run	 r;
	size_t		 i, j, cuts[2], *bytes;
	int		 bad = 0;

	for (i = 0; i <= len; i++) {
		cuts[0] = i;
		feed(in, len, cuts, 1, &r);
		bad += !same(whole, &r);
		free(r.out);
	}
	if (len <= 64) {
		for (i = 0; i <= len; i++)
			for (j = i; j <= len; j++) {
				cuts[0] = i;
				cuts[1] = j;
				feed(in, len, cuts, 2, &r);
				bad += !same(whole, &r);
				free(r.out);
			}
	}
	bytes = malloc((len + 1) * sizeof(*bytes));
	for (i = 0; i < len; i++)
		bytes[i] = i + 1;
	feed(in, len, bytes, len, &r);
	bad += !same(whole, &r);
	free(r.out);
	free(bytes);
	return bad;
}

/* Show octets in a test name (TAP lines stay whole). */
static const char *
vis(const char *s, size_t n)
{
	static char	buf[200];
	size_t		i, o = 0;

	for (i = 0; i < n && o < sizeof(buf) - 8; i++) {
		unsigned char c = s[i];

		if (c == '\r')
			o += snprintf(buf + o, sizeof(buf) - o, "\\r");
		else if (c == '\n')
			o += snprintf(buf + o, sizeof(buf) - o, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			o += snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
		else
			buf[o++] = c;
	}
	if (i < n)
		o += snprintf(buf + o, sizeof(buf) - o, "...");
	buf[o] = '\0';
	return buf;
}

/*
 * What the relay side does with a stored message: stuff a dot at every
 * line start and add the end marker.  Filtering that again must give the
 * stored message back exactly, with no bare line ends: a stored message
 * relays as itself.  Returns true when it does.
 */
static bool
round_trip(const char *msg, size_t len)
{
	char		*wire = malloc(2 * len + 8);
	size_t		 i, w = 0;
	struct run	 r;
	bool		 same_msg;

	for (i = 0; i < len; i++) {
		if (msg[i] == '.' && (i == 0 || msg[i - 1] == '\n'))
			wire[w++] = '.';
		wire[w++] = msg[i];
	}
	memcpy(wire + w, ".\r\n", 3);
	w += 3;
	feed(wire, w, NULL, 0, &r);
	same_msg = r.done && r.consumed == w && r.bare == 0 &&
	    r.outlen == len && memcmp(r.out, msg, len) == 0;
	free(r.out);
	free(wire);
	return same_msg;
}

static const struct {
	const char	*in;
	const char	*out;
	size_t		 consumed;
	unsigned	 bare;
	bool		 done;
} cases[] = {
	{ "hello\r\n.\r\n", "hello\r\n", 10, 0, true },
	{ ".\r\n", "", 3, 0, true },
	{ "\r\n.\r\n", "\r\n", 5, 0, true },
	{ "\r\n\r\n.\r\n", "\r\n\r\n", 7, 0, true },
	{ "..x\r\n.\r\n", ".x\r\n", 8, 0, true },
	{ ".x\r\n.\r\n", "x\r\n", 7, 0, true },
	{ ". \r\n.\r\n", " \r\n", 7, 0, true },
	{ "...\r\n.\r\n", "..\r\n", 8, 0, true },
	{ "a\r\n..\r\n.\r\n", "a\r\n.\r\n", 10, 0, true },
	{ "a\r\nb.\r\n.\r\n", "a\r\nb.\r\n", 10, 0, true },
	{ "a\r\n .\r\n.\r\n", "a\r\n .\r\n", 10, 0, true },
	/* smuggling: none of these ends the message */
	{ "a\n.\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", 10, 2, true },
	{ "a\r\n.\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", 11, 1, true },
	{ "a\n.\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", 11, 1, true },
	{ "a\r.\rb\r\n.\r\n", "a\r\n.\r\nb\r\n", 10, 2, true },
	{ "a\r\n.\rb\r\n.\r\n", "a\r\n.\r\nb\r\n", 11, 1, true },
	{ "a\r\n.\r\r\n.\r\n", "a\r\n.\r\n\r\n", 10, 1, true },
	{ "a\r\n.\n.\r\n.\r\n", "a\r\n.\r\n.\r\n", 11, 1, true },
	{ "\n.\r\n.\r\n", "\r\n.\r\n", 7, 1, true },
	{ ".\n.\r\n", ".\r\n.\r\n", 5, 1, false },
	{ ".\r.\r\n", ".\r\n.\r\n", 5, 1, false },
	{ ".\r.\r\n.\r\n", ".\r\n.\r\n", 8, 1, true },
	{ "a\n..\r\n.\r\n", "a\r\n..\r\n", 9, 1, true },
	{ "a\r\r\n.\r\n", "a\r\n\r\n", 7, 1, true },
	{ "a\n\r.\r\n.\r\n", "a\r\n\r\n.\r\n", 9, 2, true },
	{ "a\r\r\r\n.\r\n", "a\r\n\r\n\r\n", 8, 2, true },
	{ "\n\n\n.\r\n", "\r\n\r\n\r\n.\r\n", 6, 3, false },
	{ "\r\r\r.\r\n", "\r\n\r\n\r\n.\r\n", 6, 3, false },
	{ "a\r\n.\r", "a\r\n", 5, 0, false },
	{ "a\r\n.", "a\r\n", 4, 0, false },
	{ "abc\r", "abc", 4, 0, false },
	{ "abc", "abc", 3, 0, false },
	{ "", "", 0, 0, false },
	/* the end leaves a pipelined command for the caller */
	{ "x\r\n.\r\nMAIL FROM:<a@b>\r\n", "x\r\n", 6, 0, true },
	{ "x\r\n.\r\n.\r\n", "x\r\n", 6, 0, true },
	{ ".\r\nQUIT\r\n", "", 3, 0, true },
	{ "x\n.\r\nQUIT\r\n.\r\nRSET\r\n", "x\r\n.\r\nQUIT\r\n", 14, 1,
	    true },
	/* 8-bit data and NUL pass through */
	{ "\x80\xff\x01\r\n.\r\n", "\x80\xff\x01\r\n", 8, 0, true },
};

static void
test_cases(void)
{
	struct run	whole;
	size_t		i, len, olen;
	char		name[300];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		olen = strlen(cases[i].out);
		feed(cases[i].in, len, NULL, 0, &whole);
		snprintf(name, sizeof(name), "\"%s\"", vis(cases[i].in, len));
		ok(whole.outlen == olen &&
		    memcmp(whole.out, cases[i].out, olen) == 0, name);
		if (whole.outlen != olen ||
		    memcmp(whole.out, cases[i].out, olen) != 0)
			printf("#   got \"%s\"\n", vis(whole.out, whole.outlen));
		is_int(whole.consumed, cases[i].consumed, "  consumed");
		is_int(whole.bare, cases[i].bare, "  bare_count");
		is_int(whole.done, cases[i].done, "  done");
		is_int(whole.octets_out, olen, "  octets_out");
		ok(whole.bound_ok, "  output within 2 * len + 4");
		is_int(splits_differ(cases[i].in, len, &whole), 0,
		    "  same result at every split and byte by byte");
		if (whole.done)
			ok(round_trip(whole.out, whole.outlen),
			    "  relayed and received again, it is the same");
		free(whole.out);
	}
}

/* Binary inputs (with NUL) that strlen cannot carry. */
static void
test_binary(void)
{
	static const char	in[] = "a\0b\r\n.\0\r\n.\r\n";
	static const char	want[] = "a\0b\r\n\0\r\n";
	struct run		r;

	feed(in, sizeof(in) - 1, NULL, 0, &r);
	ok(r.outlen == sizeof(want) - 1 &&
	    memcmp(r.out, want, r.outlen) == 0, "NUL passes through");
	is_int(r.consumed, sizeof(in) - 1, "  consumed all");
	is_int(splits_differ(in, sizeof(in) - 1, &r), 0, "  at every split");
	free(r.out);
}

static void
test_long(void)
{
	size_t		 n = 100000, i;
	char		*in = malloc(n + 5);
	struct run	 r;

	memset(in, 'x', n);
	memcpy(in + n, "\r\n.\r\n", 5);
	feed(in, n + 5, NULL, 0, &r);
	ok(r.done && r.outlen == n + 2, "100000-octet line");
	for (i = 0; i < n && r.out[i] == 'x'; i++)
		;
	ok(i == n && memcmp(r.out + n, "\r\n", 2) == 0, "  kept whole");
	free(r.out);
	free(in);
}

static void
test_after_done(void)
{
	struct smtp_data	d;
	char			out[64];
	size_t			olen, got;

	smtp_data_init(&d);
	got = smtp_data_feed(&d, ".\r\n", 3, out, &olen);
	ok(d.done && got == 3 && olen == 0, "empty message");
	olen = 99;
	got = smtp_data_feed(&d, "more\r\n", 6, out, &olen);
	ok(got == 0 && olen == 0, "nothing consumed once done");
	is_int(d.octets_out, 0, "  octets_out unchanged");
	smtp_data_init(&d);
	ok(!d.done && d.bare_count == 0 && d.octets_out == 0,
	    "init starts afresh");
	got = smtp_data_feed(&d, "x", 0, out, &olen);
	ok(got == 0 && olen == 0 && !d.done, "empty feed");
}

/*
 * The model: cut the input into lines by their ends (CRLF, bare CR,
 * bare LF) and apply the rules line by line.  Written to look nothing
 * like the state machine.
 */
static size_t
model(const char *in, size_t len, char *out, size_t *outlen,
    uint64_t *bare, bool *done)
{
	size_t	i = 0, o = 0, e, next, cl;
	bool	real = true, crlf;

	*bare = 0;
	*done = false;
	while (i < len) {
		for (e = i; e < len && in[e] != '\r' && in[e] != '\n'; e++)
			;
		if (e == len || (in[e] == '\r' && e + 1 == len))
			break;		/* line end not known yet */
		crlf = in[e] == '\r' && in[e + 1] == '\n';
		next = e + (crlf ? 2 : 1);
		cl = e - i;
		if (real && cl == 1 && in[i] == '.' && crlf) {
			*done = true;
			i = next;
			break;
		}
		if (real && cl >= 2 && in[i] == '.') {
			i++;
			cl--;
		}
		memcpy(out + o, in + i, cl);
		o += cl;
		out[o++] = '\r';
		out[o++] = '\n';
		if (!crlf)
			(*bare)++;
		real = crlf;
		i = next;
	}
	*outlen = o;
	return i;
}

static void
test_random(void)
{
	static const char	 alpha[] = "\r\n.\r\n.ab";
	char			 in[64], *mout;
	size_t			 i, k, len, mlen, mcons;
	uint64_t		 mbare;
	bool			 mdone;
	struct run		 r;
	int			 wrong = 0, splitbad = 0, ndone = 0, nbare = 0;
	int			 rtbad = 0;

	srandom(5321);
	mout = malloc(3 * sizeof(in));
	for (i = 0; i < 3000; i++) {
		len = random() % 40;
		for (k = 0; k < len; k++)
			in[k] = alpha[random() % (sizeof(alpha) - 1)];
		/* Every input ends: its own marker or this one. */
		memcpy(in + len, "\r\n.\r\n", 5);
		len += 5;
		mcons = model(in, len, mout, &mlen, &mbare, &mdone);
		feed(in, len, NULL, 0, &r);
		if (!mdone || !r.done || r.consumed != mcons ||
		    r.outlen != mlen || memcmp(r.out, mout, mlen) != 0 ||
		    r.bare != mbare) {
			if (wrong++ < 5)
				printf("# model differs on \"%s\"\n",
				    vis(in, len));
		}
		if (r.consumed < len)
			ndone++;
		if (r.bare > 0)
			nbare++;
		splitbad += splits_differ(in, len, &r) != 0;
		if (!round_trip(r.out, r.outlen) && rtbad++ < 5)
			printf("# round trip differs on \"%s\"\n", vis(in, len));
		free(r.out);
	}
	free(mout);
	is_int(wrong, 0, "3000 random inputs: filter agrees with the model");
	is_int(splitbad, 0, "  and with itself at every split");
	is_int(rtbad, 0, "  and relays as itself");
	ok(ndone > 100 && nbare > 1000, "  the inputs were varied enough");
}

/* xorshift64: the same inputs on every machine and libc. */
static uint64_t
prng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * One pseudo-random input of len octets.  Dense inputs draw every octet
 * from an alphabet weighted towards '.', CR, LF and 'a'; sparse ones are
 * mostly text with a line end, dot or bare CR/LF every `gap` octets on
 * average, so that long clean lines (the fast path) meet every case; a
 * quarter are clean, CRLF line ends only, as most mail is.
 */
static void
gen_input(uint64_t *x, char *in, size_t len)
{
	static const char	 dense[] = "....\r\r\r\r\n\n\n\naaaaaab \x00\xff";
	static const char	*const marks[] = {
		"\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\r\n.", "\r\n..",
		"\r\n.\r", "\r\n.\n", "\n", "\r", ".", "\n.", "\r.",
		"\r\n.\r\n", "\r\r\n", "\n\r"
	};
	size_t			 k = 0, gap, m, nmarks;
	const char		*mk;
	unsigned		 c;

	nmarks = sizeof(marks) / sizeof(marks[0]);
	switch (prng(x) % 4) {
	case 0:
		for (k = 0; k < len; k++)
			in[k] = dense[prng(x) % (sizeof(dense) - 1)];
		return;
	case 1:
		nmarks = 7;		/* "\r\n", "\r\n." and "\r\n.." */
		break;
	}
	gap = 2 + prng(x) % 120;
	while (k < len) {
		if (prng(x) % gap != 0) {
			/* Text, with some 8-bit and NUL; CR and LF come
			 * only from the marks. */
			c = prng(x) % 16 == 0 ? prng(x) % 256 :
			    'a' + prng(x) % 26;
			in[k++] = c == '\r' || c == '\n' ? 'x' : (char)c;
			continue;
		}
		mk = marks[prng(x) % nmarks];
		/* The end marker only rarely, so that most inputs go on. */
		if (strcmp(mk, "\r\n.\r\n") == 0 && prng(x) % 8 != 0)
			mk = "\r\n";
		for (m = 0; mk[m] != '\0' && k < len; m++)
			in[k++] = mk[m];
	}
}

/* Up to max sorted cut positions in [0, len]; chunks of 1..8 if small. */
static size_t
gen_cuts(uint64_t *x, size_t len, size_t *cuts, size_t max, bool small)
{
	size_t	n = 0, at = 0, i, j, t;

	if (small) {
		while (n < max && (at += 1 + prng(x) % 8) < len)
			cuts[n++] = at;
		return n;
	}
	n = 1 + prng(x) % max;
	for (i = 0; i < n; i++)
		cuts[i] = len > 0 ? prng(x) % (len + 1) : 0;
	for (i = 1; i < n; i++)		/* insertion sort */
		for (j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			t = cuts[j];
			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	return n;
}

static void
test_differential(void)
{
	enum { N = 3000, MAXLEN = 4096, MAXCUTS = MAXLEN };
	uint64_t	 x = 0x5321c0ffee18ULL;
	char		*in;
	size_t		*cuts, ncuts, len, i, k;
	struct run	 ref, ref_cut, got;
	int		 bad_whole = 0, bad_cut = 0, ndone = 0, nbare = 0;
	int		 nlong = 0, nclean = 0;

	cuts = malloc(MAXCUTS * sizeof(*cuts));
	for (i = 0; i < N; i++) {
		len = i < 8 ? i : prng(&x) % (MAXLEN + 1);
		/* Exactly len octets on the heap: a read past the end of
		 * the input is an ASan error. */
		in = malloc(len > 0 ? len : 1);
		gen_input(&x, in, len);

		feed_with(ref_data_feed, in, len, NULL, 0, &ref);
		feed(in, len, NULL, 0, &got);
		if (!same(&ref, &got) && bad_whole++ < 5)
			printf("# whole differs (input %zu, %zu octets)\n", i,
			    len);
		free(got.out);
		ndone += ref.done;
		nbare += ref.bare > 0;
		nlong += ref.outlen > 1000;
		nclean += ref.outlen > 1000 && ref.bare == 0;

		for (k = 0; k < 4; k++) {
			ncuts = gen_cuts(&x, len, cuts, k == 3 ? MAXCUTS : 16,
			    k == 3);
			feed_with(ref_data_feed, in, len, cuts, ncuts,
			    &ref_cut);
			feed(in, len, cuts, ncuts, &got);
			if ((!same(&ref_cut, &got) || !same(&ref, &got)) &&
			    bad_cut++ < 5)
				printf("# cut differs (input %zu, %zu octets, "
				    "%zu cuts)\n", i, len, ncuts);
			free(ref_cut.out);
			free(got.out);
		}
		free(ref.out);
		free(in);
	}
	free(cuts);
	is_int(bad_whole, 0, "3000 random inputs up to 4 KiB, whole: "
	    "the same as the per-octet reference");
	is_int(bad_cut, 0, "  cut at random points and in 1..8-octet "
	    "chunks: the same");
	ok(ndone > 300 && ndone < N - 300 && nbare > 300 &&
	    nbare < N - 300 && nlong > 300 && nclean > 300,
	    "  the inputs were varied enough");
	printf("# %d ended, %d with bare line ends, %d stored over 1000 "
	    "octets (%d of them clean)\n", ndone, nbare, nlong, nclean);
}

/* Header scanner. */

static const struct {
	const char	*in;
	long		 end;		/* absolute; -1: only at finish */
	bool		 msgid, date, blank;
	long		 fin_end;	/* end_offset after finish */
} hcases[] = {
	{ "Subject: x\r\n\r\nbody\r\n", 12, false, false, false, 12 },
	{ "Message-ID: <a@b>\r\nDate: x\r\n\r\nbody\r\n",
	    28, true, true, false, 28 },
	{ "message-id: <a>\r\nDATE: x\r\n\r\n", 26, true, true, false, 26 },
	{ "Message-Id :<a>\r\nDate\t: x\r\n\r\n", 27, true, true, false, 27 },
	{ "Message-IDx: a\r\nDatex: b\r\nXDate: c\r\nDat: d\r\n"
	    "Message-I: e\r\n\r\n", 58, false, false, false, 58 },
	{ "Subject: a\r\n folded\r\n\tmore\r\nDate: x\r\n\r\n",
	    37, false, true, false, 37 },
	{ "Subject: a\r\nHello world\r\n", 12, false, false, true, 12 },
	{ "Subject: a\r\nHello\r\n", 12, false, false, true, 12 },
	{ "Subject: a\r\nDate  x\r\n", 12, false, false, true, 12 },
	{ "Subject: a\r\nNote to self: x\r\n", 12, false, false, true, 12 },
	{ "Date x: y\r\n", 0, false, false, true, 0 },
	{ "Date: a\r\n:bad\r\n", 9, false, true, true, 9 },
	{ "Date: a\r\nX-\x80: b\r\n\r\n", 9, false, true, true, 9 },
	{ "From me@x Mon\r\nSubject: a\r\n\r\n", 0, false, false, true, 0 },
	{ " cont\r\nSubject: a\r\n\r\n", 0, false, false, true, 0 },
	{ "\tcont\r\n\r\n", 0, false, false, true, 0 },
	{ "\r\nbody\r\n", 0, false, false, false, 0 },
	{ "Subject: a\r\n Date: x\r\n\r\n", 22, false, false, false, 22 },
	{ "A: b\r\n\r\nDate: x\r\nMessage-ID: y\r\n", 6, false, false,
	    false, 6 },
	{ "Date:\r\nMessage-ID:\r\n\r\n", 20, true, true, false, 20 },
	{ "Subject: a\r\n", -1, false, false, false, 12 },
	{ "Subject: a\r\nDate: x\r\n", -1, false, true, false, 21 },
	{ "Message-ID: a\r\n b\r\n", -1, true, false, false, 19 },
	{ "", -1, false, false, false, 0 },
	{ "Subject: a\r\nDate", -1, false, false, true, 12 },
};

struct hrun {
	long		end;		/* absolute, from the return value */
	struct hdr_scan	h;
	bool		consistent;	/* return, end_offset, pending agree */
};

static void
hfeed(const char *in, size_t len, const size_t *cuts, size_t ncuts,
    struct hrun *r)
{
	size_t	k, from = 0, to, pend;
	long	ret;

	memset(r, 0, sizeof(*r));
	r->end = -1;
	r->consistent = true;
	hdr_scan_init(&r->h);
	for (k = 0; k <= ncuts; k++) {
		to = k < ncuts ? cuts[k] : len;
		pend = hdr_scan_pending(&r->h);
		if (pend > 998 || pend > from)
			r->consistent = false;
		ret = hdr_scan_feed(&r->h, in + from, to - from);
		if (ret >= 0) {
			if (r->end != -1 || !r->h.done ||
			    (size_t)ret > to - from)
				r->consistent = false;
			/* The return is in this buffer, or 0 when the end
			 * is earlier: in the octets that were pending. */
			if (r->h.end_offset >= from) {
				if ((uint64_t)ret != r->h.end_offset - from)
					r->consistent = false;
			} else if (ret != 0 ||
			    r->h.end_offset < from - pend)
				r->consistent = false;
			r->end = r->h.end_offset;
		} else if (r->h.done && r->end == -1)
			r->consistent = false;
		from = to;
	}
}

static bool
hsame(const struct hrun *a, const struct hrun *b)
{
	return a->end == b->end && a->h.done == b->h.done &&
	    a->h.has_message_id == b->h.has_message_id &&
	    a->h.has_date == b->h.has_date &&
	    a->h.need_blank == b->h.need_blank &&
	    a->h.end_offset == b->h.end_offset && b->consistent;
}

static int
hsplits_differ(const char *in, size_t len, const struct hrun *whole)
{
	struct hrun	 r;
	size_t		 i, j, cuts[2], *bytes;
	int		 bad = 0;

	for (i = 0; i <= len; i++) {
		cuts[0] = i;
		hfeed(in, len, cuts, 1, &r);
		bad += !hsame(whole, &r);
	}
	for (i = 0; i <= len && len <= 64; i++)
		for (j = i; j <= len; j++) {
			cuts[0] = i;
			cuts[1] = j;
			hfeed(in, len, cuts, 2, &r);
			bad += !hsame(whole, &r);
		}
	bytes = malloc((len + 1) * sizeof(*bytes));
	for (i = 0; i < len; i++)
		bytes[i] = i + 1;
	hfeed(in, len, bytes, len, &r);
	bad += !hsame(whole, &r);
	free(bytes);
	return bad;
}

static void
test_hdr_cases(void)
{
	struct hrun	r;
	size_t		i, len;
	char		name[300];

	for (i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		len = strlen(hcases[i].in);
		hfeed(hcases[i].in, len, NULL, 0, &r);
		snprintf(name, sizeof(name), "headers \"%s\"",
		    vis(hcases[i].in, len));
		is_int(r.end, hcases[i].end, name);
		ok(r.consistent, "  return and end_offset agree");
		is_int(r.h.done, hcases[i].end != -1, "  done");
		is_int(r.h.has_message_id, hcases[i].msgid, "  Message-ID");
		is_int(r.h.has_date, hcases[i].date, "  Date");
		is_int(hsplits_differ(hcases[i].in, len, &r), 0,
		    "  same result at every split and byte by byte");
		hdr_scan_finish(&r.h);
		ok(r.h.done, "  done after finish");
		is_int(r.h.need_blank, hcases[i].blank, "  need_blank");
		is_int(r.h.end_offset, hcases[i].fin_end, "  end_offset");
		is_int(hdr_scan_feed(&r.h, "Date: x\r\n\r\n", 11), -1,
		    "  -1 after the end");
		is_int(r.h.has_date, hcases[i].date, "  and nothing more seen");
	}
}

/* The end falls in an earlier buffer: return 0, end_offset is exact. */
static void
test_hdr_earlier(void)
{
	struct hdr_scan	h;

	hdr_scan_init(&h);
	is_int(hdr_scan_feed(&h, "Subject: a\r\nHel", 15), -1,
	    "undecided line");
	is_int(hdr_scan_pending(&h), 3, "  3 octets pending");
	is_int(hdr_scan_feed(&h, "lo", 2), -1, "  still undecided");
	is_int(hdr_scan_pending(&h), 5, "  5 octets pending");
	is_int(hdr_scan_feed(&h, " world\r\n", 8), 0, "  ends: returns 0");
	is_int(h.end_offset, 12, "  end_offset at the line start");
	ok(h.need_blank, "  need_blank");
	is_int(hdr_scan_pending(&h), 0, "  nothing pending once done");

	hdr_scan_init(&h);
	is_int(hdr_scan_feed(&h, "Subject: a\r\n", 12), -1, "whole line");
	is_int(hdr_scan_pending(&h), 0, "  nothing pending at a line start");
	is_int(hdr_scan_feed(&h, "Dat", 3), -1, "  name begins");
	is_int(hdr_scan_pending(&h), 3, "  3 pending");
	is_int(hdr_scan_feed(&h, "e: x", 4), -1, "  a header after all");
	is_int(hdr_scan_pending(&h), 0, "  nothing pending in a field");
	ok(h.has_date, "  Date seen");
}

/* A name of 997 octets is a header; 998 cannot fit in a line with ':'. */
static void
test_hdr_long(void)
{
	char		in[1100];
	struct hrun	r;

	memcpy(in, "A: b\r\n", 6);
	memset(in + 6, 'x', 997);
	memcpy(in + 6 + 997, ": v\r\n\r\n", 8);
	hfeed(in, strlen(in), NULL, 0, &r);
	is_int(r.end, 6 + 997 + 5, "997-octet field name is a header");
	is_int(hsplits_differ(in, strlen(in), &r), 0, "  at every split");
	memset(in + 6, 'x', 998);
	memcpy(in + 6 + 998, ": v\r\n\r\n", 8);
	hfeed(in, strlen(in), NULL, 0, &r);
	is_int(r.end, 6, "998-octet field name is not");
	ok(r.h.need_blank, "  need_blank");
	is_int(hsplits_differ(in, strlen(in), &r), 0, "  at every split");
}

/* The two together, as the server uses them: filter, then scan. */
static void
test_pipeline(void)
{
	static const char in[] =
	    "Subject: hi\r\n"
	    "..dotted: a header name, after unstuffing\n"
	    "date: x\r\n"
	    "\r\n"
	    "..body\r\n"
	    ".\r\n"
	    "QUIT\r\n";
	struct smtp_data	d;
	struct hdr_scan		h;
	char			out[2 * sizeof(in) + 4];
	size_t			off = 0, got, olen, total = 0;
	long			ret, end = -1;
	uint64_t		base;

	smtp_data_init(&d);
	hdr_scan_init(&h);
	while (!d.done && off < sizeof(in) - 1) {
		got = smtp_data_feed(&d, in + off, 7 < sizeof(in) - 1 - off ?
		    7 : sizeof(in) - 1 - off, out, &olen);
		off += got;
		base = total;
		ret = hdr_scan_feed(&h, out, olen);
		if (ret >= 0)
			end = (long)base + ret;
		total += olen;
	}
	ok(d.done, "filter then scan: data ends");
	is_int(off, sizeof(in) - 1 - 6, "  QUIT left over");
	is_int(d.bare_count, 1, "  one bare LF");
	ok(h.done && !h.need_blank, "  header section ends at the blank");
	is_int(end, 13 + 42 + 9, "  at the right offset");
	ok(h.has_date && !h.has_message_id, "  Date seen, Message-ID not");
}

/* BDAT: input, then the stored form and the bare count, whole and cut. */
static void
bdat_case_n(const char *name, const char *in, size_t len, const char *want,
    size_t wantlen, uint64_t bare)
{
	struct bdat_filter	 b;
	char			*out = malloc(2 * len + 4), t[200];
	size_t			 o, n, i, cut;
	int			 same = 1;

	bdat_init(&b);
	bdat_feed(&b, in, len, out, &o);
	bdat_finish(&b, out + o, &n);
	o += n;
	snprintf(t, sizeof(t), "bdat %s: stored form", name);
	ok(o == wantlen && memcmp(out, want, o) == 0, t);
	snprintf(t, sizeof(t), "bdat %s: bare count", name);
	is_int(b.bare_count, bare, t);
	snprintf(t, sizeof(t), "bdat %s: octets", name);
	ok(b.octets_in == len && b.octets_out == o, t);
	/* Cut into chunks at every position, one and two cuts. */
	for (cut = 0; cut <= len; cut++) {
		for (i = cut; i <= len; i++) {
			char *o2 = malloc(2 * len + 8);
			size_t a, c, d, e;

			bdat_init(&b);
			bdat_feed(&b, in, cut, o2, &a);
			bdat_feed(&b, in + cut, i - cut, o2 + a, &c);
			bdat_feed(&b, in + i, len - i, o2 + a + c, &d);
			bdat_finish(&b, o2 + a + c + d, &e);
			if (a + c + d + e != o || memcmp(o2, out, o) != 0 ||
			    b.bare_count != bare)
				same = 0;
			free(o2);
		}
	}
	snprintf(t, sizeof(t), "bdat %s: cut anywhere, the same", name);
	ok(same, t);
	free(out);
}

static void
bdat_case(const char *name, const char *in, const char *want, uint64_t bare)
{
	bdat_case_n(name, in, strlen(in), want, strlen(want), bare);
}

static void
test_bdat(void)
{
	bdat_case_n("empty", "", 0, "", 0, 0);
	bdat_case("one line", "Subject: x\r\n\r\nbody\r\n",
	    "Subject: x\r\n\r\nbody\r\n", 0);
	bdat_case("dots are data", ".\r\n..\r\n.x\r\n", ".\r\n..\r\n.x\r\n", 0);
	bdat_case("CRLF.CRLF inside is data", "a\r\n.\r\nb\r\n",
	    "a\r\n.\r\nb\r\n", 0);
	bdat_case("no final line end", "a\r\nb", "a\r\nb\r\n", 0);
	bdat_case("bare LF", "a\nb\r\n", "a\r\nb\r\n", 1);
	bdat_case("bare CR", "a\rb\r\n", "a\r\nb\r\n", 1);
	bdat_case("CR at the very end", "a\r", "a\r\n", 1);
	bdat_case("CR CR LF", "a\r\r\n", "a\r\n\r\n", 1);
	bdat_case("LF CR", "\n\r", "\r\n\r\n", 2);
	bdat_case_n("NUL and 8-bit kept", "a\0\xff\r\n", 5, "a\0\xff\r\n", 5, 0);
}

int
main(void)
{
	test_bdat();
	test_cases();
	test_binary();
	test_long();
	test_after_done();
	test_random();
	test_differential();
	test_hdr_cases();
	test_hdr_earlier();
	test_hdr_long();
	test_pipeline();
	return done_testing();
}
