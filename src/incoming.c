/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming.c — owns the daemon's pickup: files dropped in the spool's
 * incoming/ become queued messages through receive.c.  Their format is
 * incoming_env.c's, the listing of the directory incoming_dir.c's, the
 * pickup of one file incoming_pickup.c's; here are the scans (inotify and
 * the rescan timer) and the turns of work.
 *
 * The pickup works one file at a time and a bounded amount per turn of the
 * event loop (files and octets), so a flood of injected mail, or one huge
 * message, never starves sessions and deliveries.  Commits overlap: while
 * one file waits for its commit, the next is copied.  incoming_env.h has
 * the format and the durability argument.
 */
#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "incoming.h"
#include "incoming_dir.h"
#include "incoming_int.h"
#include "log.h"
#include "queue.h"
#include "receive.h"
#include "smtp_parse.h"
#include "spool.h"
#include "util.h"

#define PICKUP_FILES_PER_TURN	16
#define PICKUP_BYTES_PER_TURN	(1024 * 1024)
#define PICKUP_RESCAN		5		/* seconds, inotify or not */

/* Is name being picked up already (copied, or waiting for its commit)? */
static bool
in_flight(void *arg, const char *name)
{
	struct incoming	*inc = arg;
	struct pickup	*p;

	if (inc->cur != NULL && strcmp(inc->cur->name, name) == 0)
		return true;
	TAILQ_FOREACH(p, &inc->committing, entry)
		if (strcmp(p->name, name) == 0)
			return true;
	return false;
}

static void
free_names(struct incoming *inc)
{
	strv_free(inc->names, inc->n_names);
	inc->names = NULL;
	inc->n_names = inc->next = 0;
}

/* Read incoming/ afresh: complete files in arrival order. */
static void
scan(struct incoming *inc)
{
	free_names(inc);
	incoming_dir_scan(inc->dir, in_flight, inc, &inc->names,
	    &inc->n_names);
}

/* One turn: a bounded number of files and octets, then yield. */
static void
work_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct incoming	*inc = arg;
	size_t		 budget = PICKUP_BYTES_PER_TURN;
	int		 files = PICKUP_FILES_PER_TURN, r;

	if (inc->dirty) {
		/* Without it a crash could bring a queued file back. */
		if (fsync(inc->dirfd) == -1)
			log_warn("incoming: fsync");
		inc->dirty = false;
	}
	while (budget > 0) {
		if (inc->cur == NULL) {
			if (inc->stalled || files == 0)
				break;
			if (inc->next == inc->n_names) {
				if (!inc->rescan)
					break;
				inc->rescan = false;
				scan(inc);
				if (inc->n_names == 0)
					break;
			}
			files--;
			inc->cur = pickup_start(inc, inc->names[inc->next++]);
			continue;
		}
		r = pickup_copy(inc, inc->cur, &budget);
		if (r == 1)
			pickup_commit(inc, inc->cur);
		else if (r == -1)
			pickup_free(inc->cur);
		if (r != 0)
			inc->cur = NULL;
	}
	if (inc->cur != NULL || (!inc->stalled &&
	    (inc->next < inc->n_names || inc->rescan)))
		incoming_work_schedule(inc);
}

/* Run work_cb soon, after pending I/O: a zero timeout, not event_active,
 * so that a long pickup yields to the rest of the loop. */
void
incoming_work_schedule(struct incoming *inc)
{
	struct timeval	tv = { 0, 0 };

	if (!evtimer_pending(inc->ev_work, NULL))
		evtimer_add(inc->ev_work, &tv);
}

static void
rescan_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct incoming	*inc = arg;

	inc->stalled = false;
	inc->rescan = true;
	incoming_work_schedule(inc);
}

static void
inotify_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct incoming	*inc = arg;
	char		 buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t		 n;

	/* What changed does not matter: a scan finds it. */
	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	    (n == -1 && errno == EINTR))
		;
	inc->rescan = true;
	incoming_work_schedule(inc);
}

struct incoming *
incoming_new(struct event_base *base, struct spool *sp, struct queue *q,
    struct receive *rc)
{
	struct incoming	*inc;
	struct timeval	 tv = { PICKUP_RESCAN, 0 };
	char		*path;

	inc = xcalloc(1, sizeof(*inc));
	inc->base = base;
	inc->spool = sp;
	inc->queue = q;
	inc->receive = rc;
	inc->dirfd = spool_incoming_fd(sp);
	inc->dir = incoming_dir_new(inc->dirfd, spool_dir(sp));
	inc->ifd = -1;
	TAILQ_INIT(&inc->committing);

	inc->ev_work = evtimer_new(base, work_cb, inc);
	inc->ev_rescan = event_new(base, -1, EV_PERSIST, rescan_cb, inc);
	if (inc->ev_work == NULL || inc->ev_rescan == NULL)
		fatalx("incoming: event_new failed");
	evtimer_add(inc->ev_rescan, &tv);

	/* Prompt pickup; without it (no inotify) the rescan timer does. */
	path = xasprintf("%s/incoming", spool_dir(sp));
	if ((inc->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(inc->ifd, path, IN_MOVED_TO | IN_CLOSE_WRITE) ==
	    -1) {
		log_warn("incoming: inotify on %s; picking up every %d s "
		    "instead", path, PICKUP_RESCAN);
		if (inc->ifd != -1)
			close(inc->ifd);
		inc->ifd = -1;
	} else {
		inc->ev_inotify = event_new(base, inc->ifd, EV_READ |
		    EV_PERSIST, inotify_cb, inc);
		if (inc->ev_inotify == NULL)
			fatalx("incoming: event_new failed");
		event_add(inc->ev_inotify, NULL);
	}
	free(path);

	inc->rescan = true;
	incoming_work_schedule(inc);
	return inc;
}

void
incoming_free(struct incoming *inc)
{
	struct pickup	*p;

	if (inc == NULL)
		return;
	if (inc->cur != NULL)
		pickup_free(inc->cur);
	/* Their commits go on without us (or are abandoned by
	 * spool_free()); a file whose commit did not end here is picked up
	 * again at the next start. */
	while ((p = TAILQ_FIRST(&inc->committing)) != NULL) {
		TAILQ_REMOVE(&inc->committing, p, entry);
		pickup_free(p);
	}
	if (inc->dirty && fsync(inc->dirfd) == -1)
		log_warn("incoming: fsync");
	if (inc->ev_inotify != NULL)
		event_free(inc->ev_inotify);
	if (inc->ifd != -1)
		close(inc->ifd);
	event_free(inc->ev_work);
	event_free(inc->ev_rescan);
	free_names(inc);
	incoming_dir_free(inc->dir);
	free(inc);
}
