/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue_final.c — owns the end of a queued message's life: expiry at
 * max_age, and once every recipient has a final outcome the one notice
 * (bounce, DSN success notice) built by queue_dsn.c and queued through
 * receive.c, then the removal from the spool, which waits for that
 * notice to be durably queued: a crash in between may send the notice
 * twice, never lose it.  Also the delay warning (delay_warning), marked
 * in the envelope so that a restart does not send it again.  Part of the
 * queue (queue_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "envelope.h"
#include "log.h"
#include "queue_dsn.h"
#include "queue_int.h"
#include "route.h"
#include "spool.h"
#include "stats.h"
#include "util.h"

/* Every pending recipient fails now as expired (max_age). */
void
qmsg_expire(struct qmsg *m)
{
	struct envelope	*env = m->env;
	struct route	 rt;
	struct outcome	 o;

	for (int i = 0; i < env->n_rcpts; i++) {
		struct env_rcpt	*er = &env->rcpts[i];
		char		*st;

		if (er->state != RCPT_PENDING)
			continue;
		st = xasprintf("4.4.7 message expired after %lds in queue%s%s",
		    (long)(now() - env->created), env->last_error ? ": " : "",
		    env->last_error ? env->last_error : "");
		free(er->status);
		er->status = st;
		er->state = RCPT_FAILED;
		stats_inc(STAT_EXPIRED);
		/* The route it would take now: where it kept failing. */
		if (route_resolve(m->q->cfg, env->listener, env->sender,
		    er->addr, &rt) == -1) {
			rt.relayer = NULL;
			strlcpy_(rt.queue, "none", sizeof(rt.queue));
		}
		stats_count(SF_DELIVERIES, rt.relayer != NULL ?
		    rt.relayer->name : "none", "expired");
		memset(&o, 0, sizeof(o));
		o.index = i;
		o.queue = rt.queue;
		o.relayer = rt.relayer != NULL ? (char *)rt.relayer->name :
		    "none";
		o.remote = er->remote;
		o.status = st;
		o.delay = (long)(now() - env->created);
		o.attempt = env->attempts;	/* the last one made */
		outcome_log("expired", env, &o, 0);
	}
}

/* The bounce is queued (receive.c logged it and gave it to us) or not. */
static void
bounce_committed(void *arg, int ok, const char *id)
{
	struct qmsg	*m = arg;
	struct queue	*q = m->q;

	if (!ok) {
		/* The original stays, with its final states; try again. */
		log_warnx("id=%s: cannot queue the bounce; will retry",
		    m->env->id);
		qmsg_set_busy(m, 0);
		qmsg_retry_later(m);
		return;
	}
	if (spool_remove_later(q->spool, m->env) == -1)
		log_warnx("id=%s: cannot remove from spool", m->env->id);
	qmsg_set_busy(m, 0);
	qmsg_free(m);
}

/* Queue the final DSN (failed recipients, and delivered ones that asked
 * for NOTIFY=SUCCESS); 0 when one is on its way. */
static int
qmsg_bounce(struct qmsg *m)
{
	struct queue	*q = m->q;

	return queue_dsn(q->receive, q->spool, q->cfg, m->env,
	    QUEUE_DSN_FINAL, bounce_committed, m);
}

/* A delay warning is queued, or could not be. */
static void
warn_committed(void *arg, int ok, const char *id)
{
	char	*orig = arg;

	if (!ok)
		log_warnx("id=%s: cannot queue the delay warning", orig);
	else
		log_info("id=%s: delay warning queued as %s", orig, id);
	free(orig);
}

/*
 * Queue an RFC 3464 "Action: delayed" notice for the pending recipients
 * (delay_warning) and mark the envelope warned; the caller's
 * spool_update() makes the mark durable, so a restart does not send it
 * again.  A crash between the two may, at worst, send it twice.
 */
void
qmsg_warn(struct qmsg *m)
{
	struct queue	*q = m->q;
	char		*orig = xstrdup(m->env->id);

	/* On -1 warn_committed(), which owns orig otherwise, is not called. */
	if (queue_dsn(q->receive, q->spool, q->cfg, m->env, QUEUE_DSN_DELAYED,
	    warn_committed, orig) == -1) {
		free(orig);
		return;
	}
	m->env->warned = true;
}

/* Every recipient has a final outcome: bounce (or report success) if
 * needed, then remove. */
void
qmsg_finalize(struct qmsg *m)
{
	struct queue	*q = m->q;
	struct envelope	*env = m->env;
	int		 failed = 0, notice;

	for (int i = 0; i < env->n_rcpts; i++)
		if (env->rcpts[i].state == RCPT_FAILED)
			failed++;
	notice = queue_dsn_count(q->cfg, env, QUEUE_DSN_FINAL);

	qmsg_set_busy(m, 1);
	if (failed > 0 && notice == 0 && env->sender[0] != '\0' &&
	    q->cfg->bounces)
		log_info("id=%s: no bounce: NOTIFY asked for none", env->id);
	if (notice > 0 && env->sender[0] != '\0') {
		if (qmsg_bounce(m) == 0)
			return;		/* bounce_committed() goes on */
		/* Keep the final states on disk and try again later. */
		if (spool_update(q->spool, env) == -1)
			log_warnx("id=%s: cannot record delivery state",
			    env->id);
		qmsg_set_busy(m, 0);
		qmsg_retry_later(m);
		return;
	}
	if (failed > 0 && env->sender[0] == '\0')
		log_info("id=%s: no bounce for a null sender", env->id);
	if (spool_remove_later(q->spool, env) == -1)
		log_warnx("id=%s: cannot remove from spool", env->id);
	else
		log_debug("id=%s: removed from spool", env->id);
	qmsg_set_busy(m, 0);
	qmsg_free(m);
}
