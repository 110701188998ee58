/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * fsync_pool.h — a few threads that call fsync(2) and nothing else, so
 * that the files of one batch are synced concurrently and the file system
 * can merge them into one journal commit; after a file's sync a job may
 * also rename it (never over another name), and a batch may end with one
 * more sync (of the directory the files were renamed into), so that a
 * whole group commit runs on the threads and the loop hears only once,
 * at its end.  The event loop hands over a batch of descriptors and
 * hears, from the loop, once all are done: it never blocks on a sync
 * itself.  The threads touch no other state and
 * block every signal.  They start at the first batch, never before
 * daemon() forks.
 */
#ifndef SMARTHOSTD_FSYNC_POOL_H
#define SMARTHOSTD_FSYNC_POOL_H

struct event_base;
struct fsync_pool;

#define FSYNC_POOL_THREADS	8

struct fsync_job {
	int	 fd;
	int	 datasync;	/* fdatasync(2) rather than fsync(2) */
	int	 pause;		/* seconds to wait first (tests only) */
	const char *note;	/* logged (warning) before the pause, or NULL */
	int	 err;		/* set: errno of a failed fsync, or 0 */
	void	*arg;		/* the caller's */
	int	 tag;		/* the caller's */
	char	 what[256];	/* the caller's name for it, for the log */
	/* rename: after a successful sync, move fromfd/from to tofd/to,
	 * never replacing a name that exists; renamed or rename_err
	 * (errno) says how it went. */
	int	 rename;
	int	 fromfd, tofd;
	char	 from[64], to[64];
	int	 renamed, rename_err;
};

/* done(arg) runs from the loop each time a batch has ended.  NULL with
 * errno when the notify pipe or its event cannot be made. */
struct fsync_pool *fsync_pool_new(struct event_base *,
		    void (*done)(void *arg), void *arg);
/* Stop the threads (each finishes the fsync it is in); jobs of a batch in
 * flight that no thread took keep err 0 and done is not called. */
void		 fsync_pool_free(struct fsync_pool *);
/* Sync jobs[0..n) (n > 0), one batch at a time, then after (if not
 * NULL) once all of them ended, whatever their outcome; jobs and after
 * must stay valid until done runs.  Without threads (none could start)
 * the batch is synced here, one by one, and done still runs from the
 * loop. */
void		 fsync_pool_run(struct fsync_pool *, struct fsync_job *jobs,
		    int n, struct fsync_job *after);

#endif
