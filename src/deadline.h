/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * deadline.h — the session's deadlines (issue #16): how long a client may
 * take for a command line, and for its message at a minimum data rate.
 *
 * A command line must be complete within `timeout` of the previous reply
 * (or of the greeting), however it dribbles in.  In DATA the deadline
 * starts `timeout` after the 354 and every octet received moves it later
 * by 1/min_data_rate of a second, but never further than `timeout` from
 * now: a client sending at least min_data_rate octets a second never
 * hits it, one that drips a byte a second does within about `timeout`.
 * deadline_extend() is the arithmetic (pure); the rest is one libevent
 * timer per session.
 */
#ifndef SMARTHOSTD_DEADLINE_H
#define SMARTHOSTD_DEADLINE_H

#include <sys/time.h>

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct deadline;

/*
 * The data-phase deadline after n more octets arrived at now: dl moved by
 * n / rate seconds, capped at now + timeout.  rate 0 means no minimum
 * rate: any octet gives a full timeout again (an idle timer).
 */
void	deadline_extend(struct timeval *dl, const struct timeval *now,
	    uint64_t n, uint64_t rate, long timeout);

/* A timer that calls cb(arg) once the deadline passes. */
struct deadline *deadline_new(struct event_base *, void (*cb)(void *),
	    void *arg);
void	deadline_free(struct deadline *);

/* A deadline timeout seconds from now (a command line, the start of DATA). */
void	deadline_start(struct deadline *, long timeout);

/* n octets of DATA arrived: extend as deadline_extend() says. */
void	deadline_data(struct deadline *, size_t n, uint64_t rate,
	    long timeout);

/* No deadline (waiting on us: the spool, an AUTH delay). */
void	deadline_stop(struct deadline *);

#endif
