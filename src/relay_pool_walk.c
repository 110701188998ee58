/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_pool_walk.c — owns a delivery's walk through the connection pool
 * (relay_pool_int.h): its hosts in order, every address of a host (A then
 * AAAA, or a literal) before the next, DNS on the loop, the last error
 * kept, the DANE step after a secure host's addresses (its TLSA lookup,
 * and what the records make of its destinations), MTA-STS's skipping of
 * the hosts its policy does not name (unless DANE applies), and the
 * transient failure when every host and address failed.
 * Where each address leads (a destination, its FIFO and connections) is
 * relay_pool.c's.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "dane.h"
#include "log.h"
#include "relay.h"
#include "relay_pool.h"
#include "relay_pool_int.h"
#include "resolver.h"
#include "smtp_client.h"
#include "util.h"

void
rp_walk_set_err(struct rp_walk *w, const char *err, const char *remote)
{
	free(w->last_err);
	w->last_err = xstrdup(err);
	if (remote != NULL) {
		free(w->last_remote);
		w->last_remote = xstrdup(remote);
	}
}

void
rp_walk_free(struct rp_walk *w)
{
	int	i;

	if (w->q != NULL)
		resolver_cancel(w->q);
	for (i = 0; i < w->n_hosts; i++) {
		free(w->hosts[i].name);
		free(w->hosts[i].addr);
	}
	free(w->hosts);
	free(w->addrs);
	dane_tlsa_set_free(w->tlsa);
	free(w->last_err);
	free(w->last_remote);
	TAILQ_REMOVE(&w->pool->walks, w, pentry);
	w->pool->n_walks--;
	free(w);
}

/* The delivery has every result it will get from this attempt. */
void
rp_walk_done(struct rp_walk *w)
{
	delivery_done_later(w->d);
	rp_walk_free(w);
}

/* Every host and address failed: the delivery fails transiently. */
static void
walk_failed(struct rp_walk *w)
{
	struct delivery	*d = w->d;
	const char	*err;

	err = w->last_err != NULL ? w->last_err :
	    "451 4.4.0 no host to connect to";
	log_warnx("relayer %s: no host reachable for %s: %s",
	    w->pool->rc->name, d->nexthop != NULL ? d->nexthop : "?", err);
	if (w->last_remote != NULL) {
		free(d->remote);
		d->remote = xstrdup(w->last_remote);
	}
	d->dane = w->last_dane;
	delivery_fail_all(d, DLV_TEMPFAIL, err);
	rp_walk_done(w);
}

void
rp_walk_dest_dane(struct rp_walk *w, const struct rp_dest *dest)
{
	if (RELAYER_DANE(dest->pool->rc) == DANE_OFF)
		w->last_dane = DLV_DANE_OFF;
	else
		w->last_dane = dest->dane != NULL ? DLV_DANE_FAILED :
		    DLV_DANE_NONE;
}

/* The current host is not to be used: its addresses are dropped, the
 * reason kept as the walk's error. */
static void
walk_skip_host(struct rp_walk *w, const char *err)
{
	log_info("relayer %s: %s", w->pool->rc->name, err);
	rp_walk_set_err(w, err, NULL);
	w->last_dane = DLV_DANE_FAILED;
	free(w->addrs);
	w->addrs = NULL;
	w->n_addrs = w->next_addr = 0;
}

static void
walk_tlsa_cb(void *arg, enum resolver_status st, bool secure,
    const struct dane_tlsa_set *set)
{
	struct rp_walk		*w = arg;
	struct relay_pool	*p = w->pool;
	const char		*name = w->hosts[w->host].name;
	bool			 mandatory;
	char			 buf[512];

	mandatory = RELAYER_DANE(p->rc) == DANE_MANDATORY;
	w->q = NULL;
	if (st == RESOLVER_TEMPFAIL) {
		/* RFC 7672 2.2: a secure host whose TLSA records cannot
		 * be had may be under attack; never used without them. */
		snprintf(buf, sizeof(buf), "451 4.7.5 %s: TLSA lookup "
		    "failed (temporary DNS failure)", name);
		walk_skip_host(w, buf);
	} else if (st == RESOLVER_OK && secure && set->n > 0) {
		w->tlsa = dane_tlsa_set_dup(set);
		w->last_dane = DLV_DANE_FAILED;	/* until a connection is up */
	} else if (mandatory) {
		snprintf(buf, sizeof(buf), "451 4.7.5 %s: no usable "
		    "DNSSEC-authenticated TLSA record (dane = mandatory)",
		    name);
		walk_skip_host(w, buf);
	} else if (st == RESOLVER_OK && secure) {
		/* RFC 7672 3.1.3: records, none usable: encrypt anyway. */
		log_debug("relayer %s: %s: TLSA records, none usable: TLS "
		    "required, unauthenticated", p->rc->name, name);
		w->tls_floor = CTLS_REQUIRED;
	}
	rp_walk_next(w);
	rp_pool_gc(p);
}

/*
 * The current host's addresses are known (secure: authenticated, or from
 * the configuration): does DANE apply to it?  True when its TLSA lookup
 * is under way; walk_tlsa_cb() goes on.  Otherwise, under dane =
 * "mandatory", the host is skipped.
 */
static bool
walk_dane(struct rp_walk *w, bool addr_secure)
{
	struct relay_pool	*p = w->pool;
	struct rp_host		*h = &w->hosts[w->host];
	const char		*why;
	char			 buf[600];

	dane_tlsa_set_free(w->tlsa);
	w->tlsa = NULL;
	w->tls_floor = CTLS_NONE;
	if (RELAYER_DANE(p->rc) == DANE_OFF) {
		w->last_dane = DLV_DANE_OFF;
		return false;
	}
	w->last_dane = DLV_DANE_NONE;
	if (h->name == NULL)
		why = "an address, no host name";
	else if (!p->cfg->resolver_trust_ad)
		why = "resolver trust_ad is off";
	else if (!h->secure)
		why = "its MX records are not DNSSEC-authenticated";
	else if (!addr_secure)
		why = "its address records are not DNSSEC-authenticated";
	else if (p->dns == NULL)
		why = "no resolver";
	else {
		snprintf(buf, sizeof(buf), "_%d._tcp.%s", h->port > 0 ?
		    h->port : p->rc->port, h->name);
		if ((w->q = resolver_tlsa(p->dns, buf, walk_tlsa_cb, w)) !=
		    NULL)
			return true;
		why = "cannot look up TLSA";
	}
	log_debug("relayer %s: DANE does not apply to %s: %s", p->rc->name,
	    h->name != NULL ? h->name : h->addr, why);
	if (RELAYER_DANE(p->rc) == DANE_MANDATORY) {
		snprintf(buf, sizeof(buf), "451 4.7.5 %s: DANE does not apply "
		    "(%s; dane = mandatory)", h->name != NULL ? h->name :
		    h->addr, why);
		walk_skip_host(w, buf);
	}
	return false;
}

static void
walk_dns_cb(void *arg, enum resolver_status st, bool secure,
    const struct sockaddr_storage *addrs, int n)
{
	struct rp_walk		*w = arg;
	struct relay_pool	*p = w->pool;
	char			 buf[512];

	w->q = NULL;
	if (st == RESOLVER_OK && n > 0) {
		w->addrs = xreallocarray(NULL, n, sizeof(*w->addrs));
		memcpy(w->addrs, addrs, n * sizeof(*w->addrs));
		w->n_addrs = n;
		w->next_addr = 0;
		if (walk_dane(w, secure))
			return;		/* walk_tlsa_cb() goes on */
	} else {
		/* Even a name that does not exist is transient here: it is
		 * a host we were told to use, not the recipient's domain. */
		snprintf(buf, sizeof(buf), "451 4.4.3 cannot resolve %s: %s",
		    w->hosts[w->host].name,
		    st == RESOLVER_NXDOMAIN ? "no such host" :
		    st == RESOLVER_TEMPFAIL ? "temporary DNS failure" :
		    "no address");
		log_info("relayer %s: %s", p->rc->name, buf);
		rp_walk_set_err(w, buf, NULL);
		/* Not a DANE failure: DANE never got to this host. */
		w->last_dane = RELAYER_DANE(p->rc) == DANE_OFF ? DLV_DANE_OFF :
		    DLV_DANE_NONE;
	}
	rp_walk_next(w);
	rp_pool_gc(p);
}

/*
 * MTA-STS in enforce mode: the current host matches none of the policy's
 * mx patterns, and DANE (which would take precedence) does not apply to
 * it: its addresses are dropped.  The reason becomes the walk's error
 * only if nothing else failed: a failure of a host that matches says
 * more.
 */
static void
walk_sts_skip(struct rp_walk *w)
{
	struct rp_host	*h = &w->hosts[w->host];
	char		 err[600];

	if (w->last_err == NULL) {
		snprintf(err, sizeof(err), "451 4.7.5 %s is not an MX host "
		    "the MTA-STS policy of %s allows", h->name,
		    w->d->nexthop);
		rp_walk_set_err(w, err, NULL);
	}
	log_info("relayer %s: MTA-STS policy of %s: MX host %s skipped, it "
	    "matches no mx pattern", w->pool->rc->name, w->d->nexthop,
	    h->name);
	free(w->addrs);
	w->addrs = NULL;
	w->n_addrs = w->next_addr = 0;
}

/*
 * Try the next address, or the next host, until w is handed to a
 * destination, waits for DNS, or has failed everywhere (then it is done).
 */
void
rp_walk_next(struct rp_walk *w)
{
	struct relay_pool	*p = w->pool;
	struct rp_host		*h;
	struct sockaddr_storage	 ss;
	struct rp_dest		*dest;
	socklen_t		 len;
	const char		*servername;
	char			 err[512];
	int			 port;

	for (;;) {
		if (w->next_addr < w->n_addrs) {
			h = &w->hosts[w->host];
			/* DANE did not apply after all: MTA-STS's word
			 * stands. */
			if (HOST_STS_MISMATCH(h) && w->tlsa == NULL) {
				walk_sts_skip(w);
				continue;
			}
			ss = w->addrs[w->next_addr++];
			port = h->port > 0 ? h->port : p->rc->port;
			if ((len = resolver_set_port(&ss, port)) == 0)
				continue;
			servername = h->name;
			dest = rp_dest_get(p, &ss, len, servername, w);
			if (rp_dest_take(dest, w) == 0)
				return;
			continue;
		}
		free(w->addrs);
		w->addrs = NULL;
		w->n_addrs = w->next_addr = 0;
		if (++w->host >= w->n_hosts) {
			walk_failed(w);
			return;
		}
		h = &w->hosts[w->host];
		/* Where DANE cannot apply, a host MTA-STS refuses is not
		 * even looked up. */
		if (HOST_STS_MISMATCH(h) && (RELAYER_DANE(p->rc) == DANE_OFF ||
		    !h->secure)) {
			walk_sts_skip(w);
			continue;
		}
		if (h->addr != NULL) {
			w->addrs = xcalloc(1, sizeof(*w->addrs));
			if (resolver_literal(h->addr, &w->addrs[0])) {
				w->n_addrs = 1;
				/* A configured address: as secure as its
				 * name. */
				if (walk_dane(w, true))
					return;
			} else {
				snprintf(err, sizeof(err), "451 4.4.3 \"%s\" "
				    "is not an IP address", h->addr);
				rp_walk_set_err(w, err, NULL);
			}
			continue;
		}
		if (p->dns == NULL) {
			snprintf(err, sizeof(err), "451 4.4.3 cannot resolve "
			    "%s: no resolver", h->name);
			rp_walk_set_err(w, err, NULL);
			continue;
		}
		if ((w->q = resolver_addr(p->dns, h->name, walk_dns_cb,
		    w)) != NULL)
			return;
		snprintf(err, sizeof(err), "451 4.4.3 cannot resolve %s",
		    h->name);
		rp_walk_set_err(w, err, NULL);
	}
}

void
relay_pool_deliver(struct relay_pool *p, struct delivery *d,
    const struct domain_conf *dom, const struct relay_host *hosts,
    int n_hosts)
{
	struct rp_walk		*w;
	struct sockaddr_storage	 ss;
	int			 i;

	w = xcalloc(1, sizeof(*w));
	w->pool = p;
	w->d = d;
	w->dom = dom;
	w->host = -1;
	w->hosts = xcalloc(n_hosts > 0 ? n_hosts : 1, sizeof(*w->hosts));
	for (i = 0; i < n_hosts; i++) {
		w->hosts[i].port = hosts[i].port;
		w->hosts[i].secure = hosts[i].secure;
		w->hosts[i].sts_verify = hosts[i].sts_verify;
		w->hosts[i].sts_mismatch = hosts[i].sts_mismatch;
		if (hosts[i].addr != NULL)
			w->hosts[i].addr = xstrdup(hosts[i].addr);
		if (hosts[i].name == NULL)
			continue;
		/* A host given as an address is used as one, with no TLS
		 * name. */
		if (hosts[i].addr == NULL && resolver_literal(hosts[i].name, &ss))
			w->hosts[i].addr = xstrdup(hosts[i].name);
		else
			w->hosts[i].name = xstrdup(hosts[i].name);
	}
	w->n_hosts = n_hosts;
	TAILQ_INSERT_TAIL(&p->walks, w, pentry);
	p->n_walks++;
	if (n_hosts == 0)
		rp_walk_set_err(w, "451 4.3.0 relayer has no host", NULL);
	rp_walk_next(w);
	rp_pool_gc(p);
}
