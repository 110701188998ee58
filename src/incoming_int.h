/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming_int.h — the pickup's two objects, shared by its two files: the
 * pickup as a whole, its scans and its turns of work (incoming.c), and
 * one file being picked up (incoming_pickup.c).  Nothing else includes
 * it: everyone else sees incoming.h and an opaque pickup.
 */
#ifndef SMARTHOSTD_INCOMING_INT_H
#define SMARTHOSTD_INCOMING_INT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>

#include "incoming_env.h"
#include "lineend.h"

struct event;
struct event_base;
struct incoming_dir;
struct queue;
struct receive;
struct receive_tx;
struct spool;

struct pickup {
	TAILQ_ENTRY(pickup)	 entry;
	struct incoming		*inc;
	char			*name;
	int			 fd;
	uid_t			 uid;		/* the file's owner */
	struct incoming_env	 env;
	struct receive_tx	*rtx;		/* receive.c's */
	struct crlf		 crlf;
	bool			 body8bit;
	off_t			 left;		/* octets still to read: the
						 * size seen at open bounds
						 * the copy */
	size_t			 since_check;	/* octets since a space check */
};
TAILQ_HEAD(pickup_list, pickup);

struct incoming {
	struct event_base	*base;
	struct spool		*spool;
	struct queue		*queue;		/* for the config in force */
	struct receive		*receive;
	int			 dirfd;		/* the spool's; not ours */
	int			 ifd;		/* inotify, or -1 */
	struct event		*ev_inotify, *ev_rescan, *ev_work;
	char			**names;	/* from the last scan, sorted */
	size_t			 n_names, next;
	struct pickup		*cur;		/* being copied */
	struct pickup_list	 committing;
	bool			 rescan;	/* scan when names run out */
	bool			 stalled;	/* wait for the rescan timer */
	bool			 dirty;		/* unlinks to fsync */
	struct incoming_dir	*dir;		/* the listing, entries left
						 * alone */
};

/* Open one file and start its message: NULL when there is nothing to do
 * (gone, rejected) or when it must wait (inc->stalled is then set). */
struct pickup	*pickup_start(struct incoming *, const char *);
/* Copy up to *budget octets more.  1: the message is complete; 0: more
 * to do next turn; -1: failed (p is to be freed, inc->stalled is set). */
int		 pickup_copy(struct incoming *, struct pickup *, size_t *);
/* The whole message is in the body: make it durable, as queued mail. */
void		 pickup_commit(struct incoming *, struct pickup *);
void		 pickup_free(struct pickup *);
/* Another turn of work soon (incoming.c's). */
void		 incoming_work_schedule(struct incoming *);

#endif
