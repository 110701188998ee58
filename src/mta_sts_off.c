/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * mta_sts_off.c — MTA-STS left out (./configure --disable-mta-sts, or
 * --enable-small without --enable-mta-sts): in place of mta_sts.c,
 * sts_cache.c and sts_fetch.c (the HTTPS client).  config_relayer.c refuses
 * `mta_sts = true` at its file:line, so relay_mx.c never asks for a policy;
 * sts_policy.c (the parser) stays, as relay_mx.c and its tests use it.
 */
#include <stddef.h>

#include "mta_sts.h"

struct mta_sts_query *
mta_sts_lookup(struct event_base *base, struct resolver *dns,
    const struct config *cfg, const struct relayer_conf *rc,
    const char *domain, mta_sts_cb cb, void *arg)
{
	/* Unreachable: no relayer can have mta_sts set in this build. */
	return NULL;
}

void
mta_sts_cancel(struct mta_sts_query *q)
{
}

void
mta_sts_exit(void)
{
}
