/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dane-fuzz.c — libFuzzer harness for the TLSA answer reader: any bytes as
 * a DNS reply, read as udns would hand it over (the question's name
 * decoded, cur at its type), give a set whose usable records are all
 * usable, or an error and no set; and one rdata read alone agrees with
 * dane_tlsa_rdata()'s contract.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <udns.h>

#include "dane.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_usable(const struct dane_tlsa *t)
{
	if (t->usage != DANE_USAGE_TA && t->usage != DANE_USAGE_EE)
		abort();
	if (t->selector > DANE_SELECTOR_SPKI || t->mtype > DANE_MTYPE_SHA512)
		abort();
	if (t->len == 0 || t->len > DANE_DATA_MAX ||
	    (t->mtype == DANE_MTYPE_SHA256 && t->len != 32) ||
	    (t->mtype == DANE_MTYPE_SHA512 && t->len != 64))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dane_tlsa_set	*set;
	struct dane_tlsa	 t;
	unsigned char		 qdn[DNS_MAXDN];
	const unsigned char	*cur, *end = data + len;
	void			*res = NULL;
	int			 i, r;

	r = dane_tlsa_rdata(data, len, &t);
	if (r == 1)
		check_usable(&t);
	else if (t.data != NULL)
		abort();
	free(t.data);

	if (len < DNS_HSIZE)
		return 0;
	cur = data + DNS_HSIZE;
	if (dns_getdn(data, &cur, end, qdn, sizeof(qdn)) <= 0 ||
	    cur + 4 > end)
		return 0;
	r = dane_tlsa_parse(qdn, data, cur, end, &res);
	set = res;
	if (r < 0) {
		if (set != NULL)
			abort();
		return 0;
	}
	if (set == NULL || set->n > set->n_seen)
		abort();
	for (i = 0; i < set->n; i++)
		check_usable(&set->rr[i]);
	dane_tlsa_set_free(set);
	return 0;
}
