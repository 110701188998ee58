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

#endif
