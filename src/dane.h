/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dane.h — the pure part of DANE for SMTP (RFC 7672, RFC 6698): TLSA
 * records read from a DNS answer, which of them are usable, and sets of
 * them compared and copied.  No I/O: resolver.c hands the answer packet
 * to dane_tlsa_parse(), tls_client.c gives the usable records to OpenSSL.
 */
#ifndef SMARTHOSTD_DANE_H
#define SMARTHOSTD_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The TLSA RR type (RFC 6698); udns 0.4 has no name for it. */
#define DANE_T_TLSA		52

/* Certificate usages, selectors and matching types SMTP may use. */
#define DANE_USAGE_TA		2	/* DANE-TA: a trust anchor */
#define DANE_USAGE_EE		3	/* DANE-EE: the server's own key */
#define DANE_SELECTOR_CERT	0	/* the whole certificate */
#define DANE_SELECTOR_SPKI	1	/* its SubjectPublicKeyInfo */
#define DANE_MTYPE_FULL		0	/* the DER itself */
#define DANE_MTYPE_SHA256	1
#define DANE_MTYPE_SHA512	2

/* Longest certificate association data kept (a DER certificate). */
#define DANE_DATA_MAX		8192

struct dane_tlsa {
	uint8_t		 usage, selector, mtype;
	size_t		 len;
	unsigned char	*data;		/* malloc'd */
};

/* The TLSA RRset of one host: only its usable records are kept. */
struct dane_tlsa_set {
	int		 n_seen;	/* TLSA records in the answer */
	int		 n;		/* usable ones, in rr */
	struct dane_tlsa *rr;
};

/*
 * One TLSA rdata: 1 when usable for SMTP (RFC 7672 3.1: DANE-TA(2) or
 * DANE-EE(3), selector 0 or 1, matching type 0, 1 with 32 octets or 2 with
 * 64), filling out (data malloc'd); 0 when well formed but unusable
 * (PKIX-TA/PKIX-EE, unknown values, a digest of the wrong length); -1
 * when malformed (shorter than 4 octets, or data over DANE_DATA_MAX).
 */
int		 dane_tlsa_rdata(const unsigned char *, size_t,
		    struct dane_tlsa *out);

/*
 * A udns parse function (dns_parse_fn) for a TLSA answer: every TLSA
 * record of the answer for the query name (CNAMEs followed), into a
 * struct dane_tlsa_set at *res (free with dane_tlsa_set_free); a
 * malformed record counts as an unusable one.  0, or a negative DNS_E_*
 * when the packet itself is malformed.
 */
int		 dane_tlsa_parse(const unsigned char *qdn,
		    const unsigned char *pkt, const unsigned char *cur,
		    const unsigned char *end, void **res);

struct dane_tlsa_set *dane_tlsa_set_dup(const struct dane_tlsa_set *);
void		 dane_tlsa_set_free(struct dane_tlsa_set *);
/* The same usable records in the same order (either may be NULL). */
bool		 dane_tlsa_set_equal(const struct dane_tlsa_set *,
		    const struct dane_tlsa_set *);

#endif
