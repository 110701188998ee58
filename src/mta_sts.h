/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * mta_sts.h — the MTA-STS policy of a recipient domain (RFC 8461), for
 * the mx relayer's mta_sts = true: the _mta-sts TXT record, the policy
 * fetched over HTTPS (sts_fetch.h) when its id is new or the one held has
 * expired, kept in memory and on disk (sts_cache.h) for its max_age.  A
 * policy still valid is used when the TXT record is gone or the fetch
 * fails (5.1); a failed fetch is not tried again for the same id for
 * STS_RETRY_AFTER seconds.
 *
 * The port is 443.  For tests only, the environment variable
 * SMARTHOSTD_MTA_STS_PORT (read at the first fetch) names another.
 */
#ifndef SMARTHOSTD_MTA_STS_H
#define SMARTHOSTD_MTA_STS_H

#include "sts_policy.h"

struct config;
struct event_base;
struct relayer_conf;
struct resolver;
struct mta_sts_query;

#define STS_RETRY_AFTER	300

/* p is the policy to apply, valid during the call only, or NULL when the
 * domain has none (or none could be had). */
typedef void (*mta_sts_cb)(void *arg, const struct sts_policy *p);

/*
 * Find domain's policy for a delivery through relayer rc of cfg (its
 * ca_file/ca_path verify the policy server; cfg's spool holds the cache).
 * The callback runs once, from the event loop, never inside this call,
 * unless the query is cancelled first.
 */
struct mta_sts_query *mta_sts_lookup(struct event_base *, struct resolver *,
		    const struct config *, const struct relayer_conf *,
		    const char *domain, mta_sts_cb, void *arg);

/* Forget a query whose callback has not run; it never will. */
void		 mta_sts_cancel(struct mta_sts_query *);

/* At exit, after every query was answered or cancelled: stop the fetches
 * and free what is held. */
void		 mta_sts_exit(void);

#endif
