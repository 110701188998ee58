/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_int.h — what spool_body.c (a body being received),
 * spool_commit.c (the group commit) and spool_recover.c (the walk at
 * start) use of spool.c and of each other (directories, bodies).
 * Nothing else includes it: everyone else sees only spool.h and an
 * opaque struct spool.
 */
#ifndef SMARTHOSTD_SPOOL_INT_H
#define SMARTHOSTD_SPOOL_INT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

struct spool;

#define NAME_MAX_	(QUEUE_ID_MAX + 16)	/* "<id>.env.new" and the like */

struct spool_body {
	struct spool	*sp;
	int		 fd;
	char		 name[NAME_MAX_];	/* in tmp/ */
	char		*buf;
	size_t		 buflen;
	uint64_t	 size;
	int		 err;	/* errno of the first failure; sticky */
	uint64_t	 stale;	/* a kept file's old octets (spool_tmp_create) */
	bool		 has_id;	/* the first envelope's id is at id_off */
	uint64_t	 id_off;
};

struct spool {
	char			*dir;
	int			 rootfd, tmpfd, queuefd, corruptfd;
	int			 incomingfd;
	uint64_t		 last_id;
	struct spool_unlinker	*unlinker;	/* spool_unlink.c */
};

/* Does dirfd/name exist (not following a symbolic link)? */
int	spool_exists_at(int dirfd, const char *name);
/* The names in dirfd but "." and "..", read in full (free with
 * strv_free).  Returns 0, or -1 with errno. */
int	spool_list_dir(int dirfd, char ***names, size_t *n);
/* Move <from>/name (fromfd) to corrupt/, under a new name if that one is
 * taken.  Returns 0 (also when there is no such name) or -1. */
int	spool_move_corrupt_from(struct spool *, int fromfd, const char *from,
	    const char *name);
/* Write out what the body has buffered.  Returns 0, or -1 with errno (the
 * first failure sticks). */
int	spool_body_flush(struct spool_body *);
/* Close and unlink the tmp name (the queue/ links, if any, remain). */
void	spool_body_release(struct spool_body *);

/* Unlink queue/<id>.env then queue/<id>.q (one_file) or .msg, logging
 * failures; with keep, the .q is renamed to tmp/<keep> instead.  Returns
 * 0, or -1 with errno (ENOENT: neither was there). */
int	spool_remove_names(struct spool *, const char *id, bool one_file,
	    const char *keep);

/* The unlink thread (spool_unlink.c), one per spool. */
struct spool_unlinker;
struct spool_unlinker *spool_unlinker_new(struct spool *);
/* Waits until every id handed over is removed; NULL is fine. */
void	spool_unlinker_free(struct spool_unlinker *);
/* Hand a queue id over (its .env, then its .q, are unlinked by the
 * thread, in order); false when the caller must remove it itself. */
bool	spool_unlinker_add(struct spool_unlinker *, const char *id);
/* A file in tmp/ kept from a removal: its descriptor (write-only, at
 * offset 0), its name into name, and into *stale how many octets of the
 * old message it still holds; -1 when none is kept (NULL is fine). */
int	spool_unlinker_take(struct spool_unlinker *, char *name, size_t size,
	    uint64_t *stale);

/* A file in tmp/ to write a body or a copy into from its start: a kept
 * one, or one created empty as <fresh id>.<suffix>.  Its descriptor
 * (write-only; name set, *stale as above, 0 for a new one), or -1 with
 * errno.  Whoever writes it cuts it to its own size if *stale is more
 * (spool_tmp_fit()). */
int	spool_tmp_create(struct spool *, const char *suffix, char *name,
	    size_t size, uint64_t *stale);
/* Cut fd to size when the old octets it held (stale) reach past it.
 * Returns 0, or -1 with errno. */
int	spool_tmp_fit(int fd, uint64_t stale, uint64_t size);
/* pread(2) of at most len octets at off of a body of size octets, never
 * past size: until the commit's spool_tmp_fit() a body written over a
 * kept file still holds the old message's octets beyond. */
ssize_t	spool_body_pread(int fd, void *buf, size_t len, uint64_t off,
	    uint64_t size);

#endif
