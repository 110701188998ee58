/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * resolver_int.h — what the resolver's two files share: the resolver and
 * query objects, and a query's life (resolver.c) for the typed lookups
 * (resolver_lookup.c).  Nothing else includes it: everyone else sees
 * resolver.h and opaque objects.
 */
#ifndef SMARTHOSTD_RESOLVER_INT_H
#define SMARTHOSTD_RESOLVER_INT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <stdbool.h>

#include <event2/util.h>

#include <udns.h>

#include "resolver.h"

struct dane_tlsa_set;
struct event;
struct event_base;
struct hosts;

enum query_type { Q_ADDR, Q_MX, Q_TXT, Q_TLSA };

/* The halves of a query: A and AAAA for Q_ADDR, only the first for the
 * others. */
#define HALF_4	0
#define HALF_6	1

struct resolver_query {
	struct resolver		*dns;
	enum query_type		 type;
	resolver_addr_cb		 addr_cb;
	resolver_mx_cb		 mx_cb;
	resolver_txt_cb		 txt_cb;
	resolver_tlsa_cb	 tlsa_cb;
	void			*arg;
	char			*name;
	/* udns lookups still running (0-2) */
	int			 pending;
	bool			 cancelled;
	/* udns status of each half, DNS_E_* */
	int			 ustatus[2];
	/* a reply came for each half, and whether it carried AD */
	bool			 replied[2], ad[2];
	bool			 local;		/* hosts file or literal */
	struct sockaddr_storage	*addrs[2];
	int			 naddrs[2];
	struct resolver_mx		*mx;
	int			 nmx;
	struct resolver_txt	*txt;		/* each .txt malloc'd */
	int			 ntxt;
	struct dane_tlsa_set	*tlsa;
	/* runs the caller's callback from the event loop */
	struct event		*ev_done;
	TAILQ_ENTRY(resolver_query)	 entry;
};

struct resolver {
	struct event_base	*base;
	struct dns_ctx		*ctx;
	struct event		*ev_io;
	struct event		*ev_timer;
	bool			 trust_ad;	/* ask for and believe AD */
	TAILQ_HEAD(, resolver_query)	 queries;
	/* The hosts file, asked before DNS for A/AAAA (never for MX). */
	char			*hosts_path;
	struct hosts		*hosts;
	struct stat		 hosts_st;	/* of what hosts holds */
	bool			 hosts_read;	/* hosts_st is valid */
};

/* Addresses taken for one name from the hosts file. */
#define HOSTS_ADDRS	16

/* The status of udns's last operation on ctx, DNS_E_*. */
static inline int
udns_last_status(struct dns_ctx *ctx)
{
	return dns_status(ctx);
}

/* resolver.c: a query's life. */

/* A new query of d, in d's list; its callback is set by the caller. */
struct resolver_query *rq_new(struct resolver *, enum query_type,
	    const char *name, void *arg);
void	rq_free(struct resolver_query *);
/* A udns half has ended: once both have, answer from the event loop. */
void	rq_half_done(struct resolver_query *);
/* A DNS_E_* status as the resolver_status callers see. */
enum resolver_status rq_map_status(int);
/* The answer is DNSSEC-authenticated (see resolver.h), or local. */
bool	rq_secure(const struct resolver_query *);
/* The flags of every udns query: DO when the AD bit is to be believed. */
int	rq_flags(const struct resolver *);
/* Read the hosts file again if it changed. */
void	rq_hosts_refresh(struct resolver *);

/* resolver_lookup.c: the typed lookups. */

/* A finished query: its result to the caller's callback, from the loop. */
void	rq_done_cb(evutil_socket_t, short, void *);
void	rq_txt_free(struct resolver_txt *, int);

#endif
