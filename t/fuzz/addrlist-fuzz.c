/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * addrlist-fuzz.c — libFuzzer harness for addrlist.c, rewrite.c and
 * hdr_filter.c: any octets as an address-list value either parse or are
 * malformed; a rewrite of a well-formed list is itself well-formed with
 * the same number of addresses, and a rewrite that changes nothing says
 * so; the header filter gives the same output whether its input comes
 * whole or in pieces, and never grows a message it only strips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "hdr_filter.h"
#include "rewrite.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
count(const struct addrlist_addr *a, void *arg)
{
	if (a->addr == NULL || a->end < a->start)
		abort();
	(*(size_t *)arg)++;
	return 0;
}

static char *
map_all(const char *addr, void *arg)
{
	(void)arg;
	(void)addr;
	return xstrdup("\"new one\"@example.org");
}

static char *
map_same(const char *addr, void *arg)
{
	(void)arg;
	return xstrdup(addr);
}

static char *strip[] = { "received", "x-originating-ip" };
static struct rewrite_rule rules[] = {
	{ "*@*.lan", "*@example.com", 1 }, { "root", "alerts@example.com", 2 },
};
static struct rewrite_conf rc = { rules, 2, rules, 2, true, NULL, 0 };

static struct buf
filter(const char *in, size_t len, size_t step, const struct rewrite_conf *r)
{
	struct hdr_filter	 f;
	struct buf		 out = { NULL, 0, 0 };
	size_t			 i, n;

	hdr_filter_init(&f, strip, 2, r, "router.lan");
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		hdr_filter_feed(&f, in + i, n, &out);
	}
	hdr_filter_finish(&f, &out);
	hdr_filter_free(&f);
	buf_add(&out, "", 0);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf	 out = { NULL, 0, 0 };
	size_t		 n1 = 0, n2 = 0;
	struct buf	 a, b;
	char		*copy;
	int		 rc1;

	/* An exact-size copy: ASan sees any read past len. */
	copy = malloc(len ? len : 1);
	memcpy(copy, data, len);

	rc1 = addrlist_walk(copy, len, count, &n1);
	if (addrlist_rewrite(copy, len, map_same, NULL, &out) != (rc1 ? -1 : 0))
		abort();
	if (addrlist_rewrite(copy, len, map_all, NULL, &out) == 1) {
		if (rc1 != 0 || addrlist_walk(out.p, out.len, count, &n2) != 0 ||
		    n1 != n2)
			abort();
	}
	free(out.p);

	/* A rewritten field keeps its line structure: no CR or LF is
	 * added, so no header can be injected through an address. */
	{
		struct buf	 f = { NULL, 0, 0 }, o = { NULL, 0, 0 };
		size_t		 i, ends_in = 0, ends_out = 0;

		buf_add(&f, "From:", 5);
		buf_add(&f, copy, len);
		buf_add(&f, "\r\n", 2);
		if (rewrite_header(&rc, "router.lan", f.p, f.len, &o) == 1) {
			for (i = 0; i < f.len; i++)
				ends_in += f.p[i] == '\r' || f.p[i] == '\n';
			for (i = 0; i < o.len; i++)
				ends_out += o.p[i] == '\r' || o.p[i] == '\n';
			if (ends_in != ends_out)
				abort();
		}
		free(f.p);
		free(o.p);
	}

	/* Whole versus cut, with and without rewriting. */
	a = filter(copy, len, len ? len : 1, &rc);
	b = filter(copy, len, 3, &rc);
	if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		abort();
	free(a.p);
	free(b.p);
	a = filter(copy, len, 1, NULL);
	if (a.len > len)
		abort();
	free(a.p);
	free(copy);
	return 0;
}
