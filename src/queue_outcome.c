/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue_outcome.c — owns a recipient's outcome as the mail log shows it:
 * the one form of the delivered, deferred, bounced and expired lines
 * (doc/logging.md), every value escaped, and the deferred ones of an
 * attempt kept until its end knows the next attempt's time.  Part of the
 * queue (queue_int.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"
#include "log.h"
#include "queue_int.h"
#include "relay.h"
#include "util.h"

/* The event name a delivery result is logged under. */
const char *
outcome_event(enum dlv_result r)
{
	switch (r) {
	case DLV_OK:
		return "delivered";
	case DLV_PERMFAIL:
		return "bounced";
	default:
		return "deferred";
	}
}

void
outcome_clear(struct outcome *o)
{
	free(o->queue);
	free(o->relayer);
	free(o->remote);
	free(o->tls_info);
	free(o->status);
}

/* Append key=value pairs to line, every %s escaped (log_format()). */
static void __attribute__((format(printf, 3, 4)))
line_add(char *line, size_t size, const char *fmt, ...)
{
	size_t	n = strlen(line);
	va_list	ap;

	va_start(ap, fmt);
	log_vformat(line + n, size - n, fmt, ap);
	va_end(ap);
}

/*
 * The one form of delivered, deferred, bounced and expired lines: the
 * same fields in the same order, next= only for deferred (the time of
 * the next attempt, UTC).  tls_info is "<version>/<cipher>
 * verified=<yes|no>" or NULL; dane= only for a relayer with dane on,
 * mta_sts= only for one with mta_sts on.
 */
void
outcome_log(const char *event, const struct envelope *env,
    const struct outcome *o, time_t next)
{
	const char	*vf = NULL, *addr = env->rcpts[o->index].addr;
	const char	*dane = dlv_dane_to_text(o->dane);
	char		 tls[256] = "", nextbuf[64] = "";
	char		 line[3072];
	struct tm	 tm;

	if (o->tls_info != NULL &&
	    (vf = strstr(o->tls_info, " verified=")) != NULL)
		snprintf(tls, sizeof(tls), "%.*s", (int)(vf - o->tls_info),
		    o->tls_info);
	if (next > 0 && gmtime_r(&next, &tm) != NULL)
		strftime(nextbuf, sizeof(nextbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* Built in pieces, each escaped by log_format(): field names stay
	 * in the formats, every value goes through a %s. */
	line[0] = '\0';
	line_add(line, sizeof(line), "id=%s queue=%s from=<%s> to=<%s> "
	    "relayer=%s remote=%s", env->id, o->queue, env->sender, addr,
	    o->relayer, o->remote ? o->remote : "none");
	if (vf != NULL)
		line_add(line, sizeof(line), " tls=%s verified=%s", tls,
		    vf + strlen(" verified="));
	if (dane != NULL)
		line_add(line, sizeof(line), " dane=%s", dane);
	if (o->mta_sts != NULL)
		line_add(line, sizeof(line), " mta_sts=%s", o->mta_sts);
	line_add(line, sizeof(line), " status=\"%s\" delay=%lds attempt=%d",
	    o->status, o->delay, o->attempt);
	if (nextbuf[0] != '\0')
		line_add(line, sizeof(line), " next=%s", nextbuf);
	log_event_text(event, line);
}

void
outcome_defer(struct qmsg *m, const struct outcome *o)
{
	struct outcome	*c;

	if (m->deferred == NULL)
		m->deferred = xcalloc(m->env->n_rcpts, sizeof(*m->deferred));
	if (m->n_deferred >= m->env->n_rcpts)
		return;
	c = &m->deferred[m->n_deferred++];
	c->index = o->index;
	c->queue = xstrdup(o->queue);
	c->relayer = xstrdup(o->relayer);
	c->remote = o->remote ? xstrdup(o->remote) : NULL;
	c->tls_info = o->tls_info ? xstrdup(o->tls_info) : NULL;
	c->dane = o->dane;
	c->mta_sts = o->mta_sts;
	c->status = xstrdup(o->status);
	c->delay = o->delay;
	c->attempt = o->attempt;
}

/* The deferred lines of the attempt that just ended, with next=. */
void
outcome_log_deferred(struct qmsg *m, time_t next)
{
	for (int i = 0; i < m->n_deferred; i++) {
		outcome_log("deferred", m->env, &m->deferred[i], next);
		outcome_clear(&m->deferred[i]);
	}
	free(m->deferred);
	m->deferred = NULL;
	m->n_deferred = 0;
}
