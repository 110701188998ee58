/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_recover.c — owns the walk of queue/ at start (spool_recover() in
 * spool.h): which files make a queued message, in both forms the spool
 * has had, and what is removed or moved to corrupt/; and the read-only
 * listing of the same for smarthost-sendmail -bp (spool_list()).  The reasoning about
 * what a crash can leave is in spool_commit.c above commit_run().
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"
#include "spool_qfile.h"
#include "util.h"

static void
move_corrupt(struct spool *sp, const char *name)
{
	spool_move_corrupt_from(sp, sp->queuefd, "queue", name);
}

/* Read a whole (small) file, or NULL with a reason in *why. */
static char *
read_env(int dirfd, const char *name, size_t *len, const char **why)
{
	struct stat	 st;
	char		*buf;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	*why = NULL;
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) == -1)
		*why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		*why = "not a file";
	else if (st.st_size > QFILE_ENV_MAX)
		*why = "too large";
	if (*why != NULL) {
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		n = read(fd, buf + off, (size_t)st.st_size + 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*why = strerror(errno);
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0 || (off += (size_t)n) > (size_t)st.st_size)
			break;
	}
	close(fd);
	if (off > (size_t)st.st_size) {
		*why = "changed while read";
		free(buf);
		return NULL;
	}
	*len = off;
	return buf;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/*
 * Check one queue/<stem>.env; returns the envelope or NULL with why.  With
 * size 0 it must have its .msg of the size it names (the form before 0.2);
 * otherwise it is the later envelope of a .q holding size octets.
 */
static struct envelope *
recover_one(struct spool *sp, const char *ename, const char *stem,
    const char **why, uint64_t size)
{
	struct envelope	*env;
	struct stat	 st;
	char		*text, mname[NAME_MAX_];
	size_t		 len = 0;

	if (strlen(stem) > QUEUE_ID_MAX) {
		*why = "name too long for an id";
		return NULL;
	}
	snprintf(mname, sizeof(mname), "%s.msg", stem);
	if ((text = read_env(sp->queuefd, ename, &len, why)) == NULL)
		return NULL;
	env = envelope_from_text(text, len, why);
	free(text);
	if (env == NULL)
		return NULL;
	if (strcmp(env->id, stem) != 0)
		*why = "id does not match the file name";
	else if (size != 0 && env->size != size)
		*why = "message size differs from the envelope";
	else if (size != 0)
		;	/* the .q was checked by qfile_read() */
	else if (fstatat(sp->queuefd, mname, &st, AT_SYMLINK_NOFOLLOW) == -1)
		*why = "no message file";
	else if (!S_ISREG(st.st_mode))
		*why = "message is not a file";
	else if ((uint64_t)st.st_size != env->size)
		*why = "message size differs from the envelope";
	if (*why != NULL) {
		envelope_free(env);
		return NULL;
	}
	return env;
}

/*
 * queue/<stem>.q and, if there is one, the later .env beside it.  An .env
 * that cannot be used is moved to corrupt/ and the .q's own envelope is
 * used: the message is then delivered again to recipients the lost state
 * had done, which at-least-once allows, rather than not at all.
 */
static struct envelope *
recover_q(struct spool *sp, const char *qname, const char *stem,
    const char **why)
{
	struct envelope	*env, *later;
	const char	*why2;
	char		 ename[NAME_MAX_];

	if (strlen(stem) > QUEUE_ID_MAX) {
		*why = "name too long for an id";
		return NULL;
	}
	if ((env = qfile_read(sp->queuefd, qname, why)) == NULL)
		return NULL;
	if (strcmp(env->id, stem) != 0) {
		*why = "id does not match the file name";
		envelope_free(env);
		return NULL;
	}
	snprintf(ename, sizeof(ename), "%s.env", stem);
	if (!spool_exists_at(sp->queuefd, ename))
		return env;
	later = recover_one(sp, ename, stem, &why2, env->size);
	if (later == NULL) {
		log_warnx("spool: queue/%s: %s; moved to %s/corrupt, the "
		    "envelope in queue/%s is used", ename, why2 ? why2 :
		    "unreadable", sp->dir, qname);
		move_corrupt(sp, ename);
		return env;
	}
	envelope_free(env);
	later->one_file = true;
	return later;
}

/*
 * One message's outcome at recovery: handed to cb (1), or logged and moved
 * to corrupt/ with its companion file, stem + companion (0).
 */
static int
settle(struct spool *sp, const char *name, const char *stem,
    const char *companion, struct envelope *env, const char *why,
    void (*cb)(void *, struct envelope *), void *arg)
{
	char	*other;

	if (env != NULL) {
		cb(arg, env);
		return 1;
	}
	log_warnx("spool: queue/%s: %s; moved to %s/corrupt", name,
	    why ? why : "unreadable", sp->dir);
	move_corrupt(sp, name);
	other = xasprintf("%s%s", stem, companion);
	move_corrupt(sp, other);
	free(other);
	return 0;
}

int
spool_recover(struct spool *sp, void (*cb)(void *, struct envelope *),
    void *arg)
{
	struct envelope	 *env;
	char		**names, *stem, *other;
	const char	 *why;
	size_t		  n, i, sl;
	int		  found = 0, changed = 0;

	if (spool_list_dir(sp->queuefd, &names, &n) == -1) {
		log_warn("spool: %s/queue", sp->dir);
		return 0;
	}
	/* One-file messages first: their .env, if any, goes with them. */
	for (i = 0; i < n; i++) {
		if (!has_suffix(names[i], ".q"))
			continue;
		sl = strlen(names[i]) - 2;
		stem = xstrndup(names[i], sl);
		env = recover_q(sp, names[i], stem, &why);
		if (settle(sp, names[i], stem, ".env", env, why, cb, arg))
			found++;
		else
			changed = 1;
		free(stem);
	}
	/* Envelopes of the older form (.msg and .env) next: a corrupt one
	 * takes its .msg along to corrupt/. */
	for (i = 0; i < n; i++) {
		if (!has_suffix(names[i], ".env") ||
		    !spool_exists_at(sp->queuefd, names[i]))
			continue;
		sl = strlen(names[i]) - 4;
		stem = xstrndup(names[i], sl);
		other = xasprintf("%s.q", stem);
		if (spool_exists_at(sp->queuefd, other)) {
			free(other);
			free(stem);
			continue;	/* a .q's, done above */
		}
		free(other);
		env = recover_one(sp, names[i], stem, &why, 0);
		if (settle(sp, names[i], stem, ".msg", env, why, cb, arg))
			found++;
		else
			changed = 1;
		free(stem);
	}
	/* Then messages whose .env never made it (a crash mid-commit). */
	for (i = 0; i < n; i++) {
		if (!has_suffix(names[i], ".msg") ||
		    !spool_exists_at(sp->queuefd, names[i]))
			continue;
		sl = strlen(names[i]) - 4;
		other = xasprintf("%.*s.env", (int)sl, names[i]);
		if (spool_exists_at(sp->queuefd, other)) {
			free(other);
			continue;
		}
		free(other);
		log_info("spool: removing queue/%s: no envelope", names[i]);
		if (unlinkat(sp->queuefd, names[i], 0) == -1)
			log_warn("spool: unlink queue/%s", names[i]);
		changed = 1;
	}
	strv_free(names, n);
	if (changed) {
		if (fsync(sp->queuefd) == -1)
			log_warn("spool: fsync %s/queue", sp->dir);
		if (fsync(sp->corruptfd) == -1)
			log_warn("spool: fsync %s/corrupt", sp->dir);
	}
	return found;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_list(const char *dir, void (*cb)(void *, const struct envelope *),
    void *arg, char *err, size_t errlen)
{
	struct envelope	 *env;
	char		**names, *path, *text;
	const char	 *why;
	size_t		  n, i, len = 0;
	int		  queuefd, found = 0;

	path = xasprintf("%s/queue", dir);
	queuefd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (queuefd == -1 || spool_list_dir(queuefd, &names, &n) == -1) {
		int saved = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		if (queuefd != -1)
			close(queuefd);
		free(path);
		errno = saved;
		return -1;
	}
	free(path);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	/* Each .env (the latest envelope, in both forms), and each .q
	 * without one (its envelope is inside: spool_qfile.h). */
	for (i = 0; i < n; i++) {
		if (has_suffix(names[i], ".q")) {
			char *e = xasprintf("%.*s.env",
			    (int)strlen(names[i]) - 2, names[i]);
			int later = spool_exists_at(queuefd, e);

			free(e);
			if (later ||
			    (env = qfile_read(queuefd, names[i], &why)) == NULL)
				continue;
		} else {
			if (!has_suffix(names[i], ".env") || (text =
			    read_env(queuefd, names[i], &len, &why)) == NULL)
				continue;
			env = envelope_from_text(text, len, &why);
			free(text);
			if (env == NULL)
				continue;
		}
		cb(arg, env);
		envelope_free(env);
		found++;
	}
	strv_free(names, n);
	close(queuefd);
	return found;
}
