/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue_int.h — the queue's objects and what its three files call of each
 * other: the scheduler, its messages, timers and attempts (queue.c); a
 * recipient's outcome as the mail log shows it (queue_outcome.c); the end
 * of a message's life, expiry, the final notice or delay warning handed
 * to queue_dsn.c, and removal (queue_final.c).  Nothing else includes
 * it: everyone else sees queue.h and an opaque struct queue.
 */
#ifndef SMARTHOSTD_QUEUE_INT_H
#define SMARTHOSTD_QUEUE_INT_H

#include <sys/queue.h>

#include <time.h>

#include "relay.h"

struct config;
struct envelope;
struct event;
struct event_base;
struct qindex;
struct receive;
struct spool;

struct qmsg {
	TAILQ_ENTRY(qmsg)	 entry;
	struct queue		*q;
	struct envelope		*env;
	struct event		*timer;
	int			 inflight;	/* deliveries not yet done */
	int			 busy;		/* attempt or finalize under way */
	time_t			 started;	/* this attempt */
	struct outcome		*deferred;	/* logged once next= is known */
	int			 n_deferred;
};

TAILQ_HEAD(qmsg_list, qmsg);

/* One recipient's outcome, as the mail log shows it (doc/logging.md). */
struct outcome {
	int		 index;		/* in env->rcpts */
	char		*queue, *relayer, *remote, *tls_info, *status;
	enum dlv_dane	 dane;
	const char	*mta_sts;	/* static text, or NULL */
	long		 delay;
	int		 attempt;
};

struct queue {
	struct event_base	*base;
	struct spool		*spool;
	struct receive		*receive;	/* for bounces */
	struct config		*cfg;
	struct qmsg_list	 msgs;		/* oldest first */
	struct qindex		*byid;		/* env->id -> qmsg */
	int			 n;
	int			 busy;		/* messages with work in flight */
	int			 quiescing;
};

/* queue.c: the scheduler. */
/* Arm the message's timer for when (0: now), when - from seconds away,
 * from being the clock reading when was worked out from (now() for a
 * time already known); held mail keeps its time. */
void	qmsg_schedule(struct qmsg *, time_t when, time_t from);
/* Try again retry_interval from now. */
void	qmsg_retry_later(struct qmsg *);
void	qmsg_set_busy(struct qmsg *, int busy);
/* Out of the queue and the index, freed (not the spool's files). */
void	qmsg_free(struct qmsg *);

/* queue_outcome.c: the delivered, deferred, bounced and expired lines. */
/* The event name a delivery result is logged under. */
const char *outcome_event(enum dlv_result);
/* Log one outcome as event; next: the next attempt, 0 for none. */
void	outcome_log(const char *event, const struct envelope *,
	    const struct outcome *, time_t next);
/* Keep a copy of a deferred outcome until the attempt's end sets next=. */
void	outcome_defer(struct qmsg *, const struct outcome *);
/* Log the kept ones with next= and forget them. */
void	outcome_log_deferred(struct qmsg *, time_t next);
/* Free a kept one's strings. */
void	outcome_clear(struct outcome *);

/* queue_final.c: the end of a message. */
/* Every pending recipient fails now as expired (max_age). */
void	qmsg_expire(struct qmsg *);
/* Every recipient is final: the notice if any, then removal. */
void	qmsg_finalize(struct qmsg *);
/* Queue a delay warning and mark the envelope warned; the caller's
 * spool_update() makes the mark durable. */
void	qmsg_warn(struct qmsg *);

#endif
