/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_unlink.c — owns the removal of delivered messages' files off the
 * event loop (spool_remove_later() in spool.h): one thread that unlinks,
 * in the order they were handed over, the files of the queue ids on its
 * list.  unlinkat(2) of a .q on ext4 frees its blocks before it returns
 * (14 % of the daemon's kernel time in the bench of 2026-12-07), and the
 * loop need not wait for it: nothing waits for a removal to be durable
 * (spool_remove() in spool.c never fsyncs the directory either).
 *
 * Crash reasoning: a message is gone from the queue in memory when it is
 * handed over; until the thread has unlinked its .q, that file is a whole
 * message on disk, so a crash in between delivers it again at the next
 * start (at-least-once, as a crash before a synchronous unlink reaching
 * the disk always did) and loses nothing.  Its id is never reused
 * meanwhile: spool_new_id() only grows, and at start it begins above
 * every id on disk, the leftover one included.  A clean stop
 * (spool_free()) waits until the list is empty.
 *
 * The thread touches nothing but its list (under its mutex), the queue/
 * descriptor (read-only) and the log; it blocks every signal and starts
 * at the first removal, after daemon() forked.  Without it (it could not
 * start, or the list is full) removal is done at once on the caller's
 * thread, as before.
 */
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"
#include "util.h"

/* Ids waiting at most; beyond, removal is synchronous (a stuck disk must
 * not grow memory without bound). */
#define UNLINK_PENDING_MAX	65536

struct spool_unlinker {
	struct spool	*sp;
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;
	pthread_t	 thread;
	bool		 running;	/* the thread was started */
	bool		 failed;	/* it could not be: synchronous */
	bool		 stop;
	char		(*ids)[QUEUE_ID_MAX + 1];
	size_t		 n, cap;
	unsigned long	 done;		/* ids removed by the thread */
};

static void *
unlinker_main(void *arg)
{
	struct spool_unlinker	*u = arg;
	char			(*batch)[QUEUE_ID_MAX + 1];
	size_t			 n;

	pthread_mutex_lock(&u->mu);
	for (;;) {
		while (!u->stop && u->n == 0)
			pthread_cond_wait(&u->work, &u->mu);
		if (u->n == 0)
			break;		/* stop, and nothing left */
		/* Take the whole list: the loop appends to a new one. */
		batch = u->ids;
		n = u->n;
		u->ids = NULL;
		u->n = u->cap = 0;
		pthread_mutex_unlock(&u->mu);
		for (size_t i = 0; i < n; i++)
			if (spool_remove_names(u->sp, batch[i], true) == -1 &&
			    errno == ENOENT)
				log_warnx("spool: queue/%s.q: already gone",
				    batch[i]);
		free(batch);
		pthread_mutex_lock(&u->mu);
		u->done += n;
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

static void
unlinker_start(struct spool_unlinker *u)
{
	sigset_t	all, old;

	/* Signals are the event loop's: the thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&u->thread, NULL, unlinker_main, u) == 0)
		u->running = true;
	else {
		u->failed = true;
		log_warnx("spool: no unlink thread; removing on the loop");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct spool_unlinker *
spool_unlinker_new(struct spool *sp)
{
	struct spool_unlinker	*u = xcalloc(1, sizeof(*u));

	u->sp = sp;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->work, NULL);
	return u;
}

void
spool_unlinker_free(struct spool_unlinker *u)
{
	if (u == NULL)
		return;
	if (u->running) {
		/* The thread empties the list before it ends. */
		pthread_mutex_lock(&u->mu);
		u->stop = true;
		pthread_cond_signal(&u->work);
		pthread_mutex_unlock(&u->mu);
		pthread_join(u->thread, NULL);
	}
	pthread_cond_destroy(&u->work);
	pthread_mutex_destroy(&u->mu);
	free(u->ids);
	free(u);
}

/* Hand id over to the thread; false when it must be removed here. */
bool
spool_unlinker_add(struct spool_unlinker *u, const char *id)
{
	bool	queued = false;

	if (!u->running && !u->failed)
		unlinker_start(u);
	if (!u->running)
		return false;
	pthread_mutex_lock(&u->mu);
	if (u->n < UNLINK_PENDING_MAX) {
		if (u->n == u->cap) {
			u->cap = u->cap == 0 ? 64 : u->cap * 2;
			u->ids = xreallocarray(u->ids, u->cap,
			    sizeof(*u->ids));
		}
		strlcpy_(u->ids[u->n++], id, sizeof(u->ids[0]));
		queued = true;
		pthread_cond_signal(&u->work);
	}
	pthread_mutex_unlock(&u->mu);
	return queued;
}
