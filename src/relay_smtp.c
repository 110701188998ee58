/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_smtp.c — owns the static-smarthost relayer (type "smtp"): every
 * delivery goes to the configured hosts, in order, whatever its domain.
 * The connections, their reuse and the walk over the hosts and their
 * addresses are relay_pool.c's; this file only says which hosts.
 */
#include <stdlib.h>

#include "config.h"
#include "relay.h"
#include "relay_pool.h"
#include "util.h"

struct rs_relay {
	struct relay_pool	*pool;
	struct relay_host	*hosts;
	int			 n_hosts;
};

static void *
rs_create(struct event_base *base, struct resolver *dns, struct config *cfg,
    const struct relayer_conf *rc)
{
	struct rs_relay	*r;
	int		 i;

	r = xcalloc(1, sizeof(*r));
	r->pool = relay_pool_new(base, dns, cfg, rc);
	r->n_hosts = rc->n_hosts;
	r->hosts = xcalloc(rc->n_hosts > 0 ? rc->n_hosts : 1,
	    sizeof(*r->hosts));
	for (i = 0; i < rc->n_hosts; i++)
		r->hosts[i].name = rc->hosts[i];	/* the pool spots literals */
	return r;
}

static void
rs_deliver(void *state, struct delivery *d)
{
	struct rs_relay	*r = state;

	/* A static smarthost serves every domain alike: the relayer's own
	 * TLS policy applies, not a domain entry's. */
	relay_pool_deliver(r->pool, d, NULL, r->hosts, r->n_hosts);
}

static void
rs_adopt(void *state, struct config *cfg, const struct relayer_conf *rc)
{
	struct rs_relay	*r = state;
	int		 i;

	/* The same hosts, now in the new configuration's strings. */
	for (i = 0; i < r->n_hosts && i < rc->n_hosts; i++)
		r->hosts[i].name = rc->hosts[i];
	relay_pool_adopt(r->pool, cfg, rc);
}

static void
rs_retire(void *state)
{
	struct rs_relay	*r = state;

	relay_pool_retire(r->pool);
	free(r->hosts);
	free(r);
}

const struct relay_ops relay_smtp_ops = {
	.create = rs_create,
	.deliver = rs_deliver,
	.retire = rs_retire,
	.adopt = rs_adopt,
};
