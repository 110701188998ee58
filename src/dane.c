/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dane.c — owns the TLSA records of DANE for SMTP: reading them from a DNS
 * answer (through udns's pure packet walker, dns_initparse/dns_nextrr),
 * deciding which are usable under RFC 7672, and the sets a destination is
 * keyed by.  Bytes in, structs out; no I/O, no globals.
 */
#include <stdlib.h>
#include <string.h>

#include <udns.h>

#include "dane.h"
#include "util.h"

int
dane_tlsa_rdata(const unsigned char *p, size_t len, struct dane_tlsa *out)
{
	size_t	dlen;

	memset(out, 0, sizeof(*out));
	if (len < 4 || len - 3 > DANE_DATA_MAX)
		return -1;
	dlen = len - 3;
	/* RFC 7672 3.1.3: PKIX-TA(0) and PKIX-EE(1) are not for SMTP. */
	if (p[0] != DANE_USAGE_TA && p[0] != DANE_USAGE_EE)
		return 0;
	if (p[1] != DANE_SELECTOR_CERT && p[1] != DANE_SELECTOR_SPKI)
		return 0;
	/* A digest of the wrong length can match nothing: unusable. */
	switch (p[2]) {
	case DANE_MTYPE_FULL:
		break;
	case DANE_MTYPE_SHA256:
		if (dlen != 32)
			return 0;
		break;
	case DANE_MTYPE_SHA512:
		if (dlen != 64)
			return 0;
		break;
	default:
		return 0;
	}
	out->usage = p[0];
	out->selector = p[1];
	out->mtype = p[2];
	out->len = dlen;
	out->data = xmalloc(dlen);
	memcpy(out->data, p + 3, dlen);
	return 1;
}

int
dane_tlsa_parse(const unsigned char *qdn, const unsigned char *pkt,
    const unsigned char *cur, const unsigned char *end, void **res)
{
	struct dane_tlsa_set	*set;
	struct dane_tlsa	 t;
	struct dns_parse	 p;
	struct dns_rr		 rr;
	int			 r;

	*res = NULL;
	set = xcalloc(1, sizeof(*set));
	/* cur is at the question's type and class, which udns has matched
	 * with the query; only answers of that type, for that name (CNAMEs
	 * followed), are returned. */
	dns_initparse(&p, qdn, pkt, cur, end);
	p.dnsp_qcls = DNS_C_IN;
	p.dnsp_qtyp = DANE_T_TLSA;
	while ((r = dns_nextrr(&p, &rr)) > 0) {
		/* A TLSA set is small; a huge one is an attack. */
		if (set->n_seen >= 64)
			break;
		set->n_seen++;
		/* A malformed record is one more unusable one (RFC 7672
		 * 2.2), not a broken answer. */
		if (dane_tlsa_rdata(rr.dnsrr_dptr, rr.dnsrr_dsz, &t) != 1)
			continue;
		set->rr = xreallocarray(set->rr, set->n + 1,
		    sizeof(*set->rr));
		set->rr[set->n++] = t;
	}
	if (r < 0) {
		dane_tlsa_set_free(set);
		return DNS_E_PROTOCOL;
	}
	*res = set;
	return 0;
}

struct dane_tlsa_set *
dane_tlsa_set_dup(const struct dane_tlsa_set *s)
{
	struct dane_tlsa_set	*d;
	int			 i;

	if (s == NULL)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->n_seen = s->n_seen;
	d->n = s->n;
	if (s->n > 0)
		d->rr = xcalloc(s->n, sizeof(*d->rr));
	for (i = 0; i < s->n; i++) {
		d->rr[i] = s->rr[i];
		d->rr[i].data = xmalloc(s->rr[i].len);
		memcpy(d->rr[i].data, s->rr[i].data, s->rr[i].len);
	}
	return d;
}

void
dane_tlsa_set_free(struct dane_tlsa_set *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->rr[i].data);
	free(s->rr);
	free(s);
}

bool
dane_tlsa_set_equal(const struct dane_tlsa_set *a,
    const struct dane_tlsa_set *b)
{
	int	i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->rr[i].usage != b->rr[i].usage ||
		    a->rr[i].selector != b->rr[i].selector ||
		    a->rr[i].mtype != b->rr[i].mtype ||
		    a->rr[i].len != b->rr[i].len ||
		    memcmp(a->rr[i].data, b->rr[i].data, a->rr[i].len) != 0)
			return false;
	return true;
}
