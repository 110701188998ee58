/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * stats.c — owns the counters reported by `smarthostctl stats`.  Plain
 * process-wide integers: everything runs on the one event loop thread.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "stats.h"
#include "util.h"

struct named {
	char		*name, *result;
	uint64_t	 value;
};

static struct named	*named[SF_MAX];
static int		 n_named[SF_MAX];

static const double bounds[STATS_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60
};

struct hist {
	uint64_t	 buckets[STATS_BUCKETS];	/* not cumulative */
	uint64_t	 count;
	double		 sum;
};
static struct hist	 hists[SH_MAX];

static uint64_t	 counters[STAT_MAX];
static time_t	 started;

static const char *const names[STAT_MAX] = {
	[STAT_RECEIVED] = "received",
	[STAT_DELIVERED] = "delivered",
	[STAT_DEFERRED] = "deferred",
	[STAT_BOUNCED] = "bounced",
	[STAT_EXPIRED] = "expired",
	[STAT_REMOVED] = "removed",
	[STAT_CONNECTIONS] = "connections_total",
	[STAT_RELOADS] = "reloads",
};

const char *const stats_results[STATS_RESULTS] = {
	"delivered", "deferred", "bounced", "expired"
};

void
stats_start(time_t t)
{
	started = t;
}

time_t
stats_started(void)
{
	return started;
}

void
stats_inc(enum stat_counter c)
{
	if ((unsigned)c < STAT_MAX)
		counters[c]++;
}

uint64_t
stats_get(enum stat_counter c)
{
	return (unsigned)c < STAT_MAX ? counters[c] : 0;
}

const char *
stats_name(enum stat_counter c)
{
	return (unsigned)c < STAT_MAX ? names[c] : "unknown";
}

void
stats_count(enum stat_family f, const char *name, const char *result)
{
	int i;

	if ((unsigned)f >= SF_MAX)
		return;
	if (name == NULL)
		name = "none";
	if (result == NULL)
		result = "";
	for (;;) {
		for (i = 0; i < n_named[f]; i++)
			if (strcmp(named[f][i].name, name) == 0 &&
			    strcmp(named[f][i].result, result) == 0) {
				named[f][i].value++;
				return;
			}
		if (n_named[f] < STATS_NAMES_MAX ||
		    strcmp(name, "other") == 0)
			break;
		name = "other";	/* full: fold new names into one */
	}
	if (n_named[f] % 16 == 0)
		named[f] = xreallocarray(named[f], n_named[f] + 16,
		    sizeof(*named[f]));
	named[f][n_named[f]].name = xstrdup(name);
	named[f][n_named[f]].result = xstrdup(result);
	named[f][n_named[f]].value = 1;
	n_named[f]++;
}

void
stats_received(const char *listener)
{
	stats_inc(STAT_RECEIVED);
	stats_count(SF_RECEIVED, listener, NULL);
}

void
stats_walk(enum stat_family f, void (*cb)(void *, const char *, const char *,
    uint64_t), void *arg)
{
	if ((unsigned)f >= SF_MAX)
		return;
	for (int i = 0; i < n_named[f]; i++)
		cb(arg, named[f][i].name, named[f][i].result,
		    named[f][i].value);
}

void
stats_observe(enum stat_hist h, double seconds)
{
	int i;

	if ((unsigned)h >= SH_MAX)
		return;
	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < STATS_BUCKETS; i++)
		if (seconds <= bounds[i]) {
			hists[h].buckets[i]++;
			break;
		}
	hists[h].count++;
	hists[h].sum += seconds;
}

const double *
stats_bounds(void)
{
	return bounds;
}

void
stats_hist(enum stat_hist h, uint64_t cum[STATS_BUCKETS], uint64_t *count,
    double *sum)
{
	uint64_t run = 0;

	memset(cum, 0, sizeof(uint64_t) * STATS_BUCKETS);
	*count = 0;
	*sum = 0;
	if ((unsigned)h >= SH_MAX)
		return;
	for (int i = 0; i < STATS_BUCKETS; i++) {
		run += hists[h].buckets[i];
		cum[i] = run;
	}
	*count = hists[h].count;
	*sum = hists[h].sum;
}

void
stats_clock(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

double
stats_elapsed(const struct timespec *since)
{
	struct timespec now_;

	clock_gettime(CLOCK_MONOTONIC, &now_);
	return (double)(now_.tv_sec - since->tv_sec) +
	    (double)(now_.tv_nsec - since->tv_nsec) / 1e9;
}
