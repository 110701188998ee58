/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sts_cache.h — MTA-STS policies on disk, so that a policy outlives a
 * restart for its max_age (RFC 8461 5.1: a policy still valid is used when
 * a fetch fails): <spool>/sts/<domain>, one file per recipient domain in
 * sts_policy.h's cache text, replaced durably through durable.c.
 * The directory (0700) is made at the first store.
 */
#ifndef SMARTHOSTD_STS_CACHE_H
#define SMARTHOSTD_STS_CACHE_H

#include <time.h>

#include "sts_policy.h"

/* Read domain's cached policy into p (the caller clears it).  0, or -1
 * when there is none or it cannot be read or parsed (then logged). */
int	sts_cache_load(const char *spool, const char *domain,
	    struct sts_policy *p, char id[STS_ID_MAX + 1], time_t *fetched);

/* Keep p, fetched at fetched under id, as domain's policy.  0, or -1
 * (logged; the policy still applies, it is only not kept). */
int	sts_cache_store(const char *spool, const char *domain,
	    const struct sts_policy *p, const char *id, time_t fetched);

/* Close the directory (at exit). */
void	sts_cache_close(void);

#endif
