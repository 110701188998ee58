/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * hdr_filter-t.c — unit tests for hdr_filter.c: strip_headers removes
 * every occurrence with its continuation lines, address fields are
 * rewritten, the body is never touched, and the result does not depend
 * on how the input is cut into pieces.
 */
#include <stdlib.h>
#include <string.h>

#include "hdr_filter.h"
#include "rewrite.h"
#include "util.h"
#include "../tap.h"

static char *strip[] = { "Received", "X-Originating-IP", "user-agent" };
static struct rewrite_rule senders[] = { { "root", "alerts@example.com", 1 } };
static struct rewrite_conf rc = { senders, 1, NULL, 0, true, NULL, 0 };

/* Filter in, cut every `step` octets (0: whole). */
static char *
run(const char *in, size_t step, bool rw, unsigned *stripped)
{
	struct hdr_filter	 f;
	struct buf		 out = { NULL, 0, 0 };
	size_t			 len = strlen(in), i, n;

	hdr_filter_init(&f, strip, 3, rw ? &rc : NULL, "router.lan");
	for (i = 0; i < len; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		hdr_filter_feed(&f, in + i, n, &out);
	}
	hdr_filter_finish(&f, &out);
	if (stripped != NULL)
		*stripped = f.stripped;
	hdr_filter_free(&f);
	if (out.p == NULL)
		out.p = xstrdup("");
	return out.p;
}

static void
is_filter(const char *in, bool rw, const char *want, const char *name)
{
	size_t	 steps[] = { 0, 1, 2, 3, 7 }, i;
	char	*got, *nm;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		got = run(in, steps[i], rw, NULL);
		nm = xasprintf("%s (pieces of %zu)", name, steps[i]);
		is_str(got, want, nm);
		free(got);
		free(nm);
	}
}

int
main(void)
{
	struct hdr_filter	 f;
	unsigned		 n;
	char			*got, *big;

	is_filter("Received: from a\r\n\tby b; date\r\nReceived: from c\r\n"
	    "Subject: hi\r\nreceived : from d\r\n  (folded)\r\n"
	    "X-Originating-IP: [10.0.0.1]\r\nUser-Agent: x\r\n\r\n"
	    "Received: in the body stays\r\n", false,
	    "Subject: hi\r\n\r\nReceived: in the body stays\r\n",
	    "every occurrence and its folded lines");
	got = run("Received: a\r\nReceived: b\r\nreceived: c\r\n\r\nx\r\n", 0,
	    false, &n);
	is_int(n, 3, "stripped counted");
	free(got);
	is_filter("X-Received: keep\r\nReceivedX: keep\r\n\r\n", false,
	    "X-Received: keep\r\nReceivedX: keep\r\n\r\n", "names match exactly");
	is_filter("From: \"Cron Daemon\" <root>\r\nTo: root\r\n"
	    "Subject: cron\r\n\r\nFrom: root\r\n", true,
	    "From: \"Cron Daemon\" <alerts@example.com>\r\nTo: root\r\n"
	    "Subject: cron\r\n\r\nFrom: root\r\n",
	    "From: rewritten, To: and body not");
	is_filter("From: root,\r\n (Cron Daemon)\r\nReceived: x\r\n\r\n", true,
	    "From: alerts@example.com,\r\n (Cron Daemon)\r\n\r\n",
	    "folded From: rewritten, then a stripped field");
	is_filter("Subject: a\r\nnot a header line\r\nReceived: x\r\n\r\n",
	    false, "Subject: a\r\nnot a header line\r\nReceived: x\r\n\r\n",
	    "a non-header line ends the section");
	is_filter("Bad name: x\r\nReceived: y\r\n", false,
	    "Bad name: x\r\nReceived: y\r\n", "blank inside a name ends it");
	is_filter("Received: only headers\r\nFrom: root", true,
	    "From: alerts@example.com", "all headers, no final CRLF");
	is_filter("", true, "", "empty message");
	is_filter("\r\nReceived: body\r\n", false, "\r\nReceived: body\r\n",
	    "empty header section");

	/* A field too long to hold passes as it is, in bounded memory. */
	big = xmalloc(HDR_FILTER_FIELD_MAX + 100);
	memcpy(big, "From: root", 10);
	memset(big + 10, ' ', HDR_FILTER_FIELD_MAX + 80);
	memcpy(big + HDR_FILTER_FIELD_MAX + 90, "\r\n\r\nbody", 9);
	got = run(big, 4096, true, NULL);
	is_str(got, big, "overlong field passes unchanged");
	free(got);
	free(big);

	hdr_filter_init(&f, NULL, 0, NULL, "h");
	ok(!hdr_filter_active(&f), "inactive without settings");
	hdr_filter_init(&f, strip, 1, NULL, "h");
	ok(hdr_filter_active(&f), "active with strip_headers");
	return done_testing();
}
