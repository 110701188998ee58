/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool.c — owns the spool directory: its layout and modes, opening and
 * creating it, queue ids, the free-space check, a queued message's
 * envelope updates and removal, and the incoming/ helpers.  The
 * hand-over of the spool to the daemon's user at start is spool_chown.c's.
 *
 * The promise is "250 after fsync, never before".  All durability follows
 * one pattern: write a file under tmp/, fsync (or fdatasync) it, rename it
 * into queue/, fsync queue/.  A message exists iff queue/<id>.q exists
 * (or, in spools from before 0.2, queue/<id>.env), and a name in queue/
 * only ever points to content already on disk.
 *
 * Every path is relative to a directory descriptor (openat and friends), so
 * a chdir or a rename of a parent cannot send a write elsewhere.
 *
 * A body being received is spool_body.c's; the group commit
 * (spool_commit(), on fsync_pool.c's threads) lives in spool_commit.c,
 * and the recovery walk at start in spool_recover.c; all build on this
 * file through spool_int.h (struct spool and the body helpers); nothing
 * here knows of them.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "envelope.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"
#include "util.h"

/* spool_has_space(): the margins. */
#define SPACE_MIN_BYTES	(64ULL * 1024 * 1024)
#define SPACE_MIN_PCT	1
#define SPACE_MIN_INODES 100

#define SPOOL_MODE	0711	/* see spool_mkdir() */
#define INCOMING_MODE	01733	/* see incoming.h */

static uint64_t	max_id_in(int);

/* Helpers. */

int
spool_exists_at(int dirfd, const char *name)
{
	struct stat	st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * mkdir -p: parents 0755 like any system directory, the spool itself 0711:
 * other users may pass through it to incoming/ (smarthost-sendmail) but
 * not list it; tmp/, queue/ and corrupt/ stay 0700.
 */
static int
spool_mkdir(const char *path)
{
	return mkdir_p(path, 0755, SPOOL_MODE) == -1 ? -1 : 0;
}

/*
 * incoming/ is 01733 (incoming.h says why) whatever the umask, and an
 * incoming/ made 0700 by an earlier version is brought to it, since
 * injectors cannot work otherwise.  Returns its descriptor or -1.
 */
static int
open_incoming(int rootfd)
{
	struct stat	st;
	int		fd;

	if (mkdirat(rootfd, "incoming", INCOMING_MODE) == -1 &&
	    errno != EEXIST)
		return -1;
	if ((fd = openat(rootfd, "incoming", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || ((st.st_mode & 07777) != INCOMING_MODE &&
	    fchmod(fd, INCOMING_MODE) == -1)) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
open_subdir(int rootfd, const char *name)
{
	if (mkdirat(rootfd, name, 0700) == -1 && errno != EEXIST)
		return -1;
	return openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
}

/* The names in dirfd but "." and "..", read in full before the caller
 * unlinks or renames any (readdir is unspecified under changes). */
int
spool_list_dir(int dirfd, char ***names, size_t *n)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 cap = 0;
	int		 fd;

	*names = NULL;
	*n = 0;
	/* A fresh descriptor: its own offset, closed by closedir(). */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*names = xreallocarray(*names, cap, sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

static void
empty_tmp(struct spool *sp)
{
	char	**names;
	size_t	  n, i;

	if (spool_list_dir(sp->tmpfd, &names, &n) == -1) {
		log_warn("spool: %s/tmp", sp->dir);
		return;
	}
	for (i = 0; i < n; i++) {
		log_debug("spool: removing leftover tmp/%s", names[i]);
		if (unlinkat(sp->tmpfd, names[i], 0) == -1)
			log_warn("spool: unlink %s/tmp/%s", sp->dir, names[i]);
	}
	strv_free(names, n);
}

/* Opening and closing. */

struct spool *
spool_open(const char *dir, char *err, size_t errlen)
{
	struct spool	*sp;
	struct stat	 st;
	const char	*what = NULL;

	sp = xcalloc(1, sizeof(*sp));
	sp->dir = xstrdup(dir);
	sp->rootfd = sp->tmpfd = sp->queuefd = sp->corruptfd = -1;
	sp->incomingfd = -1;

	if (spool_mkdir(dir) == -1)
		what = "mkdir";
	else if ((sp->rootfd = open(dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		what = "open";
	else if (fstat(sp->rootfd, &st) == -1)
		what = "stat";
	else if ((sp->tmpfd = open_subdir(sp->rootfd, "tmp")) == -1)
		what = "tmp";
	else if ((sp->queuefd = open_subdir(sp->rootfd, "queue")) == -1)
		what = "queue";
	else if ((sp->corruptfd = open_subdir(sp->rootfd, "corrupt")) == -1)
		what = "corrupt";
	else if ((sp->incomingfd = open_incoming(sp->rootfd)) == -1)
		what = "incoming";
	if (what != NULL) {
		snprintf(err, errlen, "spool %s: %s: %s", dir, what,
		    strerror(errno));
		spool_free(sp);
		return NULL;
	}
	/* Mail is private; say so rather than change what the admin set. */
	if (st.st_mode & 066)
		log_warnx("spool %s: mode %03o, should be 0711", dir,
		    (unsigned)(st.st_mode & 0777));
	else if ((st.st_mode & 001) == 0)
		log_info("spool %s: mode %03o: only its owner can use "
		    "smarthost-sendmail; 0711 lets every user", dir,
		    (unsigned)(st.st_mode & 0777));
	/* Make the new subdirectories themselves durable. */
	if (fsync(sp->rootfd) == -1)
		log_warn("spool %s: fsync", dir);
	empty_tmp(sp);
	/* New ids start above every id on disk (see spool_new_id). */
	sp->last_id = max_id_in(sp->queuefd);
	if (max_id_in(sp->corruptfd) > sp->last_id)
		sp->last_id = max_id_in(sp->corruptfd);
	return sp;
}

const char *
spool_dir(const struct spool *sp)
{
	return sp->dir;
}

void
spool_new_id(struct spool *sp, char *buf, size_t size)
{
	struct timeval	tv;
	uint64_t	v;

	/*
	 * 32 bits of seconds, 20 of microseconds, 12 of counter: sortable by
	 * arrival, and unique because the value only grows: spool_open()
	 * started it above every id already on disk, so a clock that went
	 * back cannot reuse a live message's name (and the commit refuses to
	 * replace an existing one anyway).
	 */
	gettimeofday(&tv, NULL);
	v = ((uint64_t)(uint32_t)tv.tv_sec << 32) |
	    ((uint64_t)tv.tv_usec << 12);
	if (v <= sp->last_id)
		v = sp->last_id + 1;
	sp->last_id = v;
	snprintf(buf, size, "%016llX", (unsigned long long)v);
}

/* The largest queue id named in a directory ("<16 hex>.<anything>"). */
static uint64_t
max_id_in(int dirfd)
{
	struct dirent	*de;
	DIR		*d;
	uint64_t	 max = 0, v;
	int		 fd;

	if ((fd = dup(dirfd)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		char	*end;

		if (strlen(de->d_name) < 17 || de->d_name[16] != '.')
			continue;
		v = strtoull(de->d_name, &end, 16);
		if (end == de->d_name + 16 && v > max)
			max = v;
	}
	closedir(d);
	return max;
}

/*
 * Refuse mail while the spool's file system has less than 64 MiB or less
 * than 1% of its size available to us, or (where it counts inodes at all,
 * f_files > 0) fewer than 100 free inodes.  Refusing with 452 early is
 * better than failing a write half way through a message.  If statvfs
 * itself fails, accept: a write that then fails is still refused safely.
 */
bool
spool_has_space(struct spool *sp)
{
	struct statvfs	sv;
	unsigned long long avail, total;

	if (fstatvfs(sp->rootfd, &sv) == -1) {
		log_warn("spool %s: statvfs", sp->dir);
		return true;
	}
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	total = (unsigned long long)sv.f_blocks * sv.f_frsize;
	if (avail < SPACE_MIN_BYTES)
		return false;
	if (avail < total / 100 * SPACE_MIN_PCT)
		return false;
	if (sv.f_files > 0 && sv.f_favail < SPACE_MIN_INODES)
		return false;
	return true;
}

void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	/* Pending removals first: they need queue/. */
	spool_unlinker_free(sp->unlinker);
	if (sp->rootfd != -1)
		close(sp->rootfd);
	if (sp->tmpfd != -1)
		close(sp->tmpfd);
	if (sp->queuefd != -1)
		close(sp->queuefd);
	if (sp->corruptfd != -1)
		close(sp->corruptfd);
	if (sp->incomingfd != -1)
		close(sp->incomingfd);
	free(sp->dir);
	free(sp);
}

/* Queued messages. */

/* The name of a queued message's data in queue/: <id>.q holds the
 * message and its first envelope (spool_qfile.h), <id>.msg only the
 * message (the form before 0.2, beside its <id>.env). */
static void
data_name(const struct envelope *env, char *buf, size_t size)
{
	snprintf(buf, size, "%s.%s", env->id, env->one_file ? "q" : "msg");
}

/*
 * Later states of the envelope go to queue/<id>.env, durably, in both
 * forms: an .env beside a .q overrides the one inside it.  These updates
 * happen only when a delivery attempt did not end the message (deferral,
 * a recipient failed, hold, delay warning), not on the common path.
 */
int
spool_update(struct spool *sp, const struct envelope *env)
{
	char		 tname[NAME_MAX_], ename[NAME_MAX_], mname[NAME_MAX_];
	char		*text;
	const char	*what;
	size_t		 len;
	int		 r;

	if (!envelope_id_valid(env->id)) {
		log_warnx("spool: update: bad queue id");
		errno = EINVAL;
		return -1;
	}
	snprintf(tname, sizeof(tname), "%s.env.new", env->id);
	snprintf(ename, sizeof(ename), "%s.env", env->id);
	data_name(env, mname, sizeof(mname));
	/* Never resurrect a removed message as an .env without its data. */
	if (!spool_exists_at(sp->queuefd, mname)) {
		log_warnx("spool: update: no queue/%s", mname);
		errno = ENOENT;
		return -1;
	}
	/* rename is atomic: after a crash the old or the new .env is there,
	 * whole; a leftover tmp/ file is removed at start. */
	text = envelope_to_text(env, &len);
	r = durable_write_file(sp->tmpfd, tname, sp->queuefd, ename, text, len,
	    &what);
	free(text);
	if (r != DURABLE_OK) {
		log_warn("spool: update of queue/%s: %s", ename, what);
		return -1;
	}
	return 0;
}

/* Remove queue/<id>.env, then queue/<id>.q (one_file) or <id>.msg:
 * spool_remove() and the unlink thread (spool_unlink.c), which may ask
 * for the .q to be renamed to tmp/<keep> instead, to be used again
 * (keep is NULL otherwise).  Returns 0, or -1 with errno (ENOENT:
 * neither was there; other failures logged). */
int
spool_remove_names(struct spool *sp, const char *id, bool one_file,
    const char *keep)
{
	char	ename[NAME_MAX_], mname[NAME_MAX_];
	int	had_env = 1;
	bool	move = one_file && keep != NULL;

	snprintf(ename, sizeof(ename), "%s.env", id);
	snprintf(mname, sizeof(mname), "%s.%s", id, one_file ? "q" : "msg");
	/*
	 * The .env first.  Before 0.2 a message is gone once its .env is,
	 * and a .msg left alone by a crash here is removed by recovery.  A
	 * .q left alone is a whole message with its first envelope: it is
	 * delivered again, which at-least-once delivery allows.
	 */
	if (unlinkat(sp->queuefd, ename, 0) == -1) {
		if (errno != ENOENT) {
			log_warn("spool: unlink queue/%s", ename);
			return -1;
		}
		had_env = 0;
	}
	if (move ? renameat(sp->queuefd, mname, sp->tmpfd, keep) == -1 :
	    unlinkat(sp->queuefd, mname, 0) == -1) {
		if (errno != ENOENT)
			log_warn("spool: %s queue/%s", move ? "rename" :
			    "unlink", mname);
		else if (!had_env) {
			errno = ENOENT;
			return -1;
		}
	}
	/*
	 * No directory fsync here: a crash before the removal reaches the
	 * disk brings the message back and it is delivered again, which
	 * at-least-once delivery allows; the next commit's directory fsync
	 * makes it durable anyway.  It was one fsync per delivered message.
	 */
	return 0;
}

int
spool_remove(struct spool *sp, const struct envelope *env)
{
	if (!envelope_id_valid(env->id)) {
		errno = EINVAL;
		return -1;
	}
	return spool_remove_names(sp, env->id, env->one_file, NULL);
}

int
spool_remove_later(struct spool *sp, const struct envelope *env)
{
	if (!envelope_id_valid(env->id)) {
		errno = EINVAL;
		return -1;
	}
	if (sp->unlinker == NULL)
		sp->unlinker = spool_unlinker_new(sp);
	/* Spools before 0.2 are rare and drain once: removed here. */
	if (env->one_file && spool_unlinker_add(sp->unlinker, env->id))
		return 0;
	return spool_remove_names(sp, env->id, env->one_file, NULL);
}

void
spool_msg_path(struct spool *sp, const struct envelope *env, char *buf,
    size_t size)
{
	char	name[NAME_MAX_];

	data_name(env, name, sizeof(name));
	snprintf(buf, size, "%s/queue/%s", sp->dir, name);
}

/* Move <from>/name to corrupt/, under a new name if that one is taken. */
int
spool_move_corrupt_from(struct spool *sp, int fromfd, const char *from,
    const char *name)
{
	char	*to;
	int	 i, r = 0;

	if (!spool_exists_at(fromfd, name))
		return 0;
	to = xstrdup(name);
	for (i = 1; spool_exists_at(sp->corruptfd, to) && i < 1000; i++) {
		free(to);
		to = xasprintf("%s.%d", name, i);
	}
	if (renameat(fromfd, name, sp->corruptfd, to) == -1) {
		log_warn("spool: move %s/%s to corrupt/%s", from, name, to);
		r = -1;
	}
	free(to);
	return r;
}

/* The injectors' drop area. */

int
spool_incoming_fd(const struct spool *sp)
{
	return sp->incomingfd;
}

int
spool_incoming_reject(struct spool *sp, const char *name)
{
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if (spool_move_corrupt_from(sp, sp->incomingfd, "incoming", name) == -1)
		return -1;
	if (fsync(sp->corruptfd) == -1 || fsync(sp->incomingfd) == -1)
		log_warn("spool: fsync after moving incoming/%s", name);
	return 0;
}

int
spool_create(const char *dir, char *err, size_t errlen)
{
	static const char *const subdirs[] = { "tmp", "queue", "corrupt" };
	const char	*what = NULL;
	size_t		 i;
	int		 rootfd, fd;

	if (spool_mkdir(dir) == -1) {
		snprintf(err, errlen, "spool %s: mkdir: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "spool %s: open: %s", dir,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if ((fd = open_subdir(rootfd, subdirs[i])) == -1) {
			what = subdirs[i];
			break;
		}
		close(fd);
	}
	if (what == NULL) {
		if ((fd = open_incoming(rootfd)) == -1)
			what = "incoming";
		else
			close(fd);
	}
	if (what != NULL) {
		snprintf(err, errlen, "spool %s: %s: %s", dir, what,
		    strerror(errno));
		close(rootfd);
		return -1;
	}
	if (fsync(rootfd) == -1) {
		snprintf(err, errlen, "spool %s: fsync: %s", dir,
		    strerror(errno));
		close(rootfd);
		return -1;
	}
	close(rootfd);
	return 0;
}
