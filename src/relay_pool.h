/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_pool.h — the connection pool the SMTP-speaking relayers (smtp and
 * mx) share.  One pool per relayer instance holds its destinations: a
 * destination is one address and port with one TLS identity (the host name
 * verified, the tls mode), and has at most pool_size smtp_client
 * connections, a FIFO of deliveries waiting for one, idle connections kept
 * for reuse (RSET in between, up to max_deliveries_per_connection, QUIT
 * after idle_timeout).
 *
 * A delivery comes with its list of hosts, tried in order: every address of
 * a host (A then AAAA) before the next host; a host name is resolved with
 * A/AAAA, never MX.  When a destination cannot be connected to and none of
 * its connections is up, the deliveries waiting for it move on to their
 * next address at once rather than each trying it in turn.  When every
 * host and address failed, the delivery fails transiently with the last
 * error.
 *
 * DANE (the mx relayer's dane, RFC 7672): after a secure host's addresses
 * (authenticated, or configured) comes its TLSA lookup,
 * _<port>._tcp.<host>.  Usable, authenticated records make the host's
 * destinations DANE ones (STARTTLS and a matching certificate or nothing);
 * a failed lookup, or no usable record under dane = "mandatory", skips
 * the host; only unusable records raise tls to at least "required".
 */
#ifndef SMARTHOSTD_RELAY_POOL_H
#define SMARTHOSTD_RELAY_POOL_H

#include <sys/socket.h>

#include <stdbool.h>

struct config;
struct delivery;
struct domain_conf;
struct event_base;
struct relayer_conf;
struct relay_pool;
struct resolver;

/* One host to try.  The strings are copied. */
struct relay_host {
	const char	*name;		/* host name: resolved with A/AAAA
					   unless addr is set; also the TLS
					   name.  NULL for a bare address */
	const char	*addr;		/* IP address to use as is, or NULL */
	int		 port;		/* 0: the relayer's port */
	bool		 secure;	/* name from a DNSSEC-authenticated
					   MX answer, or from the
					   configuration: DANE may apply */
	/* MTA-STS in enforce mode (mta_sts.h, relay_mx.c), unless
	 * DANE applies to the host (it takes precedence): */
	bool		 sts_verify;	/* STARTTLS and a verified certificate
					   for name: tls at least "verify" */
	bool		 sts_mismatch;	/* name matches none of the policy's
					   mx patterns: the host is skipped */
};

/* A pool for one relayer of cfg (referenced until the pool is freed). */
struct relay_pool *relay_pool_new(struct event_base *, struct resolver *,
		    struct config *, const struct relayer_conf *);

/*
 * Deliver d through the first of hosts that takes it.  dom (the next hop's
 * domains entry, or NULL) may override the relayer's tls setting.  d->remote
 * names the host and address used; d->done is called later, always.
 */
void		 relay_pool_deliver(struct relay_pool *, struct delivery *,
		    const struct domain_conf *, const struct relay_host *hosts,
		    int n_hosts);

/* The relayer is the same in cfg (a reload): the pool goes on under it,
 * connections kept; new destinations are made from cfg. */
void		 relay_pool_adopt(struct relay_pool *, struct config *,
		    const struct relayer_conf *);

/* No more deliveries: close idle connections, free the pool once the
 * deliveries it holds are done. */
void		 relay_pool_retire(struct relay_pool *);

/* Pools not yet freed, retired ones included. */
int		 relay_pool_count(void);

/* The event loop has ended (relay_exit()): close every connection at once,
 * QUITs unanswered; defer every delivery still walking (d->done called
 * directly); free every pool. */
void		 relay_pool_exit(void);


#endif
