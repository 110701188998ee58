/*
 * stats.c — owns the counters reported by `smarthostctl stats`.  Plain
 * process-wide integers: everything runs on the one event loop thread.
 */
#include <stdint.h>
#include <time.h>

#include "stats.h"

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
