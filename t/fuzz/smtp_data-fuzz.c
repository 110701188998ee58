/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_data-fuzz.c — libFuzzer harness for smtp_data.c.  The first
 * octets choose where to cut the rest; the DATA filter and the header
 * scanner must give the same result cut or whole, the filter must stay
 * within its output bound and never store a bare CR or LF, and a stored
 * message, dot-stuffed again as the relay does, must come back as itself.
 * The BDAT filter likewise: cut or whole the same, within its bound, no
 * bare CR or LF stored, and the stored message ends with CRLF.  The DATA
 * filter must also give, cut and whole, exactly what the per-octet filter
 * its memchr fast path replaced gives (../smtp_data-ref.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"
#include "../smtp_data-ref.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct res {
	char		*out;
	size_t		 outlen, consumed;
	struct smtp_data d;
	struct hdr_scan	 h;
	uint64_t	 hend;
};

typedef size_t	feed_fn(struct smtp_data *, const char *, size_t, char *,
		    size_t *);

/* Cut in at the positions given by step (0: whole), filter with fn, then
 * scan. */
static void
run_with(feed_fn *fn, const char *in, size_t len, const uint8_t *step,
    size_t nstep, struct res *r)
{
	size_t	 from = 0, n, k = 0, olen, got;
	char	*buf;
	long	 ret;

	memset(r, 0, sizeof(*r));
	r->out = malloc(2 * len + 8);
	r->hend = (uint64_t)-1;
	smtp_data_init(&r->d);
	hdr_scan_init(&r->h);
	while (!r->d.done && (from < len || k == 0)) {
		n = len - from;
		if (nstep > 0 && step[k % nstep] != 0 && step[k % nstep] < n)
			n = step[k % nstep];
		k++;
		buf = malloc(2 * n + 4);
		got = fn(&r->d, in + from, n, buf, &olen);
		if (olen > 2 * n + 4 || (!r->d.done && got != n) || got > n)
			abort();
		ret = hdr_scan_feed(&r->h, buf, olen);
		if (ret >= 0)
			r->hend = r->h.end_offset;
		memcpy(r->out + r->outlen, buf, olen);
		r->outlen += olen;
		free(buf);
		from += got;
		if (n == 0)
			break;
	}
	r->consumed = from;
	hdr_scan_finish(&r->h);
}

static void
run(const char *in, size_t len, const uint8_t *step, size_t nstep,
    struct res *r)
{
	run_with(smtp_data_feed, in, len, step, nstep, r);
}

/* The same as the reference filter, octet for octet. */
static void
check_ref(const struct res *a, const char *in, size_t len,
    const uint8_t *step, size_t nstep)
{
	struct res	ref;

	run_with(ref_data_feed, in, len, step, nstep, &ref);
	if (a->outlen != ref.outlen ||
	    memcmp(a->out, ref.out, a->outlen) != 0 ||
	    a->consumed != ref.consumed || a->d.done != ref.d.done ||
	    a->d.bare_count != ref.d.bare_count ||
	    a->d.octets_out != ref.d.octets_out)
		abort();
	free(ref.out);
}

/* BDAT: the same input as chunks cut at the given steps. */
static char *
run_bdat(const char *in, size_t len, const uint8_t *step, size_t nstep,
    size_t *outlen, uint64_t *bare)
{
	struct bdat_filter	 b;
	char			*out = malloc(2 * len + 8);
	size_t			 from = 0, n, k = 0, o = 0, got;

	bdat_init(&b);
	while (from < len) {
		n = len - from;
		if (nstep > 0 && step[k % nstep] != 0 && step[k % nstep] < n)
			n = step[k % nstep];
		k++;
		bdat_feed(&b, in + from, n, out + o, &got);
		if (got > 2 * n + 2)
			abort();
		o += got;
		from += n;
	}
	bdat_finish(&b, out + o, &got);
	if (got > 2)
		abort();
	o += got;
	if (b.octets_in != len || b.octets_out != o)
		abort();
	/* Only CRLF line ends, and the last line ended. */
	for (size_t i = 0; i < o; i++)
		if ((out[i] == '\r' && (i + 1 == o || out[i + 1] != '\n')) ||
		    (out[i] == '\n' && (i == 0 || out[i - 1] != '\r')))
			abort();
	if (o > 0 && (o < 2 || out[o - 2] != '\r' || out[o - 1] != '\n'))
		abort();
	*outlen = o;
	*bare = b.bare_count;
	return out;
}

static void
check_bdat(const char *in, size_t len, const uint8_t *step, size_t nstep)
{
	size_t		 la, lb;
	uint64_t	 ba, bb;
	char		*a = run_bdat(in, len, NULL, 0, &la, &ba);
	char		*b = run_bdat(in, len, step, nstep, &lb, &bb);

	if (la != lb || memcmp(a, b, la) != 0 || ba != bb)
		abort();
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct res	 a, b;
	size_t		 nstep, i, w;
	char		*wire;

	if (len < 1)
		return 0;
	nstep = data[0] % 8;
	if (len < 1 + nstep)
		return 0;
	check_bdat((const char *)data + 1 + nstep, len - 1 - nstep, data + 1,
	    nstep);
	run((const char *)data + 1 + nstep, len - 1 - nstep, NULL, 0, &a);
	run((const char *)data + 1 + nstep, len - 1 - nstep, data + 1, nstep,
	    &b);
	if (a.outlen != b.outlen || memcmp(a.out, b.out, a.outlen) != 0 ||
	    a.consumed != b.consumed || a.d.done != b.d.done ||
	    a.d.bare_count != b.d.bare_count ||
	    a.d.octets_out != a.outlen || b.d.octets_out != b.outlen ||
	    a.hend != b.hend || a.h.end_offset != b.h.end_offset ||
	    a.h.has_date != b.h.has_date ||
	    a.h.has_message_id != b.h.has_message_id ||
	    a.h.need_blank != b.h.need_blank)
		abort();
	check_ref(&a, (const char *)data + 1 + nstep, len - 1 - nstep, NULL,
	    0);
	check_ref(&b, (const char *)data + 1 + nstep, len - 1 - nstep,
	    data + 1, nstep);
	free(b.out);

	/* No bare CR or LF is ever stored (a held-back CR may end it). */
	for (i = 0; i < a.outlen; i++) {
		if (a.out[i] == '\r' && i + 1 < a.outlen && a.out[i + 1] != '\n')
			abort();
		if (a.out[i] == '\n' && (i == 0 || a.out[i - 1] != '\r'))
			abort();
	}

	if (a.d.done) {
		wire = malloc(2 * a.outlen + 8);
		for (i = w = 0; i < a.outlen; i++) {
			if (a.out[i] == '.' && (i == 0 || a.out[i - 1] == '\n'))
				wire[w++] = '.';
			wire[w++] = a.out[i];
		}
		memcpy(wire + w, ".\r\n", 3);
		run(wire, w + 3, NULL, 0, &b);
		if (!b.d.done || b.consumed != w + 3 || b.d.bare_count != 0 ||
		    b.outlen != a.outlen || memcmp(b.out, a.out, a.outlen) != 0)
			abort();
		free(b.out);
		free(wire);
	}
	free(a.out);
	return 0;
}
