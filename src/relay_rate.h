/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_rate.h — the outflow gate in front of the relayers: a delivery
 * over its relayer's (or next hop's) `rate` is parked, in order, and
 * started when the schedule allows; one timer per limited destination, none
 * per message.
 */
#ifndef SMARTHOSTD_RELAY_RATE_H
#define SMARTHOSTD_RELAY_RATE_H

struct config;
struct delivery;
struct event_base;

/*
 * May d start now?  Returns 1 when it may (no limit, or a slot was taken).
 * Otherwise returns 0: d is parked, and start(d) is called from the event
 * loop when its turn comes.  Waiting is not an attempt.
 */
int	rate_gate(struct event_base *, struct delivery *d,
	    void (*start)(struct delivery *));

/*
 * A reload is in force: each bucket takes its rate from cfg (the relayer by
 * name, the domain entry by next hop); a bucket whose rate changed starts a
 * new schedule at once, one no longer limited lets its deliveries go.
 */
void	rate_gate_reconfigure(struct config *cfg);

/* Shutdown: every parked delivery ends now as a transient failure that
 * was not attempted, so that the queue can go quiet. */
void	rate_gate_shutdown(void);

/* Parked deliveries in all (for tests and stats). */
int	rate_gate_parked(void);

#endif
