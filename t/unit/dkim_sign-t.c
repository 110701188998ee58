/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_sign-t.c — unit tests for dkim_sign.c: RFC 8463 Appendix A (its
 * message, its two keys and its two published signatures, byte for byte),
 * header selection, From: domains, the signature field built by
 * dkim_msg_finish() checked against the public key, chunking, folding.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim_sign.h"
#include "util.h"
#include "../tap.h"

/* RFC 8463 A.1: the RSA key, and A.2's Ed25519 secret (RFC 8032 test 1). */
static const char rsa_pem[] =
"-----BEGIN RSA PRIVATE KEY-----\n"
"MIICXQIBAAKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi\n"
"Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM\n"
"KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\n"
"AoGAH0cxOhFZDgzXWhDhnAJDw5s4roOXN4OhjiXa8W7Y3rhX3FJqmJSPuC8N9vQm\n"
"6SVbaLAE4SG5mLMueHlh4KXffEpuLEiNp9Ss3O4YfLiQpbRqE7Tm5SxKjvvQoZZe\n"
"zHorimOaChRL2it47iuWxzxSiRMv4c+j70GiWdxXnxe4UoECQQDzJB/0U58W7RZy\n"
"6enGVj2kWF732CoWFZWzi1FicudrBFoy63QwcowpoCazKtvZGMNlPWnC7x/6o8Gc\n"
"uSe0ga2xAkEA8C7PipPm1/1fTRQvj1o/dDmZp243044ZNyxjg+/OPN0oWCbXIGxy\n"
"WvmZbXriOWoSALJTjExEgraHEgnXssuk7QJBALl5ICsYMu6hMxO73gnfNayNgPxd\n"
"WFV6Z7ULnKyV7HSVYF0hgYOHjeYe9gaMtiJYoo0zGN+L3AAtNP9huqkWlzECQE1a\n"
"licIeVlo1e+qJ6Mgqr0Q7Aa7falZ448ccbSFYEPD6oFxiOl9Y9se9iYHZKKfIcst\n"
"o7DUw1/hz2Ck4N5JrgUCQQCyKveNvjzkkd8HjYs0SwM0fPjK16//5qDZ2UiDGnOe\n"
"uEzxBDAr518Z8VFbR41in3W4Y3yCDgQlLlcETrS+zYcL\n"
"-----END RSA PRIVATE KEY-----\n";
static const unsigned char ed_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
};

/* RFC 8463 A.3: the message as signed, without its signatures. */
static const char rfc_headers[] =
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n";
static const char rfc_body[] =
"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";

static const char ed_field[] =
"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
" d=football.example.com; i=@football.example.com;\r\n"
" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
" subject : date : message-id : from : subject : date;\r\n"
" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
" b=";
static const char ed_b[] =
"/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus"
"Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
static const char rsa_field[] =
"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
" d=football.example.com; i=@football.example.com;\r\n"
" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
" date : message-id : from : subject : date;\r\n"
" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
" b=";
static const char rsa_b[] =
"F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3"
"DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz"
"dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=";

#define ED_START "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;"

static const char *rfc_h[] = { "from", "to", "subject", "date",
    "message-id", "from", "subject", "date" };

static char *default_headers[] = { "from", "to", "cc", "subject", "date",
    "message-id", "reply-to", "in-reply-to", "references", "mime-version",
    "content-type", "content-transfer-encoding" };

static EVP_PKEY *
rsa_key(void)
{
	BIO		*bio = BIO_new_mem_buf(rsa_pem, -1);
	EVP_PKEY	*k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	BIO_free(bio);
	return k;
}

/* Split the RFC's fields the way dkim_msg does (for the selection). */
static int
rfc_fields(struct dkim_field *f)
{
	const char	*p = rfc_headers, *e;
	int		 n = 0;

	while (*p != '\0') {
		e = strstr(p, "\r\n");
		f[n].name = lowercase(xstrndup(p, strcspn(p, ":")));
		f[n].raw = xstrndup(p, e - p);
		f[n].len = e - p;
		n++;
		p = e + 2;
	}
	return n;
}

/* The RFC's signature, recomputed from its header data. */
static void
rfc_signature(enum dkim_alg alg, EVP_PKEY *key, const char *field,
    const char *want, const char *name)
{
	struct dkim_field f[8];
	struct buf	 data = { NULL, 0, 0 };
	int		 i, n = rfc_fields(f);
	char		*b;

	dkim_select_headers(DKIM_RELAXED, f, n, rfc_h, 8, &data);
	dkim_canon_header(DKIM_RELAXED, field, strlen(field), &data);
	data.len -= 2;
	b = dkim_sign_data(alg, key, data.p, data.len);
	is_str(b, want, name);
	free(b);
	free(data.p);
	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].raw);
	}
}

/* Verify the signature field sig (as dkim_msg_finish made it) over
 * message headers hdrs, with key's public half. */
static int
verify(const struct dkim_signer *s, const char *sig, const char *hdrs)
{
	struct dkim_field f[32];
	struct buf	 data = { NULL, 0, 0 }, bv = { NULL, 0, 0 };
	const char	*p, *e, *hl;
	char		*hcopy, *tok, *save, *h[32];
	unsigned char	 raw[512], hash[32];
	int		 n = 0, n_h = 0, i, rc;
	size_t		 len, bpos;
	EVP_MD_CTX	*ctx;

	for (p = hdrs; *p != '\0'; p = e + 2) {
		for (e = p; (e = strstr(e, "\r\n")) != NULL &&
		    (e[2] == ' ' || e[2] == '\t'); e += 2)
			;
		f[n].name = lowercase(xstrndup(p, strcspn(p, ": \t")));
		f[n].raw = xstrndup(p, e - p);
		f[n].len = e - p;
		n++;
	}
	/* h= as written, unfolded. */
	hl = strstr(sig, " h=") + 3;
	hcopy = xstrndup(hl, strcspn(hl, ";"));
	for (tok = strtok_r(hcopy, ":\r\n\t ", &save); tok != NULL;
	    tok = strtok_r(NULL, ":\r\n\t ", &save))
		h[n_h++] = tok;
	dkim_select_headers(s->hcanon, f, n, (const char *const *)h, n_h,
	    &data);
	bpos = strstr(sig, " b=") - sig + 3;
	dkim_canon_header(s->hcanon, sig, bpos, &data);
	data.len -= 2;
	for (p = sig + bpos; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n' && *p != '\t' && *p != ' ')
			buf_add(&bv, p, 1);
	len = EVP_DecodeBlock(raw, (unsigned char *)bv.p, (int)bv.len);
	while (bv.len > 0 && bv.p[--bv.len] == '=')
		len--;
	ctx = EVP_MD_CTX_new();
	if (s->alg == DKIM_ED25519_SHA256) {
		EVP_Digest(data.p, data.len, hash, NULL, EVP_sha256(), NULL);
		rc = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, s->key) == 1 &&
		    EVP_DigestVerify(ctx, raw, len, hash, 32) == 1;
	} else
		rc = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
		    s->key) == 1 && EVP_DigestVerify(ctx, raw, len,
		    (unsigned char *)data.p, data.len) == 1;
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].raw);
	}
	free(hcopy);
	free(bv.p);
	free(data.p);
	return rc;
}

/* Sign msg (stored form) fed in chunks of step; returns the fields. */
static char *
sign_msg(const struct dkim_signer *s, int n, const char *msg, size_t step,
    int *count)
{
	struct dkim_msg	*m = dkim_msg_new(s, n);
	struct buf	 out = { NULL, 0, 0 };
	char		 err[256] = "";
	size_t		 i, k, len = strlen(msg);

	for (i = 0; i < len; i += k) {
		k = step == 0 || len - i < step ? len - i : step;
		dkim_msg_feed(m, msg + i, k);
	}
	*count = dkim_msg_finish(m, 1528637909, &out, err, sizeof(err));
	if (*count == -1)
		printf("# %s\n", err);
	dkim_msg_free(m);
	buf_add(&out, "", 0);
	return out.p;
}

static char *
from_dom(const char *v)
{
	static char	 buf[256];
	char		*d = dkim_from_domain(v, strlen(v));

	strlcpy_(buf, d != NULL ? d : "(null)", sizeof(buf));
	free(d);
	return buf;
}

int
main(void)
{
	struct dkim_signer s[2];
	EVP_PKEY	*rsa, *ed;
	char		*msg, *got, *sig2, *bigmsg;
	int		 n, i, lines_ok;
	size_t		 step;
	const char	*p;

	rsa = rsa_key();
	ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, ed_seed, 32);
	ok(rsa != NULL && ed != NULL, "the RFC 8463 keys load");

	/* RFC 8463 A.3, byte for byte (both algorithms are deterministic). */
	rfc_signature(DKIM_ED25519_SHA256, ed, ed_field, ed_b,
	    "rfc 8463: the Ed25519 signature");
	rfc_signature(DKIM_RSA_SHA256, rsa, rsa_field, rsa_b,
	    "rfc 8463: the RSA signature");

	/* From: domains. */
	is_str(from_dom(" Joe SixPack <joe@Football.Example.com>"),
	    "football.example.com", "From: name <addr>");
	is_str(from_dom(" joe@a.example (Joe <x@evil.example>)"), "a.example",
	    "From: addr (comment with <>)");
	is_str(from_dom(" \"a@evil.example, <x@evil.example>\" <j@b.example>"),
	    "b.example", "From: quoted name with @ , and <>");
	is_str(from_dom(" a@c.example, b@evil.example"), "c.example",
	    "From: the first of two mailboxes");
	is_str(from_dom(" undisclosed"), "(null)", "From: no address");
	is_str(from_dom(" <joe@>"), "(null)", "From: no domain");
	is_str(from_dom(" Joe\r\n <joe@folded.example>"), "folded.example",
	    "From: folded");

	/* A whole message through dkim_msg. */
	memset(s, 0, sizeof(s));
	s[0].domain = "football.example.com";
	s[0].selector = "brisbane";
	s[0].headers = default_headers;
	s[0].n_headers = 12;
	s[0].hcanon = s[0].bcanon = DKIM_RELAXED;
	s[0].key = ed;
	s[0].alg = DKIM_ED25519_SHA256;
	s[1] = s[0];
	s[1].selector = "test";
	s[1].key = rsa;
	s[1].alg = DKIM_RSA_SHA256;
	s[1].hcanon = s[1].bcanon = DKIM_SIMPLE;

	msg = xasprintf("%s\r\n%s", rfc_headers, rfc_body);
	got = sign_msg(s, 2, msg, 0, &n);
	is_int(n, 2, "two signers, two signatures");
	ok(strncmp(got, ED_START, strlen(ED_START)) == 0 &&
	    strstr(got, "d=football.example.com; s=brisbane;") != NULL,
	    "the Ed25519 field's tags");
	ok(strstr(got, "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;") !=
	    NULL, "relaxed body hash is the RFC's");
	ok(strstr(got, "t=1528637909;") != NULL, "t= is the signing time");
	ok(strstr(got, "h=from:to:subject:date:message-id;") != NULL,
	    "h= lists the present fields, in the configured order");
	sig2 = strstr(got + 1, "DKIM-Signature:");
	ok(sig2 != NULL && strstr(sig2, "c=simple/simple;") != NULL,
	    "the second field is simple/simple");
	if (sig2 != NULL) {
		char	*first = xstrndup(got, sig2 - got);

		ok(verify(&s[0], first, rfc_headers), "Ed25519 field verifies");
		ok(verify(&s[1], sig2, rfc_headers), "RSA field verifies");
		free(first);
	}
	lines_ok = 1;
	for (p = got; (p = strstr(p, "\r\n")) != NULL; p += 2)
		if (p[2] != '\0' && p[2] != '\t' && strncmp(p + 2, "DKIM", 4))
			lines_ok = 0;
	for (p = got; *p != '\0'; p += strcspn(p, "\n") + (p[strcspn(p,
	    "\n")] != '\0'))
		if (strcspn(p, "\n") > 78)
			lines_ok = 0;
	ok(lines_ok, "folded: tab continuations, lines of at most 78");

	/* The same whatever the chunking. */
	for (step = 1; step < 12; step++) {
		char	*again = sign_msg(s, 2, msg, step, &n);

		if (strcmp(again, got) != 0)
			break;
		free(again);
	}
	is_int(step, 12, "the same fields fed in chunks of 1 to 11");
	free(got);
	free(msg);

	/* Domains without a key, subdomains. */
	msg = xstrdup("From: a@other.example\r\n\r\nx\r\n");
	got = sign_msg(s, 2, msg, 0, &n);
	is_int(n, 0, "a From: domain without a key is not signed");
	ok(got[0] == '\0', "... and nothing is added");
	free(got);
	free(msg);
	msg = xstrdup("From: a@sub.football.example.com\r\n\r\nx\r\n");
	got = sign_msg(s, 1, msg, 0, &n);
	is_int(n, 0, "a subdomain without subdomains = true");
	free(got);
	s[0].subdomains = true;
	got = sign_msg(s, 1, msg, 0, &n);
	is_int(n, 1, "a subdomain with subdomains = true");
	free(got);
	free(msg);
	msg = xstrdup("From: a@xfootball.example.com\r\n\r\nx\r\n");
	got = sign_msg(s, 1, msg, 0, &n);
	is_int(n, 0, "a domain that merely ends like it is not a subdomain");
	free(got);
	free(msg);
	msg = xstrdup("From: a@football.example.com\r\n"
	    "From: b@football.example.com\r\n\r\nx\r\n");
	got = sign_msg(s, 1, msg, 0, &n);
	is_int(n, -1, "two From: fields are not signed");
	free(got);
	free(msg);
	msg = xstrdup("Subject: none\r\n\r\nx\r\n");
	got = sign_msg(s, 1, msg, 0, &n);
	is_int(n, 0, "no From: is not signed");
	free(got);
	free(msg);

	/* Repeated fields are all signed; folded fields; all headers. */
	msg = xstrdup("To: a@x.example\r\nX-Other: 1\r\nfrom :  A\r\n\t"
	    "<a@football.example.com>\r\nTo: b@x.example\r\n");
	got = sign_msg(s, 1, msg, 3, &n);
	is_int(n, 1, "a message that is all headers is signed");
	ok(strstr(got, "h=from:to:to;") != NULL, "h= names To: twice");
	ok(verify(&s[0], got, msg), "... and verifies");
	free(got);
	free(msg);

	/* A NUL octet in From: is data (the fuzzer's find: the field was
	 * copied as a string, and the From: parser read past it). */
	{
		static const char nul[] = "From: a\0b <x@football.example.com>"
		    "\r\n\r\nx\r\n";
		struct dkim_msg	*m = dkim_msg_new(s, 1);
		struct buf	 out = { NULL, 0, 0 };
		char		 err[256];

		dkim_msg_feed(m, nul, sizeof(nul) - 1);
		is_int(dkim_msg_finish(m, 1, &out, err, sizeof(err)), 1,
		    "a NUL in From: is data: the message is signed");
		is_str(dkim_msg_from_domain(m), "football.example.com",
		    "... for the address after it");
		dkim_msg_free(m);
		free(out.p);
	}

	/* Header fields beyond the bound: not signed, with a reason. */
	bigmsg = xmalloc(DKIM_MAX_HEADERS + 200);
	strcpy(bigmsg, "From: a@football.example.com\r\nTo: ");
	for (i = strlen(bigmsg); i < DKIM_MAX_HEADERS + 100; i++)
		bigmsg[i] = 'x';
	strcpy(bigmsg + i, "\r\n\r\nbody\r\n");
	got = sign_msg(s, 1, bigmsg, 65536, &n);
	is_int(n, -1, "header fields over the bound are not signed");
	free(got);
	free(bigmsg);

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	return done_testing();
}
