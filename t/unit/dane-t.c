/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dane-t.c — unit tests for dane.c: which TLSA rdata are usable for SMTP
 * (RFC 7672: DANE-TA and DANE-EE, selectors 0 and 1, matching types 0, 1
 * and 2 with digests of the right length), malformed ones told apart,
 * TLSA answers read from whole DNS packets (other types, other names and
 * CNAMEs as udns's walker handles them, a malformed record unusable, a
 * truncated packet refused), and sets
 * copied and compared.
 */
#include <stdlib.h>
#include <string.h>

#include <udns.h>

#include "dane.h"
#include "../tap.h"

/* A DNS reply for qname/TLSA with the given answer records appended. */
struct pkt {
	unsigned char	 b[2048];
	size_t		 len;
	size_t		 qend;		/* after the question's name */
	int		 an;
};

static void
put_name(struct pkt *p, const char *name)
{
	const char	*dot;
	size_t		 l;

	while (*name != '\0') {
		dot = strchr(name, '.');
		l = dot ? (size_t)(dot - name) : strlen(name);
		p->b[p->len++] = (unsigned char)l;
		memcpy(p->b + p->len, name, l);
		p->len += l;
		name += l + (dot ? 1 : 0);
	}
	p->b[p->len++] = 0;
}

static void
put16(struct pkt *p, unsigned v)
{
	p->b[p->len++] = (unsigned char)(v >> 8);
	p->b[p->len++] = (unsigned char)v;
}

static void
pkt_init(struct pkt *p, const char *qname)
{
	memset(p, 0, sizeof(*p));
	p->len = 12;
	p->b[2] = 0x81;		/* QR RD */
	p->b[3] = 0xa0;		/* RA AD */
	p->b[5] = 1;		/* one question */
	put_name(p, qname);
	p->qend = p->len;
	put16(p, DANE_T_TLSA);
	put16(p, DNS_C_IN);
}

static void
pkt_rr(struct pkt *p, const char *name, unsigned type, const void *rdata,
    size_t rlen)
{
	put_name(p, name);
	put16(p, type);
	put16(p, DNS_C_IN);
	put16(p, 0);
	put16(p, 300);
	put16(p, (unsigned)rlen);
	memcpy(p->b + p->len, rdata, rlen);
	p->len += rlen;
	p->an++;
	p->b[6] = (unsigned char)(p->an >> 8);
	p->b[7] = (unsigned char)p->an;
}

/* An encoded name, for CNAME rdata. */
static size_t
enc_name(unsigned char *out, const char *name)
{
	struct pkt	p;

	memset(&p, 0, sizeof(p));
	put_name(&p, name);
	memcpy(out, p.b, p.len);
	return p.len;
}

/* dane_tlsa_parse() as udns calls it: the query's name, cur at its
 * type. */
static int
parse(struct pkt *p, struct dane_tlsa_set **set)
{
	unsigned char	 qdn[DNS_MAXDN];
	const unsigned char *cur = p->b + 12;
	void		*res = NULL;
	int		 r;

	if (dns_getdn(p->b, &cur, p->b + p->len, qdn, sizeof(qdn)) <= 0)
		return -100;
	r = dane_tlsa_parse(qdn, p->b, cur, p->b + p->len, &res);
	*set = res;
	return r;
}

static int
rdata(unsigned u, unsigned s, unsigned m, size_t dlen)
{
	unsigned char	 buf[DANE_DATA_MAX + 16];
	struct dane_tlsa t;
	int		 r;

	buf[0] = (unsigned char)u;
	buf[1] = (unsigned char)s;
	buf[2] = (unsigned char)m;
	memset(buf + 3, 0xab, dlen);
	r = dane_tlsa_rdata(buf, 3 + dlen, &t);
	if (r == 1 && (t.usage != u || t.selector != s || t.mtype != m ||
	    t.len != dlen || t.data[0] != 0xab))
		r = 99;
	free(t.data);
	return r;
}

int
main(void)
{
	struct dane_tlsa_set	*set = NULL, *dup;
	struct pkt		 p;
	unsigned char		 rd[80], cn[300];
	size_t			 cl;

	/* Usable: DANE-TA and DANE-EE, both selectors, three types. */
	is_int(rdata(3, 1, 1, 32), 1, "3 1 1 with 32 octets: usable");
	is_int(rdata(3, 0, 1, 32), 1, "3 0 1: usable");
	is_int(rdata(2, 0, 1, 32), 1, "2 0 1: usable");
	is_int(rdata(3, 1, 2, 64), 1, "3 1 2 with 64 octets: usable");
	is_int(rdata(2, 1, 0, 300), 1, "2 1 0 (a whole key): usable");
	/* Unusable, though well formed. */
	is_int(rdata(0, 0, 1, 32), 0, "PKIX-TA(0): unusable for SMTP");
	is_int(rdata(1, 1, 1, 32), 0, "PKIX-EE(1): unusable for SMTP");
	is_int(rdata(4, 1, 1, 32), 0, "usage 4: unusable");
	is_int(rdata(3, 2, 1, 32), 0, "selector 2: unusable");
	is_int(rdata(3, 1, 3, 32), 0, "matching type 3: unusable");
	is_int(rdata(3, 1, 1, 31), 0, "SHA-256 of 31 octets: unusable");
	is_int(rdata(3, 1, 1, 64), 0, "SHA-256 of 64 octets: unusable");
	is_int(rdata(3, 1, 2, 32), 0, "SHA-512 of 32 octets: unusable");
	/* Malformed. */
	is_int(rdata(3, 1, 1, 0), -1, "no association data: malformed");
	is_int(dane_tlsa_rdata((const unsigned char *)"\3\1", 2, &(struct
	    dane_tlsa){ 0 }), -1, "two octets: malformed");
	is_int(rdata(3, 1, 0, DANE_DATA_MAX + 1), -1,
	    "data over DANE_DATA_MAX: malformed");

	/* A whole answer: two usable, one unusable, one of another type,
	 * one for another name. */
	pkt_init(&p, "_25._tcp.mx.example");
	rd[0] = 3; rd[1] = 1; rd[2] = 1;
	memset(rd + 3, 0x11, 32);
	pkt_rr(&p, "_25._tcp.mx.example", DANE_T_TLSA, rd, 35);
	rd[0] = 1;
	pkt_rr(&p, "_25._tcp.mx.example", DANE_T_TLSA, rd, 35);
	rd[0] = 2; rd[1] = 0;
	memset(rd + 3, 0x22, 32);
	pkt_rr(&p, "_25._tcp.mx.example", DANE_T_TLSA, rd, 35);
	pkt_rr(&p, "_25._tcp.mx.example", DNS_T_A, "\177\0\0\1", 4);
	pkt_rr(&p, "_25._tcp.other.example", DANE_T_TLSA, rd, 35);
	is_int(parse(&p, &set), 0, "answer: parsed");
	ok(set != NULL && set->n_seen == 3, "answer: three TLSA records "
	    "for the name");
	ok(set != NULL && set->n == 2, "answer: two usable");
	ok(set != NULL && set->n == 2 && set->rr[0].usage == 3 &&
	    set->rr[0].data[0] == 0x11 && set->rr[1].usage == 2 &&
	    set->rr[1].selector == 0 && set->rr[1].data[31] == 0x22,
	    "answer: in order, data kept");

	dup = dane_tlsa_set_dup(set);
	ok(dane_tlsa_set_equal(set, dup), "dup: equal");
	dup->rr[1].data[5] ^= 1;
	ok(!dane_tlsa_set_equal(set, dup), "one octet changed: not equal");
	ok(!dane_tlsa_set_equal(set, NULL), "a set and none: not equal");
	ok(dane_tlsa_set_equal(NULL, NULL), "none and none: equal");
	dane_tlsa_set_free(dup);
	dane_tlsa_set_free(set);

	/* A CNAME to where the records are. */
	pkt_init(&p, "_25._tcp.alias.example");
	cl = enc_name(cn, "_25._tcp.mx.example");
	pkt_rr(&p, "_25._tcp.alias.example", DNS_T_CNAME, cn, cl);
	rd[0] = 3; rd[1] = 1; rd[2] = 1;
	pkt_rr(&p, "_25._tcp.mx.example", DANE_T_TLSA, rd, 35);
	is_int(parse(&p, &set), 0, "CNAME: parsed");
	ok(set != NULL && set->n == 1, "CNAME: the target's record");
	dane_tlsa_set_free(set);

	/* Records, none usable: a set with n_seen but no n. */
	pkt_init(&p, "_25._tcp.mx.example");
	rd[0] = 1;
	pkt_rr(&p, "_25._tcp.mx.example", DANE_T_TLSA, rd, 35);
	is_int(parse(&p, &set), 0, "unusable only: parsed");
	ok(set != NULL && set->n_seen == 1 && set->n == 0,
	    "unusable only: seen, none usable");
	dane_tlsa_set_free(set);

	/* A malformed record (rdata of two octets) is an unusable one. */
	pkt_init(&p, "_25._tcp.mx.example");
	pkt_rr(&p, "_25._tcp.mx.example", DANE_T_TLSA, "\3\1", 2);
	is_int(parse(&p, &set), 0, "malformed rdata: the answer is read");
	ok(set != NULL && set->n_seen == 1 && set->n == 0,
	    "malformed rdata: an unusable record");
	dane_tlsa_set_free(set);

	/* A record cut short by the end of the packet. */
	pkt_init(&p, "_25._tcp.mx.example");
	rd[0] = 3;
	pkt_rr(&p, "_25._tcp.mx.example", DANE_T_TLSA, rd, 35);
	p.len -= 10;
	ok(parse(&p, &set) < 0 && set == NULL, "truncated record: refused");
	return done_testing();
}
