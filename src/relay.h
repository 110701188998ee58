/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay.h — the relayer interface.  One implementation per relayer type:
 * relay_smtp.c (static smarthost, pooled), relay_mx.c (MX delivery),
 * relay_maildir.c, relay_maildrop.c.
 *
 * The queue hands a relayer one delivery: one message, the subset of its
 * pending recipients that route to this relayer and next hop.  The relayer
 * fills in a result for every recipient and calls d->done exactly once,
 * always later from the event loop, never from inside relay_deliver().
 */
#ifndef SMARTHOSTD_RELAY_H
#define SMARTHOSTD_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dsn.h"

struct config;
struct relayer_conf;
struct domain_conf;
struct envelope;
struct event_base;
struct resolver;

enum dlv_result { DLV_PENDING = 0, DLV_OK, DLV_TEMPFAIL, DLV_PERMFAIL };

/* DANE's part in a delivery, for the log's dane= (none when the relayer
 * has dane = off): the peer authenticated by a TLSA record; DANE did not
 * apply; or it applied and the delivery could not be made so. */
enum dlv_dane { DLV_DANE_OFF = 0, DLV_DANE_NONE, DLV_DANE_VERIFIED,
		DLV_DANE_FAILED };

struct delivery_rcpt {
	const char	*addr;		/* points into the envelope */
	int		 index;		/* index in env->rcpts */
	enum dlv_result	 result;
	char		*status;	/* malloc'd: the reply ("550 5.1.1 No
					   such user") or a reason in the same
					   form ("451 4.4.1 connection refused") */
	bool		 local;		/* our own decision, not the remote
					   host's reply: no Remote-MTA */
	char		*queue_name;	/* malloc'd by the queue: this
					   recipient's "domain[!nexthop]" */
	enum dsn_done	 dsn;		/* set with DLV_OK by a relayer that
					   hands on to a next hop: relayed,
					   or passed (it offered DSN) */
};

struct delivery {
	struct config		*cfg;		/* referenced for the attempt */
	const struct relayer_conf *relayer;	/* inside cfg */
	const struct domain_conf *dom;		/* next hop's entry, or NULL */
	const char		*nexthop;	/* next-hop domain */
	const char		*queue_name;	/* "domain" or "domain!nexthop" */
	const struct envelope	*env;		/* read-only to the relayer */
	char			*msg_path;	/* the stored message (CRLF) */
	uint64_t		 size;
	struct delivery_rcpt	*rcpts;
	int			 n_rcpts;
	char			*remote;	/* set by the relayer: the host
						   and address used, for logs
						   and bounces ("mx1[192.0.2.1]:25") */
	char			*tls_info;	/* set by the relayer, or NULL */
	enum dlv_dane		 dane;		/* set by the relayer */
	const char		*mta_sts;	/* set by the mx relayer with
						   mta_sts on: the policy's
						   mode, "enforce", "testing"
						   or "none"; else NULL */
	void			(*done)(struct delivery *);
	void			*arg;
	struct timespec		 started;	/* for the duration metric */
};

/* Set up the relayers' shared services; call once at start. */
void	relay_init(struct event_base *, struct resolver *);

/* Hand over a delivery (see above). */
void	relay_deliver(struct delivery *);

/*
 * A new configuration is in force.  An instance whose relayer is the same
 * in it (relayer_conf_same()) is adopted by it and keeps its connections;
 * the others finish what they hold, close their pooled connections and are
 * freed.
 */
void	relay_reconfigure(struct config *);

/* True when a and b (from two configurations) configure the same relayer
 * in every setting, so its connections may serve both. */
bool	relayer_conf_same(const struct config *, const struct relayer_conf *a,
	    const struct config *, const struct relayer_conf *b);

/* Close every idle pooled connection (at shutdown). */
void	relay_shutdown(void);

/* After relay_shutdown(): has every connection closed (QUIT answered or
 * given up), so that the loop may end without cutting one short? */
bool	relay_quiet(void);

/*
 * The event loop has ended (daemon exit, before queue_free()): end at once
 * whatever is still in flight (commands, MX lookups, connections still
 * saying QUIT, deliveries waiting for a done callback), each delivery
 * deferred and its d->done called directly, and free every relayer's
 * memory.  Nothing is left for LeakSanitizer to find.
 */
void	relay_exit(void);

/* "verified", "none", "failed", or NULL for DLV_DANE_OFF. */
const char *dlv_dane_to_text(enum dlv_dane);

/* A recipient's verdict: result, and a copy of status in place of the
 * one it had. */
void	delivery_rcpt_set(struct delivery_rcpt *, enum dlv_result,
	    const char *status);

/* Set every still-pending recipient of d to result/status (helper for
 * relayers that fail a whole delivery). */
void	delivery_fail_all(struct delivery *, enum dlv_result, const char *status);

/* Call d->done from the event loop soon (never from inside this call):
 * how a relayer ends a delivery. */
void	delivery_done_later(struct delivery *);

/* Interface each relayer type implements; relay.c picks one by type. */
struct relay_ops {
	/* Create the instance state for one relayer of one configuration. */
	void	*(*create)(struct event_base *, struct resolver *, struct config *,
		    const struct relayer_conf *);
	void	 (*deliver)(void *state, struct delivery *);
	/* Stop taking work; free state once in-flight work is done. */
	void	 (*retire)(void *state);
	/* A reload left this relayer's settings unchanged: go on under the
	 * new configuration, pooled connections kept.  NULL: retire and
	 * create anew. */
	void	 (*adopt)(void *state, struct config *,
		    const struct relayer_conf *);
	/* For the whole type, after the loop has ended and every instance
	 * has retired: end what retired instances still hold, calling
	 * d->done directly, and free them.  NULL: nothing outlives
	 * retire. */
	void	 (*exit)(void);
};

extern const struct relay_ops relay_smtp_ops;
extern const struct relay_ops relay_maildir_ops;
extern const struct relay_ops relay_mx_ops;		/* issue 3 */
extern const struct relay_ops relay_maildrop_ops;	/* issue 5 */

#endif
