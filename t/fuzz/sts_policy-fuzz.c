/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sts_policy-fuzz.c — libFuzzer harness for the MTA-STS parsers, which
 * read what a hostile DNS or HTTPS server sends.  An input whose first
 * octet is 'T' is a set of TXT records (split at 0xff octets): refused
 * with a reason, no policy, or an id of 1..32 letters and digits.  Any
 * other input is a policy body: refused with a reason, or a policy whose
 * cache text parses back to the same policy, and whose every pattern
 * matches a host made from it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_txt(const char *data, size_t len)
{
	const char	*rs[16];
	int		 lens[16], n = 0, r;
	size_t		 i, start = 0, idlen;
	char		 id[STS_ID_MAX + 1], err[256];

	for (i = 0; i <= len && n < 16; i++)
		if (i == len || (unsigned char)data[i] == 0xff) {
			rs[n] = data + start;
			lens[n++] = (int)(i - start);
			start = i + 1;
		}
	err[0] = '\0';
	r = sts_txt_parse(rs, lens, n, id, err, sizeof(err));
	if (r == -1 && err[0] == '\0')
		abort();
	if (r == 1) {
		idlen = strlen(id);
		if (idlen == 0 || idlen > STS_ID_MAX)
			abort();
		for (i = 0; i < idlen; i++)
			if (!((id[i] >= '0' && id[i] <= '9') ||
			    (id[i] >= 'a' && id[i] <= 'z') ||
			    (id[i] >= 'A' && id[i] <= 'Z')))
				abort();
	}
}

static void
check_policy(const char *data, size_t len)
{
	struct sts_policy	 p, q;
	char			 err[256], id[STS_ID_MAX + 1], host[300];
	char			*text;
	time_t			 t;
	int			 i;

	err[0] = '\0';
	if (sts_policy_parse(data, len, &p, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || p.mx != NULL || p.n_mx != 0)
			abort();
		return;
	}
	if (p.max_age < 0 || p.max_age > STS_MAX_AGE_MAX ||
	    (p.mode != STS_MODE_NONE && p.n_mx == 0))
		abort();
	text = sts_cache_text(&p, "x1", 42);
	if (sts_cache_text_parse(text, strlen(text), &q, id, &t, err,
	    sizeof(err)) == -1)
		abort();
	if (strcmp(id, "x1") != 0 || t != 42 || q.mode != p.mode ||
	    q.max_age != p.max_age || q.n_mx != p.n_mx)
		abort();
	for (i = 0; i < p.n_mx; i++) {
		if (strcmp(p.mx[i], q.mx[i]) != 0)
			abort();
		/* "*.rest" matches "a.rest"; a name matches itself. */
		if (p.mx[i][0] == '*')
			snprintf(host, sizeof(host), "a%s", p.mx[i] + 1);
		else
			snprintf(host, sizeof(host), "%s", p.mx[i]);
		if (!sts_policy_match(&p, host))
			abort();
	}
	free(text);
	sts_policy_clear(&q);
	sts_policy_clear(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len > 0 && data[0] == 'T')
		check_txt((const char *)data + 1, len - 1);
	else
		check_policy((const char *)data, len);
	return 0;
}
