/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * stats.h — the daemon's counters since start, for `smarthostctl stats`.
 *
 * One process, one event loop: the counters are plain integers owned by
 * stats.c, bumped with one stats_inc() call where the event is logged.
 * Message events (delivered, deferred, bounced, expired) count recipients,
 * as the log lines do; received counts accepted messages.
 */
#ifndef SMARTHOSTD_STATS_H
#define SMARTHOSTD_STATS_H

#include <stdint.h>
#include <time.h>

enum stat_counter {
	STAT_RECEIVED,		/* messages accepted (250 after DATA) */
	STAT_DELIVERED,		/* recipients delivered */
	STAT_DEFERRED,		/* recipients deferred (one per attempt) */
	STAT_BOUNCED,		/* recipients failed permanently */
	STAT_EXPIRED,		/* recipients failed at max_age */
	STAT_REMOVED,		/* messages removed by smarthostctl */
	STAT_CONNECTIONS,	/* SMTP sessions started */
	STAT_RELOADS,		/* successful reloads */
	STAT_MAX
};

/* Note the start time (uptime counts from here). */
void		 stats_start(time_t);
time_t		 stats_started(void);

void		 stats_inc(enum stat_counter);
uint64_t	 stats_get(enum stat_counter);
/* The counter's name in `smarthostctl stats` and its JSON ("received"). */
const char	*stats_name(enum stat_counter);

/*
 * Counters by name, for metrics and `stats` per listener and relayer.
 * Names come from the configuration, so they are few; past STATS_NAMES_MAX
 * distinct pairs in a family, new ones are counted as "other", which keeps
 * memory and the metrics page bounded whatever reloads bring.
 */
#define STATS_NAMES_MAX	256

enum stat_family {
	SF_RECEIVED,		/* messages accepted, by listener */
	SF_DELIVERIES,		/* recipients, by relayer and result */
	SF_MAX
};

/* The results an SF_DELIVERIES series counts, in the order that metrics
 * and `smarthostctl stats` show them. */
#define STATS_RESULTS	4
extern const char *const stats_results[STATS_RESULTS];

void		 stats_count(enum stat_family, const char *name,
		    const char *result);
/* A message accepted on a listener: STAT_RECEIVED and SF_RECEIVED. */
void		 stats_received(const char *listener);
/* Call cb for every (name, result, value) of a family, oldest first. */
void		 stats_walk(enum stat_family, void (*cb)(void *arg,
		    const char *name, const char *result, uint64_t value),
		    void *arg);

/* Time histograms, in seconds, with fixed bucket bounds. */
enum stat_hist {
	SH_DELIVERY,		/* one delivery attempt, start to outcome */
	SH_COMMIT,		/* spool_commit() to its callback */
	SH_MAX
};
#define STATS_BUCKETS	12

void		 stats_observe(enum stat_hist, double seconds);
/* The upper bounds (le) of the buckets, STATS_BUCKETS of them. */
const double	*stats_bounds(void);
/* Cumulative counts per bucket (as Prometheus wants), the total count and
 * the sum of all observations. */
void		 stats_hist(enum stat_hist, uint64_t cumulative[STATS_BUCKETS],
		    uint64_t *count, double *sum);

/* Seconds between two CLOCK_MONOTONIC readings. */
double		 stats_elapsed(const struct timespec *since);
void		 stats_clock(struct timespec *);

#endif
