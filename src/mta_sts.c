/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * mta_sts.c — owns the MTA-STS state of the process: one entry per
 * recipient domain seen (the policy held, its id and fetch time, the fetch
 * in flight and the queries waiting for it, the last failed fetch), at
 * most STS_ENTRIES of them, the least recently used idle one forgotten
 * first (its policy stays on disk).  The decision of RFC 8461 5.1 is
 * ms_decide(): which policy a TXT answer leaves us with, and whether to
 * fetch.
 */
#include <sys/queue.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "mta_sts.h"
#include "resolver.h"
#include "sts_cache.h"
#include "sts_fetch.h"
#include "util.h"

#define STS_ENTRIES	1000

struct ms_entry;

struct mta_sts_query {
	TAILQ_ENTRY(mta_sts_query) entry;	/* in ms_queries */
	TAILQ_ENTRY(mta_sts_query) wentry;	/* in e->waiting */
	struct event_base	*base;
	struct resolver		*dns;
	struct resolver_query	*q;
	struct ms_entry		*e;		/* waiting for its fetch */
	char			*domain;	/* lower-cased */
	char			*spool;
	const char		*ca_file, *ca_path;	/* in the delivery's
						   referenced cfg */
	mta_sts_cb		 cb;
	void			*arg;
};

struct ms_entry {
	TAILQ_ENTRY(ms_entry)	 entry;		/* in ms_entries, LRU first */
	char			*domain;
	char			*spool;
	bool			 have;		/* pol, id, fetched are set */
	struct sts_policy	 pol;
	char			 id[STS_ID_MAX + 1];
	time_t			 fetched;
	struct sts_fetch	*fetch;
	char			 fetch_id[STS_ID_MAX + 1];
	TAILQ_HEAD(, mta_sts_query) waiting;
	char			 failed_id[STS_ID_MAX + 1];
	time_t			 failed_at;
	bool			 answering;	/* its waiters' callbacks run */
};

static TAILQ_HEAD(, ms_entry) ms_entries = TAILQ_HEAD_INITIALIZER(ms_entries);
static TAILQ_HEAD(, mta_sts_query) ms_queries =
    TAILQ_HEAD_INITIALIZER(ms_queries);
static int	ms_n_entries;

static int
ms_port(void)
{
	static int	 port;
	const char	*s;
	char		*end;
	long		 v;

	if (port != 0)
		return port;
	port = 443;
	if ((s = getenv("SMARTHOSTD_MTA_STS_PORT")) != NULL && *s != '\0') {
		v = strtol(s, &end, 10);
		if (*end == '\0' && v > 0 && v < 65536) {
			port = (int)v;
			log_warnx("mta-sts: policies fetched from port %d "
			    "(SMARTHOSTD_MTA_STS_PORT, for tests only)", port);
		}
	}
	return port;
}

static bool
ms_valid(const struct ms_entry *e)
{
	return e->have && now() < e->fetched + e->pol.max_age;
}

static void
ms_entry_free(struct ms_entry *e)
{
	TAILQ_REMOVE(&ms_entries, e, entry);
	ms_n_entries--;
	if (e->fetch != NULL)
		sts_fetch_cancel(e->fetch);
	sts_policy_clear(&e->pol);
	free(e->domain);
	free(e->spool);
	free(e);
}

/* The domain's entry, read from disk when new; most recently used last. */
static struct ms_entry *
ms_entry_get(const char *domain, const char *spool)
{
	struct ms_entry	*e, *old;

	TAILQ_FOREACH(e, &ms_entries, entry)
		if (strcmp(e->domain, domain) == 0)
			break;
	if (e != NULL) {
		TAILQ_REMOVE(&ms_entries, e, entry);
		TAILQ_INSERT_TAIL(&ms_entries, e, entry);
		return e;
	}
	if (ms_n_entries >= STS_ENTRIES) {
		TAILQ_FOREACH(old, &ms_entries, entry)
			if (old->fetch == NULL && !old->answering &&
			    TAILQ_EMPTY(&old->waiting))
				break;
		if (old != NULL)
			ms_entry_free(old);
	}
	e = xcalloc(1, sizeof(*e));
	e->domain = xstrdup(domain);
	e->spool = xstrdup(spool);
	TAILQ_INIT(&e->waiting);
	if (sts_cache_load(spool, domain, &e->pol, e->id, &e->fetched) == 0)
		e->have = true;
	TAILQ_INSERT_TAIL(&ms_entries, e, entry);
	ms_n_entries++;
	return e;
}

/* Answer q with e's policy when still valid, else none; q is freed. */
static void
ms_answer(struct mta_sts_query *q, struct ms_entry *e)
{
	mta_sts_cb	 cb = q->cb;
	void		*arg = q->arg;
	struct sts_policy pol;
	bool		 have = e != NULL && ms_valid(e);

	/* A copy: the callback may start lookups that evict e. */
	if (have)
		sts_policy_copy(&pol, &e->pol);
	TAILQ_REMOVE(&ms_queries, q, entry);
	free(q->domain);
	free(q->spool);
	free(q);
	cb(arg, have ? &pol : NULL);
	if (have)
		sts_policy_clear(&pol);
}

static void
ms_fetch_cb(void *arg, const char *body, size_t len, const char *err)
{
	struct ms_entry		*e = arg;
	struct mta_sts_query	*q;
	struct sts_policy	 pol;
	char			 perr[256];

	e->fetch = NULL;
	if (body != NULL && sts_policy_parse(body, len, &pol, perr,
	    sizeof(perr)) == 0) {
		sts_policy_clear(&e->pol);
		e->pol = pol;
		strlcpy_(e->id, e->fetch_id, sizeof(e->id));
		e->fetched = now();
		e->have = true;
		e->failed_id[0] = '\0';
		log_info("mta-sts: %s: policy id %s fetched: mode %s, max_age "
		    "%ld, %d mx pattern(s)", e->domain, e->id,
		    sts_mode_to_text(pol.mode), pol.max_age, pol.n_mx);
		sts_cache_store(e->spool, e->domain, &e->pol, e->id,
		    e->fetched);
	} else {
		strlcpy_(e->failed_id, e->fetch_id, sizeof(e->failed_id));
		e->failed_at = now();
		if (ms_valid(e))
			log_warnx("mta-sts: %s: %s %s; the cached policy "
			    "(id %s) still applies", e->domain, body != NULL ?
			    "invalid policy:" : "policy fetch failed:",
			    body != NULL ? perr : err, e->id);
		else
			log_warnx("mta-sts: %s: %s %s; treated as no policy",
			    e->domain, body != NULL ? "invalid policy:" :
			    "policy fetch failed:", body != NULL ? perr : err);
	}
	e->answering = true;
	while ((q = TAILQ_FIRST(&e->waiting)) != NULL) {
		TAILQ_REMOVE(&e->waiting, q, wentry);
		q->e = NULL;
		ms_answer(q, e);
	}
	e->answering = false;
}

/* RFC 8461 5.1: the TXT answer decides between the policy held and a
 * fetch.  id is the record's, or NULL when there is none (absent,
 * invalid, or the lookup failed). */
static void
ms_decide(struct mta_sts_query *q, const char *id)
{
	struct ms_entry	*e = ms_entry_get(q->domain, q->spool);

	if (id == NULL || (ms_valid(e) && strcmp(e->id, id) == 0)) {
		/* No record: a policy still valid applies until it expires
		 * (removing the record is no way to turn it off). */
		ms_answer(q, e);
		return;
	}
	if (e->fetch == NULL) {
		if (strcmp(e->failed_id, id) == 0 &&
		    now() < e->failed_at + STS_RETRY_AFTER) {
			ms_answer(q, e);
			return;
		}
		strlcpy_(e->fetch_id, id, sizeof(e->fetch_id));
		e->fetch = sts_fetch_new(q->base, q->dns, e->domain, ms_port(),
		    q->ca_file, q->ca_path, ms_fetch_cb, e);
	}
	q->e = e;
	TAILQ_INSERT_TAIL(&e->waiting, q, wentry);
}

static void
ms_txt_cb(void *arg, enum resolver_status st, const struct resolver_txt *txt,
    int n)
{
	struct mta_sts_query	*q = arg;
	const char		**rs;
	int			*lens, i, r;
	char			 id[STS_ID_MAX + 1], err[256];

	q->q = NULL;
	if (st != RESOLVER_OK) {
		if (st == RESOLVER_TEMPFAIL)
			log_info("mta-sts: %s: temporary DNS failure looking "
			    "up _mta-sts", q->domain);
		ms_decide(q, NULL);
		return;
	}
	rs = xcalloc((size_t)n, sizeof(*rs));
	lens = xcalloc((size_t)n, sizeof(*lens));
	for (i = 0; i < n; i++) {
		rs[i] = txt[i].txt;
		lens[i] = txt[i].len;
	}
	r = sts_txt_parse(rs, lens, n, id, err, sizeof(err));
	free(rs);
	free(lens);
	if (r == -1)
		log_info("mta-sts: %s: _mta-sts %s", q->domain, err);
	ms_decide(q, r == 1 ? id : NULL);
}

struct mta_sts_query *
mta_sts_lookup(struct event_base *base, struct resolver *dns,
    const struct config *cfg, const struct relayer_conf *rc,
    const char *domain, mta_sts_cb cb, void *arg)
{
	struct mta_sts_query	*q;
	char			*name;

	q = xcalloc(1, sizeof(*q));
	q->base = base;
	q->dns = dns;
	q->domain = lowercase(xstrdup(domain));
	q->spool = xstrdup(cfg->spool);
	q->ca_file = rc->ca_file;
	q->ca_path = rc->ca_path;
	q->cb = cb;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&ms_queries, q, entry);
	name = xasprintf("_mta-sts.%s", q->domain);
	/* Answers from the loop, even a failure to start. */
	q->q = resolver_txt(dns, name, ms_txt_cb, q);
	free(name);
	return q;
}

void
mta_sts_cancel(struct mta_sts_query *q)
{
	if (q == NULL)
		return;
	if (q->q != NULL)
		resolver_cancel(q->q);
	if (q->e != NULL)
		TAILQ_REMOVE(&q->e->waiting, q, wentry);
	TAILQ_REMOVE(&ms_queries, q, entry);
	free(q->domain);
	free(q->spool);
	free(q);
}

void
mta_sts_exit(void)
{
	struct mta_sts_query	*q;
	struct ms_entry		*e;

	while ((q = TAILQ_FIRST(&ms_queries)) != NULL)
		mta_sts_cancel(q);
	while ((e = TAILQ_FIRST(&ms_entries)) != NULL)
		ms_entry_free(e);
	sts_cache_close();
}
