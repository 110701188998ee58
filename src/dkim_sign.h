/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_sign.h — DKIM signing of a message as it is received (RFC 6376,
 * Ed25519 per RFC 8463).  Pure: bytes in, header text out; OpenSSL does the
 * hashing and the signing, nothing here touches a file or a clock.
 *
 * A struct dkim_msg is fed the stored message (CRLF lines, dot-stuffing
 * undone) in chunks cut anywhere.  It keeps only the header fields that some
 * signer may sign, bounded by DKIM_MAX_HEADERS octets; once the header
 * section has ended it knows the From: domain, picks the matching signers
 * and streams the body through one canonicalizer and SHA-256 per body
 * canonicalization in use.  The body is never held.  At the end it builds
 * one DKIM-Signature: field per matching signer.
 */
#ifndef SMARTHOSTD_DKIM_SIGN_H
#define SMARTHOSTD_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "dkim_canon.h"
#include "util.h"

enum dkim_alg { DKIM_RSA_SHA256, DKIM_ED25519_SHA256 };

/* Header fields kept for signing, at most (beyond it: not signed). */
#define DKIM_MAX_HEADERS	(256 * 1024)

/* One configured key; immutable, owned by the configuration. */
struct dkim_signer {
	char		*domain;	/* d=, lower-case */
	char		*selector;	/* s= */
	bool		 subdomains;
	char		**headers;	/* lower-case names, "from" first */
	int		 n_headers;
	enum dkim_canon	 hcanon, bcanon;
	EVP_PKEY	*key;
	enum dkim_alg	 alg;
	char		*key_path;	/* for the configuration's messages */
	int		 line;
};

const char	*dkim_alg_to_text(enum dkim_alg);	/* "rsa-sha256" ... */

struct dkim_msg;

/* A signing context over the n signers (which must outlive it). */
struct dkim_msg	*dkim_msg_new(const struct dkim_signer *, int n);
void		 dkim_msg_feed(struct dkim_msg *, const void *, size_t);
/*
 * End of message: append the DKIM-Signature: fields (folded, each ending
 * in CRLF) to out, t being the signing time.  Returns the number of
 * signatures (0 when the From: domain has no key), or -1 with a reason in
 * err (no single From:, header fields over DKIM_MAX_HEADERS, a signing
 * failure); nothing is appended then.
 */
int		 dkim_msg_finish(struct dkim_msg *, time_t t, struct buf *out,
		    char *err, size_t errlen);
/* The From: domain found (lower-case), or NULL; valid until free. */
const char	*dkim_msg_from_domain(const struct dkim_msg *);
void		 dkim_msg_free(struct dkim_msg *);

/*
 * The parts, exposed for the tests.
 */

/* The domain of the first mailbox of a From: value, lower-cased, or NULL. */
char	*dkim_from_domain(const char *value, size_t len);
/* Whether domain (lower-case) is signed by s. */
bool	 dkim_signer_matches(const struct dkim_signer *, const char *domain);

struct dkim_field {
	char	*name;			/* lower-case */
	char	*raw;			/* the field without its final CRLF */
	size_t	 len;
};

/*
 * Append to out the canonical header data for the names of h (in order;
 * each takes the last unused instance of its name, none once they are used
 * up, RFC 6376 §5.4.2).
 */
void	dkim_select_headers(enum dkim_canon, const struct dkim_field *, int,
	    const char *const *h, int n_h, struct buf *out);
/*
 * Sign data (the whole canonical header data, signature field included)
 * with key: RSASSA-PKCS1-v1_5 over SHA-256, or Ed25519 over the SHA-256
 * hash of data (RFC 8463).  Returns the base64 signature, or NULL.
 */
char	*dkim_sign_data(enum dkim_alg, EVP_PKEY *, const void *data,
	    size_t len);
/* Base64 of len octets (no line breaks). */
char	*dkim_base64(const unsigned char *, size_t len);

#endif
