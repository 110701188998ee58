/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_recover.c — owns the walk of queue/ at start (spool_recover() in
 * spool.h): which files make a queued message, in both forms the spool
 * has had, and what is removed or moved to corrupt/; and the read-only
 * listing of the same for smarthost-sendmail -bp (spool_list()).  The
 * reasoning about what a crash can leave is in spool_commit.c above
 * commit_run().
 *
 * Which names queue/ holds is read once, sorted, and asked with a binary
 * search (struct qnames), not with a stat of each companion file.
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

/*
 * queue/'s names as the walk listed them, sorted, and which of them the
 * walk has moved or removed since.  Nothing else changes queue/ while the
 * walk runs: it runs before the event loop starts, so no commit, delivery
 * or control command can, and the injector writes only to incoming/.  So
 * "is queue/<name> there?" has the answer an fstatat would give, with no
 * system call per message; a crash during the walk leaves what it left
 * before, and the next start lists queue/ again.
 */
struct qnames {
	char	**v;
	bool	 *gone;
	size_t	  n;
};

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List dirfd's names into qn, sorted.  Returns 0, or -1 with errno. */
static int
qnames_read(int dirfd, struct qnames *qn)
{
	if (spool_list_dir(dirfd, &qn->v, &qn->n) == -1)
		return -1;
	if (qn->n > 1)
		qsort(qn->v, qn->n, sizeof(*qn->v), cmp_names);
	qn->gone = xcalloc(qn->n ? qn->n : 1, sizeof(*qn->gone));
	return 0;
}

static void
qnames_free(struct qnames *qn)
{
	strv_free(qn->v, qn->n);
	free(qn->gone);
}

/* The index of stem + suffix, or -1. */
static ssize_t
qnames_find(const struct qnames *qn, const char *stem, const char *suffix)
{
	char		 buf[2 * NAME_MAX_ + 256];
	const char	*key = buf;
	char *const	*p;

	if ((size_t)snprintf(buf, sizeof(buf), "%s%s", stem, suffix) >=
	    sizeof(buf))
		return -1;	/* longer than any name a directory holds */
	p = bsearch(&key, qn->v, qn->n, sizeof(*qn->v), cmp_names);
	return p == NULL ? -1 : p - qn->v;
}

/* Is queue/<stem><suffix> there? */
static bool
qnames_has(const struct qnames *qn, const char *stem, const char *suffix)
{
	ssize_t	i = qnames_find(qn, stem, suffix);

	return i != -1 && !qn->gone[i];
}

/* queue/<stem><suffix> is gone (moved or removed by the walk). */
static void
qnames_gone(struct qnames *qn, const char *stem, const char *suffix)
{
	ssize_t	i = qnames_find(qn, stem, suffix);

	if (i != -1)
		qn->gone[i] = true;
}

/* Move queue/<stem><suffix> to corrupt/, if it is there. */
static void
move_corrupt(struct spool *sp, struct qnames *qn, const char *stem,
    const char *suffix)
{
	char	*name;

	if (!qnames_has(qn, stem, suffix))
		return;
	name = xasprintf("%s%s", stem, suffix);
	if (spool_move_corrupt_from(sp, sp->queuefd, "queue", name) == 0)
		qnames_gone(qn, stem, suffix);
	free(name);
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

	if ((fd = qfile_open(dirfd, name, &st, why)) == -1)
		return NULL;
	if (st.st_size > QFILE_ENV_MAX) {
		*why = "too large";
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
recover_q(struct spool *sp, struct qnames *qn, const char *qname,
    const char *stem, const char **why)
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
	if (!qnames_has(qn, stem, ".env"))
		return env;
	snprintf(ename, sizeof(ename), "%s.env", stem);
	later = recover_one(sp, ename, stem, &why2, env->size);
	if (later == NULL) {
		log_warnx("spool: queue/%s: %s; moved to %s/corrupt, the "
		    "envelope in queue/%s is used", ename, why2 ? why2 :
		    "unreadable", sp->dir, qname);
		move_corrupt(sp, qn, stem, ".env");
		return env;
	}
	envelope_free(env);
	later->one_file = true;
	return later;
}

/* Is queue/name a regular file of no octets? */
static bool
empty_q(struct spool *sp, const char *name)
{
	struct stat	st;

	return fstatat(sp->queuefd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size == 0;
}

/* One walk of queue/ at start: its names, what it found, and whether it
 * moved or removed anything (then it fsyncs the directories). */
struct walk {
	struct spool	*sp;
	struct qnames	 qn;
	void		(*cb)(void *, struct envelope *);
	void		*arg;
	int		 found, changed;
};

/*
 * One message's outcome at recovery: handed to cb, or logged and moved to
 * corrupt/, stem + suffix with its companion file, stem + companion.
 */
static void
settle(struct walk *w, const char *stem, const char *suffix,
    const char *companion, struct envelope *env, const char *why)
{
	if (env != NULL) {
		w->cb(w->arg, env);
		w->found++;
		return;
	}
	log_warnx("spool: queue/%s%s: %s; moved to %s/corrupt", stem, suffix,
	    why ? why : "unreadable", w->sp->dir);
	move_corrupt(w->sp, &w->qn, stem, suffix);
	move_corrupt(w->sp, &w->qn, stem, companion);
	w->changed = 1;
}

/*
 * The walk's three passes, each over the sorted names: one-file messages
 * first (their .env, if any, goes with them), then the older form's .env
 * that no .q claims (a corrupt one takes its .msg along to corrupt/), then
 * the .msg whose .env never made it (a crash mid-commit before 0.2).
 */
int
spool_recover(struct spool *sp, void (*cb)(void *, struct envelope *),
    void *arg)
{
	struct walk	 w = { .sp = sp, .cb = cb, .arg = arg };
	struct qnames	*qn = &w.qn;
	struct envelope	*env;
	char		*stem;
	const char	*name, *why;
	size_t		 i;

	if (qnames_read(sp->queuefd, qn) == -1) {
		log_warn("spool: %s/queue", sp->dir);
		return 0;
	}
	for (i = 0; i < qn->n; i++) {
		if (qn->gone[i] || !has_suffix(qn->v[i], ".q"))
			continue;
		if (empty_q(sp, qn->v[i])) {
			/* A commit writes a .q whole before naming it; only
			 * the unlink thread empties one, once delivered
			 * (spool_unlink.c), and a crash may leave its
			 * emptying on disk but not its rename. */
			log_info("spool: removing queue/%s: empty, a "
			    "delivered message's file", qn->v[i]);
			if (unlinkat(sp->queuefd, qn->v[i], 0) == -1)
				log_warn("spool: unlink queue/%s", qn->v[i]);
			else
				qn->gone[i] = true;
			w.changed = 1;
			continue;
		}
		stem = xstrndup(qn->v[i], strlen(qn->v[i]) - 2);
		env = recover_q(sp, qn, qn->v[i], stem, &why);
		settle(&w, stem, ".q", ".env", env, why);
		free(stem);
	}
	for (i = 0; i < qn->n; i++) {
		if (qn->gone[i] || !has_suffix(qn->v[i], ".env"))
			continue;
		stem = xstrndup(qn->v[i], strlen(qn->v[i]) - 4);
		if (!qnames_has(qn, stem, ".q")) {	/* else done above */
			env = recover_one(sp, qn->v[i], stem, &why, 0);
			settle(&w, stem, ".env", ".msg", env, why);
		}
		free(stem);
	}
	for (i = 0; i < qn->n; i++) {
		name = qn->v[i];
		if (qn->gone[i] || !has_suffix(name, ".msg"))
			continue;
		stem = xstrndup(name, strlen(name) - 4);
		if (!qnames_has(qn, stem, ".env")) {
			log_info("spool: removing queue/%s: no envelope", name);
			if (unlinkat(sp->queuefd, name, 0) == -1)
				log_warn("spool: unlink queue/%s", name);
			else
				qn->gone[i] = true;
			w.changed = 1;
		}
		free(stem);
	}
	qnames_free(qn);
	if (w.changed) {
		if (fsync(sp->queuefd) == -1)
			log_warn("spool: fsync %s/queue", sp->dir);
		if (fsync(sp->corruptfd) == -1)
			log_warn("spool: fsync %s/corrupt", sp->dir);
	}
	return w.found;
}

int
spool_list(const char *dir, void (*cb)(void *, const struct envelope *),
    void *arg, char *err, size_t errlen)
{
	struct qnames	 qn;
	struct envelope	*env;
	char		*path, *text, *stem;
	const char	*why;
	size_t		 i, len = 0;
	int		 queuefd, found = 0, later;

	path = xasprintf("%s/queue", dir);
	queuefd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (queuefd == -1 || qnames_read(queuefd, &qn) == -1) {
		int saved = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		if (queuefd != -1)
			close(queuefd);
		free(path);
		errno = saved;
		return -1;
	}
	free(path);
	/* Each .env (the latest envelope, in both forms), and each .q
	 * without one (its envelope is inside: spool_qfile.h).  A running
	 * daemon may change queue/ meanwhile: a name gone since the listing
	 * is passed over, one that came after it is not looked at. */
	for (i = 0; i < qn.n; i++) {
		if (has_suffix(qn.v[i], ".q")) {
			stem = xstrndup(qn.v[i], strlen(qn.v[i]) - 2);
			later = qnames_has(&qn, stem, ".env");
			free(stem);
			if (later ||
			    (env = qfile_read(queuefd, qn.v[i], &why)) == NULL)
				continue;
		} else {
			if (!has_suffix(qn.v[i], ".env") || (text =
			    read_env(queuefd, qn.v[i], &len, &why)) == NULL)
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
	qnames_free(&qn);
	close(queuefd);
	return found;
}
