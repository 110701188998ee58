/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_chown.c — owns the hand-over of the spool to the daemon's user,
 * done once by root at start before privileges drop: the root, tmp/,
 * queue/ and what they hold change hands, corrupt/ and incoming/ only as
 * directories, and no file that another user could have put there (a
 * hard link, somebody else's file, anything not a plain file) is given
 * away.  The live spool is spool.c's.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "spool_int.h"

/*
 * Chown one directory (by name under the spool root, "" for the root) and,
 * when contents is set, every regular file with a single link directly in
 * it that belonged to the directory's owner.  Root runs this: a hard link
 * to somebody else's file (a user can make one where
 * fs.protected_hardlinks is off), a file of somebody else's moved in, or
 * anything that is not a plain file is never given away (#19 item 4).
 */
static int
chown_tree(int rootfd, const char *name, bool contents, uid_t uid,
    gid_t gid)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*dir;
	uid_t		 owner;
	int		 fd, efd, r = 0;

	fd = name[0] == '\0' ? dup(rootfd) :
	    openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	owner = st.st_uid;
	if (fchown(fd, uid, gid) == -1) {
		close(fd);
		return -1;
	}
	if (name[0] == '\0' || !contents) {
		close(fd);
		return 0;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		/* The inode looked at is the one chowned: by name, the
		 * entry could be swapped for a hard link between the two. */
		if ((efd = openat(fd, de->d_name, O_PATH | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			continue;
		if (fstat(efd, &st) == -1) {
			close(efd);
			continue;
		}
		if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
			log_warnx("spool: %s/%s is %s; its owner is left as "
			    "it is", name, de->d_name, S_ISREG(st.st_mode) ?
			    "a file with other links" : "not a regular file");
			close(efd);
			continue;
		}
		/* Only what the directory's owner made: a file of root's
		 * that the daemon's user moved in is not given to it. */
		if (st.st_uid != owner && st.st_uid != uid) {
			log_warnx("spool: %s/%s belongs to uid %lu, not to "
			    "the directory's owner; its owner is left as it "
			    "is", name, de->d_name, (unsigned long)st.st_uid);
			close(efd);
			continue;
		}
		if (fchownat(efd, "", uid, gid, AT_EMPTY_PATH) == -1)
			r = -1;
		close(efd);
	}
	closedir(dir);
	return r;
}

int
spool_chown(struct spool *sp, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	/* incoming/ holds the injecting users' own files: only the directory
	 * changes hands, so that the daemon may remove what it picked up. */
	static const char *const trees[] = { "", "tmp", "queue", "corrupt" };

	/* corrupt/ holds what others made, moved aside: only the
	 * directory changes hands, never its content. */
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		if (chown_tree(sp->rootfd, trees[i],
		    strcmp(trees[i], "corrupt") != 0, uid, gid) == -1) {
			snprintf(err, errlen, "cannot give %s/%s to uid %ld: %s",
			    sp->dir, trees[i], (long)uid, strerror(errno));
			return -1;
		}
	if (fchownat(sp->rootfd, "incoming", uid, gid, AT_SYMLINK_NOFOLLOW) ==
	    -1 && errno != ENOENT) {
		snprintf(err, errlen, "cannot give %s/incoming to uid %ld: %s",
		    sp->dir, (long)uid, strerror(errno));
		return -1;
	}
	return 0;
}
