/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_canon-fuzz.c — libFuzzer harness for dkim_canon.c's streaming body
 * canonicalizer.  The first octets choose where to cut the rest; both
 * algorithms must give the same output cut or whole, and the output must
 * keep the RFC 6376 §3.4 invariants: it ends in exactly one CRLF (or is
 * empty, relaxed only), relaxed output has no blank before a CRLF, no
 * blank run longer than one SP, and never grows a line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_canon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct out {
	char	*p;
	size_t	 len, cap;
};

static void
collect(void *arg, const void *p, size_t len)
{
	struct out	*o = arg;

	if (o->len + len > o->cap) {
		o->cap = 2 * (o->len + len);
		if ((o->p = realloc(o->p, o->cap)) == NULL)
			abort();
	}
	memcpy(o->p + o->len, p, len);
	o->len += len;
}

static void
run(enum dkim_canon c, const char *in, size_t len, const uint8_t *step,
    size_t nstep, struct out *o)
{
	struct dkim_body b;
	size_t		 from = 0, n, k = 0;

	memset(o, 0, sizeof(*o));
	dkim_body_init(&b, c, collect, o);
	while (from < len) {
		n = len - from;
		if (nstep > 0) {
			n = 1 + step[k++ % nstep] % 97;
			if (n > len - from)
				n = len - from;
		}
		dkim_body_feed(&b, in + from, n);
		from += n;
	}
	dkim_body_finish(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out	 whole, cut;
	size_t		 nstep, i;
	const char	*in;
	int		 c;

	if (size < 1)
		return 0;
	nstep = data[0] % 16;
	if (size < 1 + nstep)
		return 0;
	in = (const char *)data + 1 + nstep;
	size -= 1 + nstep;
	for (c = DKIM_SIMPLE; c <= DKIM_RELAXED; c++) {
		run(c, in, size, NULL, 0, &whole);
		run(c, in, size, data + 1, nstep, &cut);
		if (whole.len != cut.len ||
		    (whole.len > 0 && memcmp(whole.p, cut.p, whole.len) != 0))
			abort();
		if (c == DKIM_SIMPLE && whole.len < 2)
			abort();
		if (whole.len > 0) {
			if (whole.len < 2 || whole.p[whole.len - 2] != '\r' ||
			    whole.p[whole.len - 1] != '\n')
				abort();
			if (whole.len >= 4 && memcmp(whole.p + whole.len - 4,
			    "\r\n\r\n", 4) == 0)
				abort();
		}
		if (c == DKIM_SIMPLE && whole.len > size + 2)
			abort();
		if (c == DKIM_RELAXED) {
			if (whole.len > size + 2)
				abort();
			for (i = 0; i + 1 < whole.len; i++) {
				if ((whole.p[i] == ' ' || whole.p[i] == '\t') &&
				    (whole.p[i + 1] == ' ' ||
				    whole.p[i + 1] == '\t' ||
				    (whole.p[i + 1] == '\r' && i + 2 <
				    whole.len && whole.p[i + 2] == '\n')))
					abort();
				if (whole.p[i] == '\t')
					abort();
			}
		}
		free(whole.p);
		free(cut.p);
	}
	return 0;
}
