/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_mx.c — owns the MX relayer (type "mx"): which hosts a delivery is
 * for.  The next hop's domains entry may list them (mx_list, force_mx);
 * else a domain literal is the address itself; else the MX records of the
 * next-hop domain, in preference order with equal preferences shuffled,
 * the domain's own address when it has none (implicit MX), and a permanent
 * failure for a null MX (RFC 7505) or a domain that does not exist.  The
 * connections, one pool per destination address, are relay_pool.c's.
 *
 * With mta_sts on, the next hop's MTA-STS policy (mta_sts.h) is found
 * before its MX records and applied to them (rm_sts_apply()): in enforce
 * mode relay_pool.c skips the hosts the policy does not name and verifies
 * the certificate of the others; in testing mode both are only logged.
 * mx_list, force_mx and domain literals are the operator's choice and get
 * no policy.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "mta_sts.h"
#include "relay.h"
#include "relay_pool.h"
#include "resolver.h"
#include "util.h"

struct rm_relay;

/* A delivery waiting for its MX records. */
struct rm_lookup {
	TAILQ_ENTRY(rm_lookup)	 entry;
	struct rm_relay		*r;
	struct delivery		*d;
	struct resolver_query	*q;
	struct mta_sts_query	*sq;		/* its MTA-STS policy first */
	bool			 have_pol;
	struct sts_policy	 pol;
};

/* A delivery under an MTA-STS policy in testing mode, between its
 * d->done and the queue's. */
struct rm_testing {
	void			(*done)(struct delivery *);
	void			*arg;
};

struct rm_relay {
	TAILQ_ENTRY(rm_relay)	 entry;		/* in rm_relays */
	struct event_base	*base;
	struct resolver		*dns;
	struct relay_pool	*pool;
	TAILQ_HEAD(, rm_lookup)	 lookups;
	bool			 retired;
};

/* Every instance not yet freed, retired ones with lookups included. */
static TAILQ_HEAD(, rm_relay) rm_relays = TAILQ_HEAD_INITIALIZER(rm_relays);

static void *
rm_create(struct event_base *base, struct resolver *dns, struct config *cfg,
    const struct relayer_conf *rc)
{
	struct rm_relay	*r;

	r = xcalloc(1, sizeof(*r));
	r->base = base;
	r->dns = dns;
	r->pool = relay_pool_new(base, dns, cfg, rc);
	TAILQ_INIT(&r->lookups);
	TAILQ_INSERT_TAIL(&rm_relays, r, entry);
	return r;
}

/* A retired relayer goes once its last lookup has handed its delivery
 * over; the pool lives on until the deliveries it holds are done. */
static void
rm_maybe_free(struct rm_relay *r)
{
	if (!r->retired || !TAILQ_EMPTY(&r->lookups))
		return;
	relay_pool_retire(r->pool);
	TAILQ_REMOVE(&rm_relays, r, entry);
	free(r);
}

static void
rm_fail(struct delivery *d, enum dlv_result result, const char *fmt,
    const char *domain)
{
	char	buf[600];

	snprintf(buf, sizeof(buf), fmt, domain);
	log_debug("mx %s: %s", domain, buf);
	delivery_fail_all(d, result, buf);
	delivery_done_later(d);
}

/* Shuffle each run of equal preference (the list is sorted). */
static void
rm_shuffle(struct relay_host *hosts, const int *prefs, int n)
{
	struct relay_host	 tmp;
	int			 start, end, i, j;

	for (start = 0; start < n; start = end) {
		for (end = start + 1; end < n && prefs[end] == prefs[start];
		    end++)
			;
		for (i = end - 1; i > start; i--) {
			j = start + (int)(random() % (i - start + 1));
			tmp = hosts[i];
			hosts[i] = hosts[j];
			hosts[j] = tmp;
		}
	}
}

/* Testing mode: say whether enforce would have had its verified TLS. */
static void
rm_testing_done(struct delivery *d)
{
	struct rm_testing	*t = d->arg;

	d->done = t->done;
	d->arg = t->arg;
	free(t);
	if (d->remote != NULL && (d->tls_info == NULL ||
	    strstr(d->tls_info, "verified=yes") == NULL))
		log_info("mta-sts testing: %s: delivery to %s %s; enforce "
		    "would have required STARTTLS and a verified certificate",
		    d->nexthop, d->remote, d->tls_info == NULL ?
		    "without TLS" : "with an unverified certificate");
	d->done(d);
}

/* Apply the next hop's policy (NULL: none) to its MX hosts. */
static void
rm_sts_apply(struct delivery *d, const struct sts_policy *pol,
    struct relay_host *hosts, int n)
{
	struct rm_testing	*t;
	int			 i;

	d->mta_sts = sts_mode_to_text(pol != NULL ? pol->mode :
	    STS_MODE_NONE);
	if (pol == NULL || pol->mode == STS_MODE_NONE)
		return;
	for (i = 0; i < n; i++) {
		if (pol->mode == STS_MODE_ENFORCE) {
			hosts[i].sts_verify = true;
			hosts[i].sts_mismatch = !sts_policy_match(pol,
			    hosts[i].name);
		} else if (!sts_policy_match(pol, hosts[i].name))
			log_info("mta-sts testing: %s: MX host %s matches no "
			    "mx pattern of the policy; enforce would skip it",
			    d->nexthop, hosts[i].name);
	}
	if (pol->mode == STS_MODE_TESTING) {
		t = xcalloc(1, sizeof(*t));
		t->done = d->done;
		t->arg = d->arg;
		d->done = rm_testing_done;
		d->arg = t;
	}
}


/*
 * secure: the MX answer (or, for an implicit MX, the NODATA answer) was
 * DNSSEC-authenticated, so its host names are what the domain's owner
 * published and DANE may apply to them (RFC 7672 2.2.1).
 */
static void
rm_mx_cb(void *arg, enum resolver_status st, bool secure,
    const struct resolver_mx *mx, int n)
{
	struct rm_lookup	*l = arg;
	struct rm_relay		*r = l->r;
	struct delivery		*d = l->d;
	struct relay_host	*hosts, implicit;
	struct sts_policy	 pol;
	bool			 sts = RELAYER_MTA_STS(d->relayer);
	bool			 have_pol = l->have_pol;
	int			*prefs, i, nh = 0;

	pol = l->pol;
	TAILQ_REMOVE(&r->lookups, l, entry);
	free(l);
	switch (st) {
	case RESOLVER_OK:
		hosts = xcalloc(n > 0 ? n : 1, sizeof(*hosts));
		prefs = xcalloc(n > 0 ? n : 1, sizeof(*prefs));
		/* "." is no host; alone it is a null MX (RFC 7505). */
		for (i = 0; i < n; i++) {
			if (strcmp(mx[i].host, ".") == 0 ||
			    mx[i].host[0] == '\0')
				continue;
			hosts[nh].name = mx[i].host;
			hosts[nh].secure = secure;
			prefs[nh++] = mx[i].pref;
		}
		if (nh == 0)
			rm_fail(d, DLV_PERMFAIL, "556 5.1.10 %s does not accept "
			    "mail (null MX)", d->nexthop);
		else {
			rm_shuffle(hosts, prefs, nh);
			if (sts)
				rm_sts_apply(d, have_pol ? &pol : NULL, hosts,
				    nh);
			relay_pool_deliver(r->pool, d, d->dom, hosts, nh);
		}
		free(prefs);
		free(hosts);
		break;
	case RESOLVER_NODATA:
		/* No MX: the domain is its own mail host (RFC 5321 5.1). */
		memset(&implicit, 0, sizeof(implicit));
		implicit.name = d->nexthop;
		implicit.secure = secure;
		if (sts)
			rm_sts_apply(d, have_pol ? &pol : NULL, &implicit, 1);
		relay_pool_deliver(r->pool, d, d->dom, &implicit, 1);
		break;
	case RESOLVER_NXDOMAIN:
		rm_fail(d, DLV_PERMFAIL, "550 5.1.2 %s: domain not found",
		    d->nexthop);
		break;
	case RESOLVER_TEMPFAIL:
	default:
		rm_fail(d, DLV_TEMPFAIL, "451 4.4.3 %s: temporary DNS failure "
		    "looking up MX", d->nexthop);
		break;
	}
	if (have_pol)
		sts_policy_clear(&pol);
	rm_maybe_free(r);
}

/* Start l's MX lookup; when it cannot start, l is freed and its delivery
 * failed. */
static void
rm_mx_start(struct rm_lookup *l)
{
	struct rm_relay		*r = l->r;
	struct delivery		*d = l->d;

	/* resolver_mx() answers from the event loop, even at once. */
	if ((l->q = resolver_mx(r->dns, d->nexthop, rm_mx_cb, l)) == NULL) {
		TAILQ_REMOVE(&r->lookups, l, entry);
		if (l->have_pol)
			sts_policy_clear(&l->pol);
		free(l);
		rm_fail(d, DLV_TEMPFAIL, "451 4.4.3 %s: cannot look up MX",
		    d->nexthop);
	}
}

static void
rm_sts_cb(void *arg, const struct sts_policy *pol)
{
	struct rm_lookup	*l = arg;
	struct rm_relay		*r = l->r;

	l->sq = NULL;
	if (pol != NULL) {
		sts_policy_copy(&l->pol, pol);
		l->have_pol = true;
	}
	rm_mx_start(l);
	rm_maybe_free(r);
}

static void
rm_deliver(void *state, struct delivery *d)
{
	struct rm_relay		*r = state;
	const struct domain_conf *dom = d->dom;
	struct relay_host	*hosts, lit;
	struct sockaddr_storage	 ss;
	struct rm_lookup	*l;
	int			 i;

	/* mx_list and force_mx: those hosts, in order, never MX. */
	if (dom != NULL && dom->n_mx > 0) {
		hosts = xcalloc(dom->n_mx, sizeof(*hosts));
		for (i = 0; i < dom->n_mx; i++) {
			hosts[i].name = dom->mx_list[i].name;
			hosts[i].addr = dom->mx_list[i].addr;
			hosts[i].port = dom->mx_list[i].port;
			/* Named by the operator, not by DNS. */
			hosts[i].secure = true;
		}
		relay_pool_deliver(r->pool, d, dom, hosts, dom->n_mx);
		free(hosts);
		return;
	}
	if (d->nexthop == NULL || d->nexthop[0] == '\0') {
		rm_fail(d, DLV_PERMFAIL, "550 5.1.2 no next-hop domain%s", "");
		return;
	}
	/* A domain literal is the address: no lookup. */
	if (d->nexthop[0] == '[') {
		if (!resolver_literal(d->nexthop, &ss)) {
			rm_fail(d, DLV_PERMFAIL, "550 5.1.2 %s: malformed domain "
			    "literal", d->nexthop);
			return;
		}
		memset(&lit, 0, sizeof(lit));
		lit.addr = d->nexthop;
		relay_pool_deliver(r->pool, d, dom, &lit, 1);
		return;
	}
	if (r->dns == NULL) {
		rm_fail(d, DLV_TEMPFAIL, "451 4.4.3 %s: no resolver",
		    d->nexthop);
		return;
	}
	l = xcalloc(1, sizeof(*l));
	l->r = r;
	l->d = d;
	TAILQ_INSERT_TAIL(&r->lookups, l, entry);
	if (RELAYER_MTA_STS(d->relayer)) {
		l->sq = mta_sts_lookup(r->base, r->dns, d->cfg, d->relayer,
		    d->nexthop, rm_sts_cb, l);
		return;
	}
	rm_mx_start(l);
}

static void
rm_adopt(void *state, struct config *cfg, const struct relayer_conf *rc)
{
	struct rm_relay	*r = state;

	relay_pool_adopt(r->pool, cfg, rc);
}

static void
rm_retire(void *state)
{
	struct rm_relay	*r = state;

	r->retired = true;
	rm_maybe_free(r);
}

/* The loop has ended: the lookups will never answer.  Their deliveries
 * are deferred here, done directly. */
static void
rm_exit(void)
{
	struct rm_relay		*r;
	struct rm_lookup	*l;
	struct delivery		*d;

	while ((r = TAILQ_FIRST(&rm_relays)) != NULL) {
		while ((l = TAILQ_FIRST(&r->lookups)) != NULL) {
			TAILQ_REMOVE(&r->lookups, l, entry);
			resolver_cancel(l->q);
			mta_sts_cancel(l->sq);
			if (l->have_pol)
				sts_policy_clear(&l->pol);
			d = l->d;
			free(l);
			delivery_fail_all(d, DLV_TEMPFAIL,
			    "451 4.3.0 interrupted by shutdown");
			d->done(d);
		}
		r->retired = true;
		rm_maybe_free(r);
	}
	mta_sts_exit();
}

const struct relay_ops relay_mx_ops = {
	.create = rm_create,
	.deliver = rm_deliver,
	.retire = rm_retire,
	.adopt = rm_adopt,
	.exit = rm_exit,
};
