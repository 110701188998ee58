/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * durable.h — the one way a new file is made to survive a crash: written
 * under a temporary name, fsync'd, renamed to its final name, and the
 * directory that holds the name fsync'd.  Only then may anyone be told it
 * is there.  Everything is relative to directory descriptors.
 *
 * Users: smarthost-sendmail's file in incoming/, the maildir relayer's
 * tmp/ → new/, the spool's envelope updates, and the MTA-STS policy cache
 * (sts_cache.c).
 */
#ifndef SMARTHOSTD_DURABLE_H
#define SMARTHOSTD_DURABLE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

enum durable_result {
	DURABLE_OK = 0,
	DURABLE_FAILED = -1,	/* nothing in place; the temporary is gone */
	DURABLE_DOUBT = -2	/* in place under its name, but its
				   durability is unknown (errno kept) */
};

/* Create dirfd/name exclusively for writing, with exactly mode whatever
 * the umask.  The descriptor, or -1 with errno. */
int	durable_create(int dirfd, const char *name, mode_t mode);

/*
 * fd (written in full) becomes todirfd/name: fsync fd, rename
 * fromdirfd/tmp there, fsync todirfd, close fd.  When todirfd cannot be
 * fsync'd because it was opened O_PATH (dir_syncable false: a user who
 * may not read the directory), fd is fsync'd again after the rename
 * instead; see durable.c for why that suffices on the file systems a
 * spool lives on.  *what names the step that failed.  fd is closed in
 * every case, and on DURABLE_FAILED the temporary is removed.
 */
enum durable_result durable_commit(int fd, int fromdirfd, const char *tmp,
	    int todirfd, const char *name, bool dir_syncable,
	    const char **what);

/* The whole of it at once: text[0..len) into a new fromdirfd/tmp (mode
 * 0600, replacing a leftover), then durable_commit(). */
enum durable_result durable_write_file(int fromdirfd, const char *tmp,
	    int todirfd, const char *name, const void *text, size_t len,
	    const char **what);

#endif
