/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue.h — the scheduler: queued messages in memory, their delivery
 * attempts, retries, expiry and bounces.  The spool holds the truth; the
 * queue holds what it needs to schedule, and re-reads the configuration in
 * force at every attempt.
 */
#ifndef SMARTHOSTD_QUEUE_H
#define SMARTHOSTD_QUEUE_H

#include <stdbool.h>

struct event_base;
struct spool;
struct config;
struct envelope;
struct queue;
struct receive;

/* Bounces enter the spool through rc, like any other mail. */
struct queue	*queue_new(struct event_base *, struct spool *,
		    struct receive *rc, struct config *);
void		 queue_free(struct queue *);

/* The configuration in force for new attempts (takes a reference). */
void		 queue_set_config(struct queue *, struct config *);

/* Load every message the spool holds; returns how many. */
int		 queue_recover(struct queue *);

/* A message just committed to the spool: the queue takes ownership of env
 * and schedules an attempt at once. */
void		 queue_add(struct queue *, struct envelope *);

/* Attempt now: one message (id) or all (id NULL).  Returns -1 for an
 * unknown id. */
int		 queue_flush(struct queue *, const char *id);

/* Number of queued messages. */
int		 queue_length(const struct queue *);

/* Stop starting attempts (shutdown); returns true when none is in flight. */
bool		 queue_quiesce(struct queue *);

/* The configuration in force (no reference taken). */
struct config	*queue_config(const struct queue *);

/* Call cb for every queued message, oldest first; busy is true while an
 * attempt (or the final bounce) is under way.  cb must not change the
 * queue. */
void		 queue_walk(struct queue *, void (*cb)(void *arg,
		    const struct envelope *, bool busy), void *arg);

/* A queued message's envelope (read-only, valid until the next turn of
 * the event loop), or NULL for an unknown id. */
const struct envelope *queue_find(struct queue *, const char *id, bool *busy);

/* Hold or release a message (smarthostctl hold/release), durably: held
 * mail is neither attempted nor expired until released.  Returns 0, 1 when
 * it already was so, -1 for an unknown id, -3 when the spool refuses. */
int		 queue_hold(struct queue *, const char *id, bool hold);

/* Remove a message without a bounce (smarthostctl remove); logged as
 * "removed".  Returns 0, -1 for an unknown id, -2 while an attempt is in
 * flight (the relayers hold it; try again), -3 when the spool refuses. */
int		 queue_remove(struct queue *, const char *id);

#endif
