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
 * Files used again.  Creating a file costs the loop an inode allocation,
 * and on ext4 without a journal that allocation skips, one by one, every
 * inode freed in the last minutes (recently_deleted() in the kernel): at
 * 700 messages a second 18.7 % of the daemon's CPU went into openat(2)
 * of new bodies (perf, W3 of contrib/bench, 2026-12-07).  So while it
 * holds fewer than RECYCLE_MAX, the thread does not unlink a delivered
 * .q: it renames it to tmp/r.<n> and keeps its descriptor for
 * spool_tmp_create(), which hands it to the next body (or copy) instead
 * of creating one.  The next message is written over the old one from
 * its start and the file cut to the new size at commit (spool_tmp_fit()),
 * so that its blocks are neither freed nor allocated again (ftruncate to
 * nothing was 7 % of the daemon's CPU under W1); a file over
 * RECYCLE_KEEP_BYTES is emptied here instead.  Crash reasoning: tmp/ is
 * emptied at start, so a kept file is garbage to a crash like any other
 * tmp/ name; a message's data only ever reaches a kept file after the
 * message was delivered and handed over here, and only once the file is
 * out of queue/; the new message's .q is named only after its fdatasync
 * (size included), and the directory fsync of queue/ that makes its name
 * durable writes the old name's removal with it (same directory).  A
 * file system that writes nothing in order (ext4 without a journal)
 * may, after a crash before that fsync, still show the old name: an
 * empty .q (removed at start: spool_recover.c), one whose id inside is
 * not its name (moved to corrupt/), or the old message again, as when
 * an unlinked name survives a crash and its blocks were reused (fsck's
 * domain, as before).
 *
 * The thread touches nothing but its lists (under its mutex), the queue/
 * and tmp/ descriptors and the log; it blocks every signal and starts
 * at the first removal, after daemon() forked.  Without it (it could not
 * start, or the list is full) removal is done at once on the caller's
 * thread, as before, and new files are created.
 */
#include <sys/types.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"
#include "util.h"

/* Ids waiting at most; beyond, removal is synchronous (a stuck disk must
 * not grow memory without bound). */
#define UNLINK_PENDING_MAX	65536

/* Delivered files kept for new messages, at most (each an open
 * descriptor): more than the bodies a busy relay creates between two
 * removals. */
#define RECYCLE_MAX		32

/* A kept file holds its old message until the next one is written over
 * it (spool_tmp_create()); one larger than this is emptied, so that the
 * kept files never hold more than 32 MiB of the disk. */
#define RECYCLE_KEEP_BYTES	(1024 * 1024)

struct kept {
	int		 fd;
	char		 name[NAME_MAX_];	/* in tmp/ */
	uint64_t	 stale;		/* octets of the old message in it */
};

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
	struct kept	 kept[RECYCLE_MAX];	/* files in tmp/ to reuse */
	size_t		 nkept;
	unsigned long	 serial;	/* names them: tmp/r.<serial> */
};

/*
 * Remove id's files, or, while fewer than RECYCLE_MAX are kept, rename its
 * .q to tmp/r.<n> and keep it (emptied if over RECYCLE_KEEP_BYTES).  Called with the mutex
 * unlocked; nkept only grows here, so room seen stays room.
 */
static void
remove_or_keep(struct spool_unlinker *u, const char *id)
{
	struct spool	*sp = u->sp;
	struct kept	 k;
	struct stat	 st;
	bool		 room;

	pthread_mutex_lock(&u->mu);
	room = u->nkept < RECYCLE_MAX;
	pthread_mutex_unlock(&u->mu);
	if (room)
		snprintf(k.name, sizeof(k.name), "r.%lu", u->serial++);
	if (spool_remove_names(sp, id, true, room ? k.name : NULL) == -1) {
		if (errno == ENOENT)
			log_warnx("spool: queue/%s.q: already gone", id);
		return;
	}
	if (!room)
		return;
	/* Only a file of ours with no other name is used again (O_NONBLOCK:
	 * not even a FIFO put there could hold this thread in open). */
	k.fd = openat(sp->tmpfd, k.name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK);
	if (k.fd == -1) {
		if (errno != ENOENT)	/* no .q was there (an .env was) */
			log_warn("spool: open tmp/%s", k.name);
		(void)unlinkat(sp->tmpfd, k.name, 0);
		return;
	}
	if (fstat(k.fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 ||
	    (st.st_size > RECYCLE_KEEP_BYTES && ftruncate(k.fd, 0) == -1)) {
		close(k.fd);
		if (unlinkat(sp->tmpfd, k.name, 0) == -1)
			log_warn("spool: unlink tmp/%s", k.name);
		return;
	}
	k.stale = st.st_size > RECYCLE_KEEP_BYTES ? 0 : (uint64_t)st.st_size;
	pthread_mutex_lock(&u->mu);
	u->kept[u->nkept++] = k;
	pthread_mutex_unlock(&u->mu);
}

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
			remove_or_keep(u, batch[i]);
		free(batch);
		pthread_mutex_lock(&u->mu);
		u->done += n;
		/*
		 * No pause here to gather larger batches: 5 ms saved a
		 * third of this thread's context switches but doubled the
		 * messages delivered again after a kill -9 (make stress
		 * crash.t: 136-148 duplicates in 10,000 before, 310-324
		 * with it), as more delivered .q files wait for removal
		 * at any moment.
		 */
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
	/* A clean stop leaves tmp/ empty. */
	for (size_t i = 0; i < u->nkept; i++) {
		close(u->kept[i].fd);
		if (unlinkat(u->sp->tmpfd, u->kept[i].name, 0) == -1)
			log_warn("spool: unlink tmp/%s", u->kept[i].name);
	}
	pthread_cond_destroy(&u->work);
	pthread_mutex_destroy(&u->mu);
	free(u->ids);
	free(u);
}

/* A kept file: its descriptor, its name in tmp/ into name; -1
 * when none is kept. */
int
spool_unlinker_take(struct spool_unlinker *u, char *name, size_t size,
    uint64_t *stale)
{
	int	fd = -1;

	if (u == NULL || !u->running)
		return -1;
	pthread_mutex_lock(&u->mu);
	if (u->nkept > 0) {
		u->nkept--;
		fd = u->kept[u->nkept].fd;
		strlcpy_(name, u->kept[u->nkept].name, size);
		*stale = u->kept[u->nkept].stale;
	}
	pthread_mutex_unlock(&u->mu);
	return fd;
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
