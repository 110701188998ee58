/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_pool_int.h — the connection pool's three objects and what its
 * three files call of each other: the pool and its destinations
 * (relay_pool.c), the walk of a delivery over its hosts
 * (relay_pool_walk.c), a pooled connection (relay_pool_conn.c).  Nothing
 * else includes it: everyone else sees relay_pool.h and an opaque pool.
 */
#ifndef SMARTHOSTD_RELAY_POOL_INT_H
#define SMARTHOSTD_RELAY_POOL_INT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdbool.h>

#include "relay.h"
#include "smtp_client.h"

struct dane_tlsa_set;
struct delivery;
struct domain_conf;
struct event;
struct event_base;
struct relayer_conf;
struct resolver;
struct resolver_query;

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
	struct dane_tlsa_set	*dane;		/* usable TLSA records, or
						   NULL: no DANE */
	struct config		*cfg;		/* referenced: conf points in */
	struct smtp_client_conf	 conf;		/* servername and dane point
						   above */
	char			*remote;	/* "host[addr]:port" */
	TAILQ_HEAD(, rp_conn)	 conns;
	int			 n_conns;
	TAILQ_HEAD(, rp_walk)	 waiting;
};

struct rp_host {
	char			*name;
	char			*addr;
	int			 port;
	bool			 secure;	/* see relay_host */
	bool			 sts_verify, sts_mismatch;	/* relay_pool.h */
};

/* A host's sts_verify and sts_mismatch: only a relayer with mta_sts sets
 * them, and without MTA-STS there is none (RELAYER_MTA_STS). */
#ifdef WITH_MTA_STS
#define HOST_STS_VERIFY(h)	((h)->sts_verify)
#define HOST_STS_MISMATCH(h)	((h)->sts_mismatch)
#else
#define HOST_STS_VERIFY(h)	false
#define HOST_STS_MISMATCH(h)	false
#endif

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
	/* The current host's DANE: its usable TLSA records (or NULL), and
	 * the least tls its destinations get (unusable records only). */
	struct dane_tlsa_set	*tlsa;
	enum client_tls		 tls_floor;
	enum dlv_dane		 last_dane;	/* for the failure's log line */
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

/* relay_pool.c: the pool and its destinations. */

/* Every destination's waiting deliveries, as room may have been made. */
void	rp_pool_dispatch(struct relay_pool *);
/* A connection of p closed: the relayer's other pools may have room now. */
void	rp_pool_kick_others(const struct relay_pool *);
/* Free empty destinations, then p when it is retired and holds nothing.
 * The last call of every entry point: it may free p. */
void	rp_pool_gc(struct relay_pool *);
/* The destination for an address and TLS identity (with w's DANE
 * state: its TLSA records, its tls floor), made if needed. */
struct rp_dest *rp_dest_get(struct relay_pool *,
	    const struct sockaddr_storage *, socklen_t, const char *servername,
	    const struct rp_walk *w);
/* w goes to dest: an idle connection, a new one if there is room, else
 * the FIFO.  -1 when a new connection failed at once. */
int	rp_dest_take(struct rp_dest *, struct rp_walk *);

/* relay_pool_walk.c: a delivery's walk over its hosts. */

/* Try the next address, or the next host, until w is handed to a
 * destination, waits for DNS, or has failed everywhere (then done). */
void	rp_walk_next(struct rp_walk *);
/* The delivery has every result it will get from this attempt. */
void	rp_walk_done(struct rp_walk *);
/* Remember the last error (and where, when remote is not NULL). */
void	rp_walk_set_err(struct rp_walk *, const char *err,
	    const char *remote);
/* Free w without a word to its delivery (rp_walk_done says one). */
void	rp_walk_free(struct rp_walk *);
/* What a failure at dest says of DANE, for the log. */
void	rp_walk_dest_dane(struct rp_walk *, const struct rp_dest *);

/* relay_pool_conn.c: one pooled connection. */

/* A new connection to dest carrying w; -1 (with w's error set) when the
 * connect fails at once. */
int	rp_conn_new(struct rp_dest *, struct rp_walk *);
/* Hand the walk's delivery to a connection ready for a transaction. */
void	rp_conn_start_tx(struct rp_conn *, struct rp_walk *);
/* Close conn: at once, or with QUIT, in which case it keeps its place
 * (RP_CLOSING) until its socket is closed. */
void	rp_conn_close(struct rp_conn *, bool quit);
/* Take conn out of its destination and free it (its client is gone). */
void	rp_conn_forget(struct rp_conn *);

#endif
