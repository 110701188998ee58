/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_pool.c — owns the outgoing SMTP connection pools of the smtp and
 * mx relayers: per relayer instance, the destinations (address, port, TLS
 * identity), each with at most pool_size connections and a FIFO of
 * deliveries waiting for one; the cap and the dispatch of waiting
 * deliveries; the pools' life across reloads and at exit.
 *
 * Three objects (relay_pool_int.h): a walk (one delivery on its way over
 * its hosts and their addresses, relay_pool_walk.c), a destination (its
 * connections and FIFO, here), a connection (one smtp_client, connecting,
 * idle or busy, relay_pool_conn.c).  Nothing is freed inside a loop over
 * it: empty destinations and a retired, empty pool are swept at the end of
 * every entry point (rp_pool_gc), which is always the last thing it does.
 *
 * pool_size is a hard cap (issue #10): a connection counts from its
 * connect() until its socket is closed, QUIT and its reply included
 * (RP_CLOSING).  For an smtp relayer the cap is the relayer's, over all
 * its hosts' addresses; for mx it is per destination address.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Every pool, live or retired: a relayer changed by a reload has a live
 * pool and retired ones still closing, and the cap counts them all. */
static TAILQ_HEAD(, relay_pool) all_pools = TAILQ_HEAD_INITIALIZER(all_pools);

static void	dest_dispatch(struct rp_dest *);

static int
pool_limit(const struct relay_pool *p)
{
	return p->rc->pool_size > 0 ? p->rc->pool_size : 1;
}

/* Connections that count against dest: its own (mx) or its pool's
 * (smtp), and those of the relayer's other pools (retired ones still
 * draining, or the live one), to the same address for mx. */
static int
dest_count(const struct rp_dest *dest)
{
	const struct relay_pool	*p = dest->pool, *q;
	const struct rp_dest	*o;
	bool			 mx = p->rc->type == RELAY_MX;
	int			 n = mx ? dest->n_conns : p->n_conns;

	TAILQ_FOREACH(q, &all_pools, pentry) {
		if (q == p || q->n_conns == 0 ||
		    strcmp(q->rc->name, p->rc->name) != 0)
			continue;
		if (!mx) {
			n += q->n_conns;
			continue;
		}
		TAILQ_FOREACH(o, &q->dests, entry)
			if (o->sslen == dest->sslen &&
			    memcmp(&o->ss, &dest->ss, dest->sslen) == 0)
				n += o->n_conns;
	}
	return n;
}

/* May dest open one more connection?  The cap is per address for mx and
 * per relayer for a static smarthost. */
static bool
dest_has_room(const struct rp_dest *dest)
{
	return dest_count(dest) < pool_limit(dest->pool);
}

/* A connection of p closed: the relayer's other pools may have room now
 * (the new one after a reload, or a retired one with deliveries still
 * waiting). */
void
rp_pool_kick_others(const struct relay_pool *p)
{
	struct relay_pool	*q;

	TAILQ_FOREACH(q, &all_pools, pentry)
		if (q != p && strcmp(q->rc->name, p->rc->name) == 0)
			rp_pool_dispatch(q);
}

/* Pools not yet freed: a retired one lives until its last connection
 * has said QUIT and closed, which shutdown waits for. */
static int	n_pools;

struct relay_pool *
relay_pool_new(struct event_base *base, struct resolver *dns,
    struct config *cfg, const struct relayer_conf *rc)
{
	struct relay_pool	*p;

	p = xcalloc(1, sizeof(*p));
	n_pools++;
	p->base = base;
	p->dns = dns;
	p->cfg = config_ref(cfg);
	p->rc = rc;
	TAILQ_INIT(&p->dests);
	TAILQ_INIT(&p->walks);
	TAILQ_INSERT_TAIL(&all_pools, p, pentry);
	return p;
}

/*
 * Free empty destinations, then the pool itself when it is retired and
 * holds nothing.  The last call of every entry point: it may free p.
 */
void
rp_pool_gc(struct relay_pool *p)
{
	struct rp_dest	*dest, *next;

	for (dest = TAILQ_FIRST(&p->dests); dest != NULL; dest = next) {
		next = TAILQ_NEXT(dest, entry);
		if (dest->n_conns > 0 || !TAILQ_EMPTY(&dest->waiting))
			continue;
		TAILQ_REMOVE(&p->dests, dest, entry);
		config_unref(dest->cfg);
		free(dest->servername);
		dane_tlsa_set_free(dest->dane);
		free(dest->remote);
		free(dest);
	}
	if (!p->retired || p->n_walks > 0 || !TAILQ_EMPTY(&p->dests))
		return;
	log_debug("relayer %s: pool freed", p->rc->name);
	TAILQ_REMOVE(&all_pools, p, pentry);
	config_unref(p->cfg);
	free(p);
	n_pools--;
}

int
relay_pool_count(void)
{
	return n_pools;
}

/*
 * dest has deliveries waiting and no room: close one idle connection that
 * counts against it elsewhere (another address of an smtp relayer, or the
 * relayer's other pool across a reload), so that its place comes free.
 */
static void
pool_close_idle_elsewhere(struct relay_pool *p, struct rp_dest *dest)
{
	struct relay_pool	*q;
	struct rp_dest		*o;
	struct rp_conn		*conn;
	bool			 mx = p->rc->type == RELAY_MX;

	TAILQ_FOREACH(q, &all_pools, pentry) {
		if (strcmp(q->rc->name, p->rc->name) != 0)
			continue;
		TAILQ_FOREACH(o, &q->dests, entry) {
			if (o == dest || (mx && (o->sslen != dest->sslen ||
			    memcmp(&o->ss, &dest->ss, dest->sslen) != 0)))
				continue;
			TAILQ_FOREACH(conn, &o->conns, entry)
				if (conn->state == RP_IDLE) {
					rp_conn_close(conn, true);
					return;
				}
		}
	}
}

/*
 * Give waiting deliveries to idle connections, or to new ones while the
 * destination has room.  A retired pool keeps no idle connection once the
 * FIFO is empty.
 */
static void
dest_dispatch(struct rp_dest *dest)
{
	struct relay_pool	*p = dest->pool;
	struct rp_conn		*conn;
	struct rp_walk		*w;

	while ((w = TAILQ_FIRST(&dest->waiting)) != NULL) {
		TAILQ_FOREACH(conn, &dest->conns, entry)
			if (conn->state == RP_IDLE)
				break;
		if (conn == NULL && !dest_has_room(dest)) {
			/* The relayer's cap is taken: an idle connection to
			 * another of its addresses makes room. */
			pool_close_idle_elsewhere(p, dest);
			break;
		}
		TAILQ_REMOVE(&dest->waiting, w, wentry);
		w->waiting = NULL;
		if (conn != NULL)
			rp_conn_start_tx(conn, w);
		else if (rp_conn_new(dest, w) == -1)
			rp_walk_next(w);
	}
	if (p->retired && TAILQ_EMPTY(&dest->waiting)) {
		for (;;) {
			TAILQ_FOREACH(conn, &dest->conns, entry)
				if (conn->state == RP_IDLE)
					break;
			if (conn == NULL)
				break;
			rp_conn_close(conn, true);
		}
	}
}

/* Every destination's waiting deliveries, as room may have been made. */
void
rp_pool_dispatch(struct relay_pool *p)
{
	struct rp_dest	*dest;

	TAILQ_FOREACH(dest, &p->dests, entry)
		dest_dispatch(dest);
}

/* The destination for an address and TLS identity (with w's DANE state),
 * made if needed. */
struct rp_dest *
rp_dest_get(struct relay_pool *p, const struct sockaddr_storage *ss,
    socklen_t sslen, const char *servername, const struct rp_walk *w)
{
	struct rp_dest		*dest;
	struct smtp_client_conf	 conf;
	char			 addr[INET6_ADDRSTRLEN];
	int			 port;

	smtp_client_conf_init(&conf, p->cfg, p->rc, w->dom, servername);
	if (conf.tls < w->tls_floor)
		conf.tls = w->tls_floor;
	/* MTA-STS enforce, where DANE does not apply (it takes
	 * precedence): a verified certificate for the MX host's name. */
	if (w->tlsa == NULL && w->host >= 0 && w->host < w->n_hosts &&
	    HOST_STS_VERIFY(&w->hosts[w->host]) && servername != NULL &&
	    conf.tls < CTLS_VERIFY)
		conf.tls = CTLS_VERIFY;
	TAILQ_FOREACH(dest, &p->dests, entry) {
		if (dest->sslen != sslen || memcmp(&dest->ss, ss, sslen) != 0)
			continue;
		if ((dest->servername == NULL) != (servername == NULL) ||
		    (servername != NULL &&
		    strcasecmp(dest->servername, servername) != 0))
			continue;
		if (dest->conf.tls != conf.tls ||
		    dest->conf.implicit_tls != conf.implicit_tls ||
		    !dane_tlsa_set_equal(dest->dane, w->tlsa))
			continue;
		return dest;
	}
	dest = xcalloc(1, sizeof(*dest));
	dest->pool = p;
	memcpy(&dest->ss, ss, sslen);
	dest->sslen = sslen;
	dest->servername = servername != NULL ? xstrdup(servername) : NULL;
	dest->cfg = config_ref(p->cfg);
	dest->dane = dane_tlsa_set_dup(w->tlsa);
	dest->conf = conf;
	dest->conf.servername = dest->servername;
	dest->conf.dane = dest->dane;
	addr_text((const struct sockaddr *)ss, addr, sizeof(addr), false);
	port = ntohs(ss->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)ss)->sin6_port);
	dest->remote = xasprintf("%s[%s]:%d", servername != NULL ?
	    servername : "", addr, port);
	TAILQ_INIT(&dest->conns);
	TAILQ_INIT(&dest->waiting);
	TAILQ_INSERT_TAIL(&p->dests, dest, entry);
	return dest;
}

/*
 * w goes to dest: an idle connection, a new one if there is room, else the
 * FIFO.  -1 when a new connection failed at once.
 */
int
rp_dest_take(struct rp_dest *dest, struct rp_walk *w)
{
	struct rp_conn	*conn;

	if (TAILQ_EMPTY(&dest->waiting)) {
		TAILQ_FOREACH(conn, &dest->conns, entry)
			if (conn->state == RP_IDLE) {
				rp_conn_start_tx(conn, w);
				return 0;
			}
		if (dest_has_room(dest))
			return rp_conn_new(dest, w);
	}
	w->waiting = dest;
	TAILQ_INSERT_TAIL(&dest->waiting, w, wentry);
	/* Behind others: they may have room now that they have not taken. */
	dest_dispatch(dest);
	return 0;
}

void
relay_pool_adopt(struct relay_pool *p, struct config *cfg,
    const struct relayer_conf *rc)
{
	struct config	*old = p->cfg;

	/* Destinations keep the configuration their settings point into;
	 * the settings are the same. */
	p->cfg = config_ref(cfg);
	p->rc = rc;
	config_unref(old);
	log_debug("relayer %s: pool kept across reload", rc->name);
}

void
relay_pool_retire(struct relay_pool *p)
{
	struct rp_dest	*dest;

	p->retired = true;
	TAILQ_FOREACH(dest, &p->dests, entry)
		dest_dispatch(dest);
	rp_pool_gc(p);
}

void
relay_pool_exit(void)
{
	struct relay_pool	*p;
	struct rp_dest		*dest;
	struct rp_conn		*conn;
	struct rp_walk		*w;
	struct delivery		*d;

	while ((p = TAILQ_FIRST(&all_pools)) != NULL) {
		p->retired = true;
		TAILQ_FOREACH(dest, &p->dests, entry) {
			/* A closing one's client (saying QUIT, or
			 * closed with its memory due from the loop) goes
			 * with smtp_client_exit() below. */
			while ((conn = TAILQ_FIRST(&dest->conns)) != NULL) {
				smtp_client_free(conn->c);
				rp_conn_forget(conn);
			}
			while ((w = TAILQ_FIRST(&dest->waiting)) != NULL) {
				TAILQ_REMOVE(&dest->waiting, w, wentry);
				w->waiting = NULL;
			}
		}
		while ((w = TAILQ_FIRST(&p->walks)) != NULL) {
			d = w->d;
			delivery_fail_all(d, DLV_TEMPFAIL,
			    "451 4.3.0 interrupted by shutdown");
			rp_walk_free(w);
			d->done(d);
		}
		rp_pool_gc(p);	/* frees p: retired, no walk, no dest */
	}
	smtp_client_exit();
}
