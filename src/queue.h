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

struct queue	*queue_new(struct event_base *, struct spool *, struct config *);
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

#endif
