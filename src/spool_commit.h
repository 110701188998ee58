/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_commit.h — the group commit: spool bodies (spool.h) become queued
 * messages, durably.  spool_commit() is asynchronous so that messages
 * finishing at the same moment share one directory fsync: commits
 * requested while the previous group is being synced are made durable
 * together, then their callbacks run.  receive.c is its one caller.
 */
#ifndef SMARTHOSTD_SPOOL_COMMIT_H
#define SMARTHOSTD_SPOOL_COMMIT_H

struct event_base;
struct envelope;
struct spool;
struct spool_body;
struct spool_commits;

/* The commits of one spool, run on base.  NULL with errno. */
struct spool_commits *spool_commits_new(struct spool *, struct event_base *);
/* Commits still pending are abandoned: their files are removed and their
 * callbacks run with ok = 0.  Before spool_free(). */
void		 spool_commits_free(struct spool_commits *);

typedef void (*spool_commit_cb)(void *arg, int ok);

/*
 * Make the body and n envelopes (one queued message each, all sharing the
 * body) durable.  Sets env->size from the body for each, and env->id where
 * it is empty.  Takes ownership of the body (not of the envelopes).  cb
 * runs later, from the event loop, exactly once: ok = 1 after file and
 * directory fsync, ok = 0 on failure (nothing was queued; the partial
 * files are removed).
 */
void		 spool_commit(struct spool_commits *, struct spool_body *,
		    struct envelope **envs, int n, spool_commit_cb cb, void *arg);

/* Directory fsyncs done by group commits so far (for the tests). */
int		 spool_commits_dir_syncs(const struct spool_commits *);

#endif
