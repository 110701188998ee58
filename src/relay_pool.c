/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_pool.c — owns the outgoing SMTP connections of the smtp and mx
 * relayers: per relayer instance, the destinations (address, port, TLS
 * identity), each with at most pool_size connections and a FIFO of
 * deliveries waiting for one, and each delivery's walk over its hosts and
 * their addresses.
 *
 * Three objects: a walk (one delivery on its way: which host and address
 * it is at, waiting in a destination's FIFO or carried by a connection), a
 * destination (its connections and FIFO), a connection (one smtp_client,
 * connecting, idle or busy).  Nothing is freed inside a loop over it: empty
 * destinations and a retired, empty pool are swept at the end of every
 * entry point (pool_gc), which is always the last thing it does.
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
#include "log.h"
#include "relay.h"
#include "relay_pool.h"
#include "resolver.h"
#include "smtp_client.h"
#include "util.h"

enum rp_state { RP_CONNECTING, RP_IDLE, RP_BUSY, RP_CLOSING };

struct rp_walk;
struct rp_dest;

struct rp_conn {
	TAILQ_ENTRY(rp_conn)	 entry;
	struct rp_dest		*dest;
	enum rp_state		 state;
	struct smtp_client	*c;
	struct rp_walk		*w;		/* carried or being delivered */
	struct event		*idle;
	int			 deliveries;
};

struct rp_dest {
	TAILQ_ENTRY(rp_dest)	 entry;
	struct relay_pool	*pool;
	struct sockaddr_storage	 ss;		/* with the port */
	socklen_t		 sslen;
	char			*servername;	/* TLS name, NULL: a literal */
	struct config		*cfg;		/* referenced: conf points in */
	struct smtp_client_conf	 conf;		/* servername points above */
	char			*remote;	/* "host[addr]:port" */
	TAILQ_HEAD(, rp_conn)	 conns;
	int			 n_conns;
	TAILQ_HEAD(, rp_walk)	 waiting;
};

struct rp_host {
	char			*name;
	char			*addr;
	int			 port;
};

struct rp_walk {
	TAILQ_ENTRY(rp_walk)	 wentry;	/* in dest->waiting */
	TAILQ_ENTRY(rp_walk)	 pentry;	/* in pool->walks */
	struct relay_pool	*pool;
	struct delivery		*d;
	const struct domain_conf *dom;
	struct rp_host		*hosts;
	int			 n_hosts;
	int			 host;		/* index into hosts */
	struct sockaddr_storage	*addrs;
	int			 n_addrs, next_addr;
	struct resolver_query	*q;
	struct rp_dest		*waiting;	/* the FIFO it is in, or NULL */
	char			*last_err;
	char			*last_remote;
};

struct relay_pool {
	TAILQ_ENTRY(relay_pool)	 pentry;	/* in all_pools */
	struct event_base	*base;
	struct resolver		*dns;
	struct config		*cfg;		/* referenced */
	const struct relayer_conf *rc;		/* inside cfg */
	TAILQ_HEAD(, rp_dest)	 dests;
	TAILQ_HEAD(, rp_walk)	 walks;		/* every one in flight */
	int			 n_conns;	/* every state, closing included */
	int			 n_walks;	/* deliveries in flight */
	bool			 retired;
};

/* Every pool, live or retired: a relayer changed by a reload has a live
 * pool and retired ones still closing, and the cap counts them all. */
static TAILQ_HEAD(, relay_pool) all_pools = TAILQ_HEAD_INITIALIZER(all_pools);

static void	walk_next(struct rp_walk *);
static void	dest_dispatch(struct rp_dest *);
static void	pool_dispatch(struct relay_pool *);

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
static void
pool_kick_others(const struct relay_pool *p)
{
	struct relay_pool	*q;

	TAILQ_FOREACH(q, &all_pools, pentry)
		if (q != p && strcmp(q->rc->name, p->rc->name) == 0)
			pool_dispatch(q);
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
static void
pool_gc(struct relay_pool *p)
{
	struct rp_dest	*dest, *next;

	for (dest = TAILQ_FIRST(&p->dests); dest != NULL; dest = next) {
		next = TAILQ_NEXT(dest, entry);
		if (dest->n_conns > 0 || !TAILQ_EMPTY(&dest->waiting))
			continue;
		TAILQ_REMOVE(&p->dests, dest, entry);
		config_unref(dest->cfg);
		free(dest->servername);
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

static void
walk_set_err(struct rp_walk *w, const char *err, const char *remote)
{
	free(w->last_err);
	w->last_err = xstrdup(err);
	if (remote != NULL) {
		free(w->last_remote);
		w->last_remote = xstrdup(remote);
	}
}

static void
walk_free(struct rp_walk *w)
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
	free(w->last_err);
	free(w->last_remote);
	TAILQ_REMOVE(&w->pool->walks, w, pentry);
	w->pool->n_walks--;
	free(w);
}

/* The delivery has every result it will get from this attempt. */
static void
walk_done(struct rp_walk *w)
{
	delivery_done_later(w->d);
	walk_free(w);
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
	delivery_fail_all(d, DLV_TEMPFAIL, err);
	walk_done(w);
}

static void
conn_forget(struct rp_conn *conn)
{
	struct rp_dest	*dest = conn->dest;

	TAILQ_REMOVE(&dest->conns, conn, entry);
	dest->n_conns--;
	dest->pool->n_conns--;
	event_free(conn->idle);
	free(conn);
}

/* A QUIT'd connection's socket is closed: its place is free. */
static void
conn_closed(evutil_socket_t fd, short ev, void *arg)
{
	struct rp_conn		*conn = arg;
	struct relay_pool	*p = conn->dest->pool;

	conn_forget(conn);
	pool_dispatch(p);
	pool_kick_others(p);
	pool_gc(p);
}

/*
 * Close conn: at once, or with QUIT, in which case it keeps its place
 * (RP_CLOSING) until its socket is closed.
 */
static void
conn_close(struct rp_conn *conn, bool quit)
{
	struct smtp_client	*c = conn->c;

	conn->c = NULL;
	if (c != NULL && quit) {
		evtimer_del(conn->idle);
		conn->state = RP_CLOSING;
		conn->w = NULL;
		smtp_client_quit_then(c, conn_closed, conn);
		return;
	}
	if (c != NULL)
		smtp_client_free(c);
	conn_forget(conn);
}

static void
conn_idle_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct rp_conn		*conn = arg;
	struct relay_pool	*p = conn->dest->pool;

	log_debug("relayer %s: closing idle connection to %s", p->rc->name,
	    conn->dest->remote);
	conn_close(conn, true);
	pool_gc(p);
}

/* Hand the walk's delivery to a connection ready for a transaction. */
static void
conn_start_tx(struct rp_conn *conn, struct rp_walk *w)
{
	struct delivery	*d = w->d;

	evtimer_del(conn->idle);
	conn->state = RP_BUSY;
	conn->w = w;
	free(d->remote);
	d->remote = xstrdup(conn->dest->remote);
	smtp_client_start_tx(conn->c, d);
}

/*
 * The connection carrying w could not be set up.  w walks on; so do the
 * deliveries waiting for this destination when none of its connections is
 * up, as they would only try the same dead address one after the other.
 * Frees conn.
 */
static void
conn_failed(struct rp_conn *conn, const char *err)
{
	struct rp_dest		*dest = conn->dest;
	struct relay_pool	*p = dest->pool;
	struct rp_walk		*w = conn->w, *ww;
	struct rp_conn		*o;
	TAILQ_HEAD(, rp_walk)	 moving;
	bool			 up = false;

	log_info("relayer %s: %s", p->rc->name, err);
	conn->w = NULL;
	conn_close(conn, false);
	TAILQ_FOREACH(o, &dest->conns, entry)
		if (o->state == RP_IDLE || o->state == RP_BUSY)
			up = true;
	/* Take them all out first: walking on may come back here. */
	TAILQ_INIT(&moving);
	if (!up)
		TAILQ_CONCAT(&moving, &dest->waiting, wentry);
	walk_set_err(w, err, dest->remote);
	walk_next(w);
	while ((ww = TAILQ_FIRST(&moving)) != NULL) {
		TAILQ_REMOVE(&moving, ww, wentry);
		ww->waiting = NULL;
		walk_set_err(ww, err, dest->remote);
		walk_next(ww);
	}
}

static void
conn_client_cb(struct smtp_client *c, enum smtpc_event ev, void *arg)
{
	struct rp_conn		*conn = arg;
	struct rp_dest		*dest = conn->dest;
	struct relay_pool	*p = dest->pool;
	const struct relayer_conf *rc = p->rc;
	struct rp_walk		*w;
	struct timeval		 tv;
	char			*err;

	switch (ev) {
	case SMTPC_READY:
		log_debug("relayer %s: connected to %s", rc->name, dest->remote);
		w = conn->w;
		conn->w = NULL;
		conn_start_tx(conn, w);
		break;
	case SMTPC_TX_DONE:
		w = conn->w;
		conn->w = NULL;
		conn->deliveries++;
		walk_done(w);
		if (smtp_client_reusable(c) &&
		    conn->deliveries < rc->max_deliveries_per_connection &&
		    (!p->retired || !TAILQ_EMPTY(&dest->waiting))) {
			conn->state = RP_IDLE;
			tv.tv_sec = rc->idle_timeout > 0 ? rc->idle_timeout : 1;
			tv.tv_usec = 0;
			evtimer_add(conn->idle, &tv);
		} else
			conn_close(conn, smtp_client_reusable(c));
		break;
	case SMTPC_FAILED:
		if (conn->state == RP_CONNECTING ||
		    (conn->state == RP_BUSY && conn->deliveries == 0)) {
			/* Connect, greeting or EHLO failed (or the very first
			 * transaction could not start): the next address. */
			conn->c = NULL;
			err = xstrdup(smtp_client_status(c));
			smtp_client_free(c);
			conn_failed(conn, err);
			free(err);
		} else if (conn->state == RP_BUSY) {
			/* The RSET on a reused connection failed (a 421, or
			 * the peer went away): the delivery is untouched, so
			 * it goes first in line for a new connection. */
			log_debug("relayer %s: reused connection to %s failed: "
			    "%s", rc->name, dest->remote,
			    smtp_client_status(c));
			w = conn->w;
			conn->w = NULL;
			conn_close(conn, false);
			w->waiting = dest;
			TAILQ_INSERT_HEAD(&dest->waiting, w, wentry);
		} else
			conn_close(conn, false);
		break;
	}
	pool_dispatch(p);
	pool_kick_others(p);
	pool_gc(p);
}

/* A new connection to dest carrying w; -1 (with w's error set) when the
 * connect fails at once. */
static int
conn_new(struct rp_dest *dest, struct rp_walk *w)
{
	struct relay_pool	*p = dest->pool;
	struct rp_conn		*conn;
	char			 err[512];

	conn = xcalloc(1, sizeof(*conn));
	conn->dest = dest;
	conn->state = RP_CONNECTING;
	conn->w = w;
	conn->c = smtp_client_new(p->base, (struct sockaddr *)&dest->ss,
	    dest->sslen, dest->remote, &dest->conf, conn_client_cb, conn, err,
	    sizeof(err));
	if (conn->c == NULL) {
		log_info("relayer %s: %s", p->rc->name, err);
		walk_set_err(w, err, dest->remote);
		free(conn);
		return -1;
	}
	if ((conn->idle = evtimer_new(p->base, conn_idle_timeout, conn)) ==
	    NULL)
		fatalx("evtimer_new");
	TAILQ_INSERT_TAIL(&dest->conns, conn, entry);
	dest->n_conns++;
	p->n_conns++;
	return 0;
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
					conn_close(conn, true);
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
			conn_start_tx(conn, w);
		else if (conn_new(dest, w) == -1)
			walk_next(w);
	}
	if (p->retired && TAILQ_EMPTY(&dest->waiting)) {
		for (;;) {
			TAILQ_FOREACH(conn, &dest->conns, entry)
				if (conn->state == RP_IDLE)
					break;
			if (conn == NULL)
				break;
			conn_close(conn, true);
		}
	}
}

/* Every destination's waiting deliveries, as room may have been made. */
static void
pool_dispatch(struct relay_pool *p)
{
	struct rp_dest	*dest;

	TAILQ_FOREACH(dest, &p->dests, entry)
		dest_dispatch(dest);
}

/* The destination for an address and TLS identity, made if needed. */
static struct rp_dest *
dest_get(struct relay_pool *p, const struct sockaddr_storage *ss,
    socklen_t sslen, const char *servername, const struct domain_conf *dom)
{
	struct rp_dest		*dest;
	struct smtp_client_conf	 conf;
	char			 addr[INET6_ADDRSTRLEN];
	int			 port;

	smtp_client_conf_init(&conf, p->cfg, p->rc, dom, servername);
	TAILQ_FOREACH(dest, &p->dests, entry) {
		if (dest->sslen != sslen || memcmp(&dest->ss, ss, sslen) != 0)
			continue;
		if ((dest->servername == NULL) != (servername == NULL) ||
		    (servername != NULL &&
		    strcasecmp(dest->servername, servername) != 0))
			continue;
		if (dest->conf.tls != conf.tls ||
		    dest->conf.implicit_tls != conf.implicit_tls)
			continue;
		return dest;
	}
	dest = xcalloc(1, sizeof(*dest));
	dest->pool = p;
	memcpy(&dest->ss, ss, sslen);
	dest->sslen = sslen;
	dest->servername = servername != NULL ? xstrdup(servername) : NULL;
	dest->cfg = config_ref(p->cfg);
	dest->conf = conf;
	dest->conf.servername = dest->servername;
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    addr, sizeof(addr));
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else {
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, addr,
		    sizeof(addr));
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
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
static int
dest_take(struct rp_dest *dest, struct rp_walk *w)
{
	struct rp_conn	*conn;

	if (TAILQ_EMPTY(&dest->waiting)) {
		TAILQ_FOREACH(conn, &dest->conns, entry)
			if (conn->state == RP_IDLE) {
				conn_start_tx(conn, w);
				return 0;
			}
		if (dest_has_room(dest))
			return conn_new(dest, w);
	}
	w->waiting = dest;
	TAILQ_INSERT_TAIL(&dest->waiting, w, wentry);
	/* Behind others: they may have room now that they have not taken. */
	dest_dispatch(dest);
	return 0;
}

static void
walk_dns_cb(void *arg, enum resolver_status st,
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
	} else {
		/* Even a name that does not exist is transient here: it is
		 * a host we were told to use, not the recipient's domain. */
		snprintf(buf, sizeof(buf), "451 4.4.3 cannot resolve %s: %s",
		    w->hosts[w->host].name,
		    st == RESOLVER_NXDOMAIN ? "no such host" :
		    st == RESOLVER_TEMPFAIL ? "temporary DNS failure" :
		    "no address");
		log_info("relayer %s: %s", p->rc->name, buf);
		walk_set_err(w, buf, NULL);
	}
	walk_next(w);
	pool_gc(p);
}

/*
 * Try the next address, or the next host, until w is handed to a
 * destination, waits for DNS, or has failed everywhere (then it is done).
 */
static void
walk_next(struct rp_walk *w)
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
			ss = w->addrs[w->next_addr++];
			port = h->port > 0 ? h->port : p->rc->port;
			if ((len = resolver_set_port(&ss, port)) == 0)
				continue;
			servername = h->name;
			dest = dest_get(p, &ss, len, servername, w->dom);
			if (dest_take(dest, w) == 0)
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
		if (h->addr != NULL) {
			w->addrs = xcalloc(1, sizeof(*w->addrs));
			if (resolver_literal(h->addr, &w->addrs[0]))
				w->n_addrs = 1;
			else {
				snprintf(err, sizeof(err), "451 4.4.3 \"%s\" "
				    "is not an IP address", h->addr);
				walk_set_err(w, err, NULL);
			}
			continue;
		}
		if (p->dns == NULL) {
			snprintf(err, sizeof(err), "451 4.4.3 cannot resolve "
			    "%s: no resolver", h->name);
			walk_set_err(w, err, NULL);
			continue;
		}
		if ((w->q = resolver_addr(p->dns, h->name, walk_dns_cb,
		    w)) != NULL)
			return;
		snprintf(err, sizeof(err), "451 4.4.3 cannot resolve %s",
		    h->name);
		walk_set_err(w, err, NULL);
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
		walk_set_err(w, "451 4.3.0 relayer has no host", NULL);
	walk_next(w);
	pool_gc(p);
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
	pool_gc(p);
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
				conn_forget(conn);
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
			walk_free(w);
			d->done(d);
		}
		pool_gc(p);	/* frees p: retired, no walk, no dest */
	}
	smtp_client_exit();
}
