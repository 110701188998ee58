/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * deadline.c — owns a session's deadline timer and the arithmetic of the
 * minimum data rate (see deadline.h for the policy).
 */
#include <sys/time.h>

#include <stdlib.h>

#include <event2/event.h>

#include "deadline.h"
#include "log.h"
#include "util.h"

struct deadline {
	struct event_base	*base;
	struct event		*ev;
	struct timeval		 at;		/* absolute, base's clock */
	void			(*cb)(void *);
	void			*arg;
};

/*
 * floor(a * b / d) for a < d, exactly, without __int128 (32-bit targets
 * lack it): the 128-bit product from 32-bit halves, then binary long
 * division.  a < d keeps the quotient within 64 bits.
 */
static uint64_t
muldiv(uint64_t a, uint64_t b, uint64_t d)
{
	uint64_t	p0, p1, p2, p3, mid, hi, lo, q = 0;
	int		i, carry;

	if (a <= UINT64_MAX / b)
		return a * b / d;
	p0 = (a & 0xffffffffU) * (b & 0xffffffffU);
	p1 = (a & 0xffffffffU) * (b >> 32);
	p2 = (a >> 32) * (b & 0xffffffffU);
	p3 = (a >> 32) * (b >> 32);
	mid = (p0 >> 32) + (p1 & 0xffffffffU) + (p2 & 0xffffffffU);
	lo = (p0 & 0xffffffffU) | (mid << 32);
	hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
	for (i = 63; i >= 0; i--) {
		carry = (int)(hi >> 63);
		hi = (hi << 1) | ((lo >> i) & 1);
		q <<= 1;
		if (carry || hi >= d) {
			hi -= d;
			q |= 1;
		}
	}
	return q;
}

void
deadline_extend(struct timeval *dl, const struct timeval *now, uint64_t n,
    uint64_t rate, long timeout)
{
	struct timeval	cap, add;
	uint64_t	us;

	cap.tv_sec = now->tv_sec + (timeout > 0 ? timeout : 1);
	cap.tv_usec = now->tv_usec;
	if (rate == 0) {
		*dl = cap;
		return;
	}
	/* n / rate seconds in microseconds, without overflow: anything
	 * beyond the cap is the cap. */
	if (n / rate >= (uint64_t)(timeout > 0 ? timeout : 1)) {
		*dl = cap;
		return;
	}
	/* The remainder times 10^6 may not fit in 64 bits. */
	us = muldiv(n % rate, 1000000, rate) + (n / rate) * 1000000;
	add.tv_sec = (time_t)(us / 1000000);
	add.tv_usec = (suseconds_t)(us % 1000000);
	timeradd(dl, &add, dl);
	if (timercmp(dl, &cap, >))
		*dl = cap;
}

static void
deadline_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct deadline	*d = arg;

	d->cb(d->arg);
}

struct deadline *
deadline_new(struct event_base *base, void (*cb)(void *), void *arg)
{
	struct deadline	*d;

	d = xcalloc(1, sizeof(*d));
	d->base = base;
	d->cb = cb;
	d->arg = arg;
	if ((d->ev = evtimer_new(base, deadline_fire, d)) == NULL)
		fatalx("evtimer_new");
	return d;
}

void
deadline_free(struct deadline *d)
{
	if (d == NULL)
		return;
	event_free(d->ev);
	free(d);
}

static void
deadline_arm(struct deadline *d, const struct timeval *now)
{
	struct timeval	rel;

	if (timercmp(&d->at, now, >))
		timersub(&d->at, now, &rel);
	else
		rel.tv_sec = rel.tv_usec = 0;
	evtimer_add(d->ev, &rel);
}

void
deadline_start(struct deadline *d, long timeout)
{
	struct timeval	now;

	event_base_gettimeofday_cached(d->base, &now);
	d->at = now;
	d->at.tv_sec += timeout > 0 ? timeout : 1;
	deadline_arm(d, &now);
}

void
deadline_data(struct deadline *d, size_t n, uint64_t rate, long timeout)
{
	struct timeval	now;

	if (n == 0)
		return;
	event_base_gettimeofday_cached(d->base, &now);
	deadline_extend(&d->at, &now, n, rate, timeout);
	deadline_arm(d, &now);
}

void
deadline_stop(struct deadline *d)
{
	evtimer_del(d->ev);
}
