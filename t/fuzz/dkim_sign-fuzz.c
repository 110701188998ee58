/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_sign-fuzz.c — libFuzzer harness for dkim_sign.c's streaming message
 * signer (the header field collector, the From: parser, the body hashes).
 * The first octets choose where to cut the rest; cut or whole, the same
 * DKIM-Signature: fields must come out (Ed25519 is deterministic), and
 * every line of them must end in CRLF, be at most 78 octets and be either
 * a field's first line or a tab continuation.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim_sign.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct dkim_signer s[2];
static char *hdrs[] = { "from", "to", "subject", "date", "message-id" };

static void
setup(void)
{
	static const unsigned char seed[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	EVP_PKEY	*k;

	if (s[0].key != NULL)
		return;
	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    sizeof(seed))) == NULL)
		abort();
	s[0].domain = "example.com";
	s[0].selector = "a";
	s[0].subdomains = true;
	s[0].headers = hdrs;
	s[0].n_headers = 5;
	s[0].hcanon = s[0].bcanon = DKIM_RELAXED;
	s[0].key = k;
	s[0].alg = DKIM_ED25519_SHA256;
	s[1] = s[0];
	s[1].selector = "b";
	s[1].hcanon = s[1].bcanon = DKIM_SIMPLE;
}

static int
run(const char *in, size_t len, const uint8_t *step, size_t nstep,
    struct buf *out)
{
	struct dkim_msg	*m = dkim_msg_new(s, 2);
	char		 err[256];
	size_t		 from = 0, n, k = 0;
	int		 rc;

	while (from < len) {
		n = len - from;
		if (nstep > 0) {
			n = 1 + step[k++ % nstep] % 61;
			if (n > len - from)
				n = len - from;
		}
		dkim_msg_feed(m, in + from, n);
		from += n;
	}
	rc = dkim_msg_finish(m, 0, out, err, sizeof(err));
	dkim_msg_free(m);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	size_t		 nstep, i, start;
	int		 ra, rb;

	setup();
	if (size < 1)
		return 0;
	nstep = data[0] % 16;
	if (size < 1 + nstep)
		return 0;
	ra = run((const char *)data + 1 + nstep, size - 1 - nstep, NULL, 0,
	    &a);
	rb = run((const char *)data + 1 + nstep, size - 1 - nstep, data + 1,
	    nstep, &b);
	if (ra != rb || a.len != b.len ||
	    (a.len > 0 && memcmp(a.p, b.p, a.len) != 0))
		abort();
	if ((ra <= 0) != (a.len == 0))
		abort();
	for (start = 0, i = 0; i + 1 < a.len; i++) {
		if (a.p[i] != '\r')
			continue;
		if (a.p[i + 1] != '\n' || i - start > 78)
			abort();
		start = i + 2;
		if (start < a.len && a.p[start] != '\t' &&
		    strncmp(a.p + start, "DKIM-Signature: ", 16) != 0)
			abort();
	}
	if (a.len > 0 && (start != a.len || a.p[a.len - 1] != '\n'))
		abort();
	free(a.p);
	free(b.p);
	return 0;
}
