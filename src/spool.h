/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool.h — the durable queue on disk.  Every write that must survive a
 * crash happens here, in one way: write a temporary file, fsync (or
 * fdatasync) it, rename it into place, fsync the directory.
 *
 * Layout under the spool directory (created 0711: others may pass through
 * to incoming/ but not list anything):
 *   tmp/        files being written; emptied at start (0700)
 *   queue/      <id>.q: the message (CRLF, dot-stuffing undone) and,
 *               after it, its envelope at reception (spool_qfile.h);
 *               <id>.env beside it: a later state of the envelope,
 *               which overrides that one.  A message exists iff its .q
 *               does.  Spools written before 0.2 hold <id>.msg (the
 *               message alone) and <id>.env (its envelope) instead; such
 *               a message exists iff its .env does, and recovery still
 *               reads them (0700)
 *   corrupt/    what recovery or the pickup could not use (0700)
 *   incoming/   drop area for the sendmail injector, 01733 (incoming.h)
 *
 * Bodies become queued messages through the group commit
 * (spool_commit.h), which builds on this module.
 */
#ifndef SMARTHOSTD_SPOOL_H
#define SMARTHOSTD_SPOOL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct envelope;
struct spool;
struct spool_body;

/* Open (creating as needed) the spool; removes leftovers in tmp/. */
struct spool	*spool_open(const char *dir, char *err, size_t errlen);
/* After spool_commits_free() (spool_commit.h). */
void		 spool_free(struct spool *);
const char	*spool_dir(const struct spool *);

/* A new unique queue id (16 upper-case hex digits) into buf. */
void		 spool_new_id(struct spool *, char *buf, size_t size);

/* Is there room to accept mail (free space and inodes above a margin)? */
bool		 spool_has_space(struct spool *);

/* A message body being received, in tmp/.  NULL with errno on failure. */
struct spool_body *spool_body_new(struct spool *);
/* Append octets (buffered).  Returns 0, or -1 with errno. */
int		 spool_body_write(struct spool_body *, const void *, size_t);
uint64_t	 spool_body_size(const struct spool_body *);
/*
 * The body holds the queue id of the first envelope it will be committed
 * with at this offset (in its Received: header).  When a commit has more
 * than one envelope, each of the others gets a copy of the body with its
 * own id there, so that every queued message names itself.
 */
void		 spool_body_id_at(struct spool_body *, uint64_t offset);
/* Put octets before all those written so far (DKIM-Signature: fields at
 * the top of a message).  Returns 0, or -1 with errno. */
int		 spool_body_prepend(struct spool_body *, const void *, size_t);
/* Throw the body away (unlink, free). */
void		 spool_body_abort(struct spool_body *);

/* Rewrite a queued message's envelope durably, as queue/<id>.env (tmp,
 * fsync, rename, fsync dir).  Returns 0 or -1. */
int		 spool_update(struct spool *, const struct envelope *);

/* Remove a queued message: its .env first, then its .q or .msg.  Returns
 * 0 or -1. */
int		 spool_remove(struct spool *, const struct envelope *);
/* The same for a delivered message, off the event loop: the files are
 * unlinked by a thread (spool_unlink.c), in order, soon after; a crash
 * before that delivers the message again (at-least-once).  spool_free()
 * waits for them.  Returns 0, or -1 (an invalid id, or a failure of the
 * synchronous fallback). */
int		 spool_remove_later(struct spool *, const struct envelope *);

/* Path of the file holding a queued message, into buf: its first
 * env->size octets are the message (a .q holds more after them). */
void		 spool_msg_path(struct spool *, const struct envelope *,
		    char *buf, size_t size);

/*
 * Walk queue/ at start (spool_recover.c): calls cb for each message found
 * whole: each .q whose trailer and envelope parse (with its .env instead
 * where one parses), each .env (before 0.2) that parses and has its .msg.
 * A .msg without .env is removed; what cannot be used is logged and moved
 * to corrupt/.  The callback takes ownership of the envelope.  Returns the
 * number recovered.
 */
int		 spool_recover(struct spool *,
		    void (*cb)(void *arg, struct envelope *), void *arg);

/*
 * The envelopes queued in the spool at dir, in id order, read-only: for a
 * process that is not the daemon (smarthost-sendmail -bp while it is
 * down).  Those that cannot be read or parsed are passed over (recovery
 * is the daemon's).  Returns how many cb saw, or -1 with the reason in err.
 */
int		 spool_list(const char *dir,
		    void (*cb)(void *arg, const struct envelope *), void *arg,
		    char *err, size_t errlen);

/* The incoming/ directory's descriptor (incoming.c reads and unlinks
 * there). */
int		 spool_incoming_fd(const struct spool *);
/* Move incoming/<name> aside to corrupt/ (durably).  Returns 0 or -1. */
int		 spool_incoming_reject(struct spool *, const char *name);

/* Create the spool's directories with their modes, as spool_open() does,
 * but without opening it or touching tmp/: for smarthost-sendmail when
 * the daemon has never run.  Returns 0, or -1 with the error in err. */
int		 spool_create(const char *dir, char *err, size_t errlen);

/*
 * Give the spool (its directories and the queued files in them) to uid and
 * gid, before the daemon drops privileges to that user.  Returns 0, or -1
 * with errno and a reason in err.
 */
int		 spool_chown(struct spool *, uid_t uid, gid_t gid, char *err,
		    size_t errlen);

#endif
