/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming_dir.h — the listing of incoming/ for the daemon's pickup
 * (incoming.c): the complete files to take, in arrival order, and the
 * entries it leaves alone (not a regular file with one link, or one it
 * could neither queue nor move aside), said once and never retried while
 * they stay the same inode.
 */
#ifndef SMARTHOSTD_INCOMING_DIR_H
#define SMARTHOSTD_INCOMING_DIR_H

#include <stdbool.h>
#include <stddef.h>

struct stat;
struct incoming_dir;

/* For incoming/ open at dirfd (not taken over) of the spool at spooldir. */
struct incoming_dir *incoming_dir_new(int dirfd, const char *spooldir);
void		 incoming_dir_free(struct incoming_dir *);

/*
 * The complete files to pick up, sorted by arrival, into *names (the
 * caller frees them with strv_free()), leaving out those in_flight(arg,
 * name) says are taken already and those left alone.  Stale temporary
 * files are removed on the way.  Nothing when the daemon may not remove
 * what it takes (it would take it again at every scan): said once.
 */
void		 incoming_dir_scan(struct incoming_dir *,
		    bool (*in_flight)(void *arg, const char *name), void *arg,
		    char ***names, size_t *n_names);

/* Leave name alone from now on while it is this inode (st; NULL: look),
 * saying why once. */
void		 incoming_dir_skip(struct incoming_dir *, const char *name,
		    const struct stat *st, const char *why);

#endif
