/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * durable.c — owns the durable creation of a file (durable.h): temporary
 * name, fsync, rename, directory fsync, and the clean-up when a step
 * fails.  The spool's group commit (spool_commit.c) has its own, batched
 * form of the same steps on fsync_pool.c's threads.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "durable.h"
#include "util.h"

int
durable_create(int dirfd, const char *name, mode_t mode)
{
	int	fd, saved;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	/* The mode exactly: a file another user must read (incoming/) must
	 * not depend on our umask. */
	if (fchmod(fd, mode) == -1) {
		saved = errno;
		close(fd);
		unlinkat(dirfd, name, 0);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * A user who may not open the directory for reading cannot fsync it;
 * fsync of the renamed file then stands in for it.  POSIX does not
 * promise that this makes the new name durable, but on the journaling
 * file systems a spool lives on (ext4, XFS, btrfs) it does: the rename
 * changed the file's inode, and fsync commits the journal up to that
 * change, rename included.
 */
enum durable_result
durable_commit(int fd, int fromdirfd, const char *tmp, int todirfd,
    const char *name, bool dir_syncable, const char **what)
{
	enum durable_result	r = DURABLE_FAILED;
	int			saved;

	*what = "";
	if (fsync(fd) == -1)
		*what = "fsync";
	else if (renameat(fromdirfd, tmp, todirfd, name) == -1)
		*what = "rename";
	else if ((dir_syncable ? fsync(todirfd) : fsync(fd)) == -1) {
		*what = "fsync of the directory";
		r = DURABLE_DOUBT;
	} else
		r = DURABLE_OK;
	saved = errno;
	if (close(fd) == -1 && r == DURABLE_OK) {
		saved = errno;
		*what = "close";
		r = DURABLE_DOUBT;
	}
	if (r == DURABLE_FAILED)
		unlinkat(fromdirfd, tmp, 0);
	errno = saved;
	return r;
}

enum durable_result
durable_write_file(int fromdirfd, const char *tmp, int todirfd,
    const char *name, const void *text, size_t len, const char **what)
{
	int	fd, saved;

	*what = "";
	fd = openat(fromdirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		*what = "create";
		return DURABLE_FAILED;
	}
	if (write_all(fd, text, len) == -1) {
		saved = errno;
		*what = "write";
		close(fd);
		unlinkat(fromdirfd, tmp, 0);
		errno = saved;
		return DURABLE_FAILED;
	}
	return durable_commit(fd, fromdirfd, tmp, todirfd, name, true, what);
}
