/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_format.h — what the control commands print, text and JSON:
 * envelopes, queue listings, the per-queue table and named counters.  No
 * I/O and no globals: an evbuffer, the configuration (for routes) and
 * envelopes in, text out.  control.c uses it for its answers, and
 * `smarthost-sendmail -bp` for the listing it prints when the daemon is
 * down, so both read the same.
 */
#ifndef SMARTHOSTD_CONTROL_FORMAT_H
#define SMARTHOSTD_CONTROL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct envelope;
struct evbuffer;

/* Append s as a JSON string (quoted, escaped; invalid UTF-8 becomes
 * U+FFFD), or null when s is NULL. */
void	control_json_string(struct evbuffer *, const char *s);
/* Append s (NULL: nothing) with control characters as '?': text output
 * is one line per item, and nothing in it may forge another. */
void	control_text_clean(struct evbuffer *, const char *s);
/* "45s", "3m20s", "2h05m", "3d04h" (negative is 0). */
void	control_duration(char *buf, size_t size, long seconds);

/*
 * A queue listing ("queue"): begin, add each message, end (the totals
 * line, or "queue is empty").  Queue names come from routing the pending
 * recipients by cfg, which may hold no routes (then "-").
 */
struct control_listing {
	struct evbuffer		*out;
	const struct config	*cfg;
	bool			 json;
	int			 n;
	int			 rcpts;		/* pending */
	uint64_t		 bytes;
};

void	control_listing_begin(struct control_listing *, struct evbuffer *,
	    const struct config *, bool json);
/* busy: a delivery attempt is running for it. */
void	control_listing_add(struct control_listing *,
	    const struct envelope *, bool busy);
void	control_listing_end(struct control_listing *);

/* One message in detail ("show"), each pending recipient with its route. */
void	control_show(struct evbuffer *, const struct config *,
	    const struct envelope *, bool busy, bool json);

/* One row of "queues" (qshape). */
struct control_qstat {
	char	*name;
	int	 msgs, rcpts, held;
	time_t	 oldest, next;	/* next: 0 when every message is held */
	bool	 running;
};

/* The "queues" table for qs[0..n) as of time t, rows in the given order. */
void	control_queues(struct evbuffer *, const struct control_qstat *qs,
	    int n, time_t t, bool json);

/* Named counters of one kind ("listener", "relayer") for "stats". */
struct control_counters {
	char		*name;
	uint64_t	 v[5];
};

/* Append the counters keys[0..nkeys) of c[0..n): text lines
 * "what.NAME.key: v", or a JSON member ", \"whats\": {...}". */
void	control_counters(struct evbuffer *, bool json, const char *what,
	    const struct control_counters *c, int n,
	    const char *const *keys, int nkeys);

#endif
