/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming_dir.c — owns the listing of the spool's incoming/ for the
 * pickup (incoming_dir.h): which entries are complete files to take, in
 * arrival order; stale temporary files of injectors that died, removed;
 * entries left alone, remembered by inode so that each is said once.
 * Only a daemon that may remove the files lists them at all.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "incoming_dir.h"
#include "incoming_env.h"
#include "log.h"
#include "util.h"

#define PICKUP_TMP_MAX_AGE	(24 * 60 * 60)	/* injector died mid-write */

/*
 * An entry of incoming/ that the pickup leaves where it is: not a regular
 * file with one link, or one it could neither queue nor move aside.  It is
 * logged once, never retried while it stays (same inode), and never stops
 * the pickup of anybody else's mail.
 */
struct skipped {
	char	*name;
	dev_t	 dev;
	ino_t	 ino;
	bool	 seen;		/* by the scan in progress */
};
#define PICKUP_SKIP_MAX		4096

struct incoming_dir {
	int		 dirfd;		/* incoming/; not ours */
	char		*spooldir;	/* for messages */
	bool		 warned_owner;
	struct skipped	*skip;		/* entries left alone */
	size_t		 n_skip;
};

struct incoming_dir *
incoming_dir_new(int dirfd, const char *spooldir)
{
	struct incoming_dir	*dir;

	dir = xcalloc(1, sizeof(*dir));
	dir->dirfd = dirfd;
	dir->spooldir = xstrdup(spooldir);
	return dir;
}

void
incoming_dir_free(struct incoming_dir *dir)
{
	size_t	i;

	if (dir == NULL)
		return;
	for (i = 0; i < dir->n_skip; i++)
		free(dir->skip[i].name);
	free(dir->skip);
	free(dir->spooldir);
	free(dir);
}

static struct skipped *
skip_find(struct incoming_dir *dir, const char *name)
{
	size_t	i;

	for (i = 0; i < dir->n_skip; i++)
		if (strcmp(dir->skip[i].name, name) == 0)
			return &dir->skip[i];
	return NULL;
}

void
incoming_dir_skip(struct incoming_dir *dir, const char *name,
    const struct stat *st, const char *why)
{
	struct skipped	*k;
	struct stat	 now_st;

	if (st == NULL) {
		/* Remember the inode, so that it is not taken again. */
		if (fstatat(dir->dirfd, name, &now_st, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			return;		/* gone: nothing to leave alone */
		st = &now_st;
	}
	if ((k = skip_find(dir, name)) == NULL) {
		if (dir->n_skip == PICKUP_SKIP_MAX) {
			log_debug("incoming/%s: %s; left alone", name, why);
			return;
		}
		dir->skip = xreallocarray(dir->skip, dir->n_skip + 1,
		    sizeof(*dir->skip));
		k = &dir->skip[dir->n_skip++];
		k->name = xstrdup(name);
	}
	log_warnx("incoming/%s: %s; left alone, not picked up", name, why);
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->seen = true;
}

/* After a scan: forget the entries that went away. */
static void
skip_prune(struct incoming_dir *dir)
{
	size_t	i, j = 0;

	for (i = 0; i < dir->n_skip; i++) {
		if (dir->skip[i].seen) {
			dir->skip[i].seen = false;
			dir->skip[j++] = dir->skip[i];
		} else
			free(dir->skip[i].name);
	}
	dir->n_skip = j;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Only a daemon that may remove the files (root, or the owner of the
 * sticky incoming/) may take them: otherwise every file would be queued
 * again at every scan.
 */
static bool
may_remove(struct incoming_dir *dir)
{
	struct stat	st;

	if (geteuid() == 0)
		return true;
	if (fstat(dir->dirfd, &st) == -1) {
		log_warn("incoming: stat");
		return false;
	}
	if (st.st_uid == geteuid())
		return true;
	if (!dir->warned_owner)
		log_warnx("incoming: %s/incoming belongs to uid %ld, not to "
		    "us (uid %ld): injected mail is not picked up",
		    dir->spooldir, (long)st.st_uid, (long)geteuid());
	dir->warned_owner = true;
	return false;
}

void
incoming_dir_scan(struct incoming_dir *dir,
    bool (*in_flight)(void *, const char *), void *arg, char ***names,
    size_t *n_names)
{
	struct dirent	*de;
	struct stat	 st;
	struct skipped	*k;
	DIR		*d;
	size_t		 cap = 0;
	int		 fd;

	*names = NULL;
	*n_names = 0;
	if (!may_remove(dir))
		return;
	if ((fd = openat(dir->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		log_warn("incoming: open");
		return;
	}
	if ((d = fdopendir(fd)) == NULL) {
		log_warn("incoming: fdopendir");
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, INCOMING_TMP_PREFIX,
		    sizeof(INCOMING_TMP_PREFIX) - 1) == 0) {
			if (fstatat(dir->dirfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    st.st_mtime < now() - PICKUP_TMP_MAX_AGE &&
			    unlinkat(dir->dirfd, de->d_name, 0) == 0)
				log_info("incoming: removed stale %s",
				    de->d_name);
			continue;
		}
		if (strncmp(de->d_name, INCOMING_PREFIX,
		    sizeof(INCOMING_PREFIX) - 1) != 0 ||
		    in_flight(arg, de->d_name))
			continue;
		/* The type, before anything opens it (#19 item 2). */
		if (fstatat(dir->dirfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* gone meanwhile */
		if ((k = skip_find(dir, de->d_name)) != NULL &&
		    k->dev == st.st_dev && k->ino == st.st_ino) {
			k->seen = true;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			incoming_dir_skip(dir, de->d_name, &st, "not a regular file");
			continue;
		}
		if (st.st_nlink != 1) {
			incoming_dir_skip(dir, de->d_name, &st, "has other links");
			continue;
		}
		if (*n_names == cap) {
			cap = cap ? cap * 2 : 64;
			*names = xreallocarray(*names, cap, sizeof(**names));
		}
		(*names)[(*n_names)++] = xstrdup(de->d_name);
	}
	closedir(d);
	skip_prune(dir);
	if (*n_names > 1)
		qsort(*names, *n_names, sizeof(**names), cmp_names);
	if (*n_names > 0)
		log_debug("incoming: %zu file%s to pick up", *n_names,
		    *n_names == 1 ? "" : "s");
}

