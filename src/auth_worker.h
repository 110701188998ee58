/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth_worker.h — password checks off the event loop.  crypt(3) with a
 * modern hash costs tens of milliseconds by design; run on the loop it
 * would stall every other session.  One worker thread checks the queued
 * attempts in order; the answer comes back to the loop through a pipe.
 */
#ifndef SMARTHOSTD_AUTH_WORKER_H
#define SMARTHOSTD_AUTH_WORKER_H

#include <event2/event.h>

struct auth_users;
struct auth_worker;
struct auth_job;

/* Called on the loop with ok = 1 (the password matched) or 0. */
typedef void (*auth_done_fn)(void *arg, int ok);

#define AUTH_WORKER_QUEUE_MAX	64	/* attempts waiting at most */

struct auth_worker	*auth_worker_new(struct event_base *);
/* Stops the thread; callbacks of unfinished checks are never called. */
void			 auth_worker_free(struct auth_worker *);

/*
 * Check user and pass against u (a reference is taken); done(arg, ok) runs
 * on the loop later, never from inside this call.  NULL when too many
 * checks wait already: the caller answers "try later".
 */
struct auth_job	*auth_worker_check(struct auth_worker *, struct auth_users *,
		    const char *user, const char *pass, auth_done_fn,
		    void *arg);
/* The caller went away: done is not called for this job. */
void		 auth_worker_cancel(struct auth_job *);

#endif
