/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_commit.c — owns the group commit (spool_commit.h): spool_commit()
 * queues a message's files in tmp/, and commits requested while the
 * previous group is being synced are made durable together (file fsyncs on
 * fsync_pool.c's threads, links and renames into queue/, one directory
 * fsync), then their callbacks run.  The reasoning about crashes is above
 * commit_run().  It builds on the spool (spool_int.h: its directories and
 * bodies); the spool knows nothing of it.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "envelope.h"
#include "fsync_pool.h"
#include "log.h"
#include "spool.h"
#include "spool_commit.h"
#include "spool_int.h"
#include "stats.h"
#include "util.h"

/* What a commit has done for one envelope, so a failure undoes exactly
 * that and never touches another commit's files. */
#define CE_TMP_ENV	0x1	/* tmp/<id>.env written */
#define CE_LINKED	0x2	/* queue/<id>.msg linked */
#define CE_RENAMED	0x4	/* queue/<id>.env in place */

struct commit_env {
	char		 id[QUEUE_ID_MAX + 1];
	unsigned	 done;
	char		 copy[NAME_MAX_];	/* tmp/ body of its own, or "" */
};

struct commit {
	TAILQ_ENTRY(commit)	 entry;
	struct spool_body	*body;
	struct commit_env	*envs;
	int			 n;
	int			 failed;
	spool_commit_cb		 cb;
	void			*arg;
	struct timespec		 started;	/* for the duration metric */
};

/*
 * A copy of the body in tmp/ with this envelope's id where the first
 * envelope's is (spool_body_id_at()), so that each queued message's
 * Received: names its own id.  Ids all have the same length, so the copy
 * has the same size.  Done on the loop: only a transaction split into
 * several batches pays for it.  Returns 0 or -1 (logged).
 */
static int
commit_copy_body(struct spool *sp, struct spool_body *body,
    struct commit_env *ce, const char *first)
{
	char		 buf[65536];
	uint64_t	 off = 0;
	ssize_t		 n;
	int		 in, out, ret = -1;

	if (body->id_off + strlen(first) > body->size ||
	    strlen(ce->id) != strlen(first)) {
		log_warnx("spool: queue id outside the body of %s", ce->id);
		return -1;
	}
	snprintf(ce->copy, sizeof(ce->copy), "%s.copy", ce->id);
	if ((in = openat(sp->tmpfd, body->name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		log_warn("spool: open tmp/%s", body->name);
		ce->copy[0] = '\0';
		return -1;
	}
	out = openat(sp->tmpfd, ce->copy, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out == -1) {
		log_warn("spool: create tmp/%s", ce->copy);
		ce->copy[0] = '\0';
		close(in);
		return -1;
	}
	while (off < body->size) {
		if ((n = pread(in, buf, sizeof(buf), (off_t)off)) <= 0) {
			if (n == 0)
				errno = EIO;	/* the body shrank */
			if (n == 0 || errno != EINTR)
				goto done;
			continue;
		}
		/* The id sits in this chunk: put ours in its place. */
		for (uint64_t i = 0; i < strlen(first); i++)
			if (body->id_off + i >= off &&
			    body->id_off + i < off + (uint64_t)n)
				buf[body->id_off + i - off] = ce->id[i];
		if (write_all(out, buf, (size_t)n) == -1)
			goto done;
		off += (uint64_t)n;
	}
	ret = 0;
done:
	if (ret == -1)
		log_warn("spool: copy tmp/%s", ce->copy);
	close(in);
	if (close(out) == -1 && ret == 0) {
		log_warn("spool: close tmp/%s", ce->copy);
		ret = -1;
	}
	return ret;
}

/* The copies' names in tmp/ are not needed once linked (or undone). */
static void
commit_remove_copies(struct spool *sp, struct commit *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->envs[i].copy[0] != '\0') {
			if (unlinkat(sp->tmpfd, c->envs[i].copy, 0) == -1)
				log_warn("spool: unlink tmp/%s",
				    c->envs[i].copy);
			c->envs[i].copy[0] = '\0';
		}
}

TAILQ_HEAD(commit_list, commit);

struct spool_commits {
	struct spool		*sp;
	struct event_base	*base;
	struct event		*commit_ev;
	struct commit_list	 pending;
	/* The group being made durable, while the next one gathers in
	 * pending: one group in flight at a time. */
	struct commit_list	 inflight;
	enum { STAGE_IDLE, STAGE_FILES, STAGE_DIR } stage;
	struct fsync_pool	*pool;
	struct fsync_job	*jobs;
	int			 njobs;
	int			 dir_syncs;
};

void
spool_commit(struct spool_commits *cm, struct spool_body *body,
    struct envelope **envs, int n, spool_commit_cb cb, void *arg)
{
	struct spool	*sp = cm->sp;
	struct commit	*c;
	char		 name[NAME_MAX_], *text;
	size_t		 len;
	int		 i;

	c = xcalloc(1, sizeof(*c));
	c->body = body;
	stats_clock(&c->started);
	c->cb = cb;
	c->arg = arg;
	c->n = n > 0 ? n : 0;
	c->envs = xcalloc(c->n, sizeof(*c->envs));

	if (n <= 0) {
		log_warnx("spool: commit without envelopes");
		c->failed = 1;
	} else if (spool_body_flush(body) == -1) {
		log_warn("spool: write tmp/%s", body->name);
		c->failed = 1;
	}
	/* The buffer is no longer needed: keep memory bounded while the
	 * commit waits for its turn. */
	free(body->buf);
	body->buf = NULL;

	for (i = 0; i < c->n && !c->failed; i++) {
		struct envelope *env = envs[i];

		if (env->id[0] == '\0')
			spool_new_id(sp, env->id, sizeof(env->id));
		if (!envelope_id_valid(env->id)) {
			log_warnx("spool: bad queue id \"%s\"", env->id);
			c->failed = 1;
			break;
		}
		env->size = body->size;
		strlcpy_(c->envs[i].id, env->id, sizeof(c->envs[i].id));
		if (i > 0 && body->has_id &&
		    commit_copy_body(sp, body, &c->envs[i], envs[0]->id) == -1) {
			c->failed = 1;
			break;
		}
		text = envelope_to_text(env, &len);
		snprintf(name, sizeof(name), "%s.env", env->id);
		/* O_EXCL: a duplicate id must fail, not overwrite. */
		if (spool_write_file_at(sp->tmpfd, name, text, len, O_EXCL,
		    0) == -1) {
			log_warn("spool: write tmp/%s", name);
			c->failed = 1;
		} else
			c->envs[i].done |= CE_TMP_ENV;
		free(text);
	}

	/* Callbacks never run from here: the caller may not be ready. */
	TAILQ_INSERT_TAIL(&cm->pending, c, entry);
	if (cm->stage == STAGE_IDLE)
		event_active(cm->commit_ev, EV_TIMEOUT, 1);
}

/* Remove whatever c created, newest first: .env before .msg in queue/. */
static void
commit_undo(struct spool *sp, struct commit *c)
{
	char	name[NAME_MAX_];
	int	i;

	for (i = 0; i < c->n; i++) {
		struct commit_env *ce = &c->envs[i];

		snprintf(name, sizeof(name), "%s.env", ce->id);
		if ((ce->done & CE_RENAMED) &&
		    unlinkat(sp->queuefd, name, 0) == -1)
			log_warn("spool: unlink queue/%s", name);
		if ((ce->done & CE_TMP_ENV) &&
		    unlinkat(sp->tmpfd, name, 0) == -1)
			log_warn("spool: unlink tmp/%s", name);
		snprintf(name, sizeof(name), "%s.msg", ce->id);
		if ((ce->done & CE_LINKED) &&
		    unlinkat(sp->queuefd, name, 0) == -1)
			log_warn("spool: unlink queue/%s", name);
		ce->done = 0;
	}
}

/* Step 1: every file's content on disk, for the whole group at once.
 * fsync of a directory entry's target is useless if the data is not
 * there first.  Returns the number of jobs started (0: none to wait for). */
static int
commit_sync_files(struct spool_commits *cm)
{
	struct commit	*c;
	int		 n = 0, cap = 0, i;

	TAILQ_FOREACH(c, &cm->inflight, entry)
		if (!c->failed)
			cap += 1 + 2 * c->n;
	if (cap == 0)
		return 0;
	cm->jobs = xcalloc(cap, sizeof(*cm->jobs));
	TAILQ_FOREACH(c, &cm->inflight, entry) {
		if (c->failed)
			continue;
		cm->jobs[n].fd = c->body->fd;
		cm->jobs[n].arg = c;
		strlcpy_(cm->jobs[n].what, c->body->name,
		    sizeof(cm->jobs[n].what));
		n++;
		for (i = 0; i < 2 * c->n; i++) {
			struct fsync_job	*j = &cm->jobs[n];
			struct commit_env	*ce = &c->envs[i / 2];

			/* Its envelope, then its own body if it has one. */
			if (i % 2 == 0)
				snprintf(j->what, sizeof(j->what), "%s.env",
				    ce->id);
			else if (ce->copy[0] != '\0')
				strlcpy_(j->what, ce->copy, sizeof(j->what));
			else
				continue;
			j->arg = c;
			j->fd = openat(cm->sp->tmpfd, j->what,
			    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (j->fd == -1) {
				log_warn("spool: open tmp/%s", j->what);
				c->failed = 1;
				continue;
			}
			n++;
		}
	}
	cm->njobs = n;
	if (n > 0)
		fsync_pool_run(cm->pool, cm->jobs, n);
	return n;
}

/* The jobs of a stage are done: failures fail their commit. */
static void
commit_jobs_done(struct spool_commits *cm)
{
	for (int i = 0; i < cm->njobs; i++) {
		struct fsync_job	*j = &cm->jobs[i];
		struct commit		*c = j->arg;

		if (j->err != 0) {
			errno = j->err;
			log_warn("spool: fsync %s", j->what);
			if (c != NULL)
				c->failed = 1;
		}
		if (c != NULL && j->fd != c->body->fd)
			close(j->fd);
	}
	free(cm->jobs);
	cm->jobs = NULL;
	cm->njobs = 0;
}

/* Step 2: the names in queue/, .msg before the .env that names it. */
static void
commit_link(struct spool *sp, struct commit *c)
{
	char	ename[NAME_MAX_], mname[NAME_MAX_];
	int	i;

	for (i = 0; i < c->n; i++) {
		struct commit_env *ce = &c->envs[i];

		snprintf(ename, sizeof(ename), "%s.env", ce->id);
		snprintf(mname, sizeof(mname), "%s.msg", ce->id);
		/* linkat fails with EEXIST rather than replace a message. */
		if (linkat(sp->tmpfd, ce->copy[0] != '\0' ? ce->copy :
		    c->body->name, sp->queuefd, mname, 0) == -1) {
			log_warn("spool: link queue/%s", mname);
			c->failed = 1;
			return;
		}
		ce->done |= CE_LINKED;
		if (spool_exists_at(sp->queuefd, ename)) {
			log_warnx("spool: queue/%s exists already", ename);
			c->failed = 1;
			return;
		}
		if (renameat(sp->tmpfd, ename, sp->queuefd, ename) == -1) {
			log_warn("spool: rename queue/%s", ename);
			c->failed = 1;
			return;
		}
		ce->done &= ~CE_TMP_ENV;
		ce->done |= CE_RENAMED;
	}
}

/*
 * Make every pending commit durable together, then run the callbacks.
 *
 * Why a crash at any point is safe:
 *  - before step 3 ends, no client has had a 250 for any of these
 *    messages, so losing them is allowed;
 *  - a crash before step 2: only tmp/ holds files, and spool_open empties
 *    tmp/, so nothing half-made is ever seen;
 *  - during step 2, a .msg can be in queue/ without its .env: recovery
 *    removes such orphans.  An .env is renamed into place only after its
 *    .msg name exists and both files' contents were fsync'd in step 1,
 *    so a durable .env never names missing or partial data.  (Both names
 *    live in queue/ and are made durable by the same directory fsync;
 *    journaling file systems keep their order.  Where one does not, the
 *    worst outcome is an .env without .msg that recovery moves to
 *    corrupt/ for a message that was never acknowledged.);
 *  - between step 3 and the callbacks, the messages are durable but not
 *    acknowledged: the client retries and the mail goes out twice, which
 *    "at least once" accepts;
 *  - ok = 1 is reported only after the directory fsync returned.
 * A failure undoes only the commit it hit; a failed directory fsync fails
 * the whole group, since none of its names is known to be durable.
 */
static void	commit_files_synced(struct spool_commits *);
static void	commit_dir_synced(struct spool_commits *);

/* Start the next group: every commit pending now. */
static void
commit_run(int fd, short events, void *arg)
{
	struct spool_commits	*cm = arg;

	if (cm->stage != STAGE_IDLE || TAILQ_EMPTY(&cm->pending))
		return;
	TAILQ_CONCAT(&cm->inflight, &cm->pending, entry);
	cm->stage = STAGE_FILES;
	if (commit_sync_files(cm) == 0)
		commit_files_synced(cm);
}

/* A stage's fsyncs ended (fsync_pool.c calls from the loop). */
static void
commit_synced(void *arg)
{
	struct spool_commits	*cm = arg;

	if (cm->stage == STAGE_FILES)
		commit_files_synced(cm);
	else if (cm->stage == STAGE_DIR)
		commit_dir_synced(cm);
}

/* Step 2, then the directory fsync (step 3) on the threads. */
static void
commit_files_synced(struct spool_commits *cm)
{
	struct spool	*sp = cm->sp;
	struct commit	*c;
	int		 renamed = 0;

	commit_jobs_done(cm);
	TAILQ_FOREACH(c, &cm->inflight, entry) {
		if (!c->failed)
			commit_link(sp, c);
		if (c->failed)
			commit_undo(sp, c);
		else
			renamed = 1;
	}
	if (!renamed) {
		commit_dir_synced(cm);
		return;
	}
	cm->dir_syncs++;
	cm->stage = STAGE_DIR;
	cm->jobs = xcalloc(1, sizeof(*cm->jobs));
	cm->jobs[0].fd = sp->queuefd;
	snprintf(cm->jobs[0].what, sizeof(cm->jobs[0].what), "%s/queue",
	    sp->dir);
	cm->njobs = 1;
	fsync_pool_run(cm->pool, cm->jobs, 1);
}

/* Steps 4 and 5; then the next group, if one gathered meanwhile. */
static void
commit_dir_synced(struct spool_commits *cm)
{
	struct spool		*sp = cm->sp;
	struct commit_list	 group;
	struct commit		*c;
	int			 dir_failed = 0;

	if (cm->njobs == 1 && cm->jobs[0].arg == NULL)
		dir_failed = cm->jobs[0].err != 0;
	commit_jobs_done(cm);
	if (dir_failed) {
		TAILQ_FOREACH(c, &cm->inflight, entry) {
			if (!c->failed)
				commit_undo(sp, c);
			c->failed = 1;
		}
		/* Best effort, so that the undo sticks. */
		(void)fsync(sp->queuefd);
	}

	/* Step 4: the tmp/ body name is no longer needed either way. */
	TAILQ_INIT(&group);
	TAILQ_CONCAT(&group, &cm->inflight, entry);
	TAILQ_FOREACH(c, &group, entry) {
		commit_remove_copies(sp, c);
		spool_body_release(c->body);
		c->body = NULL;
	}
	cm->stage = STAGE_IDLE;
	if (!TAILQ_EMPTY(&cm->pending))
		event_active(cm->commit_ev, EV_TIMEOUT, 1);

	/* Step 5: callbacks, which may commit again (into cm->pending) or
	 * free things; nothing here touches cm any more. */
	while ((c = TAILQ_FIRST(&group)) != NULL) {
		TAILQ_REMOVE(&group, c, entry);
		if (!c->failed)
			stats_observe(SH_COMMIT, stats_elapsed(&c->started));
		if (c->cb != NULL)
			c->cb(c->arg, !c->failed);
		free(c->envs);
		free(c);
	}
}

struct spool_commits *
spool_commits_new(struct spool *sp, struct event_base *base)
{
	struct spool_commits	*cm = xcalloc(1, sizeof(*cm));

	cm->sp = sp;
	cm->base = base;
	TAILQ_INIT(&cm->pending);
	TAILQ_INIT(&cm->inflight);
	if ((cm->commit_ev = event_new(base, -1, 0, commit_run, cm)) == NULL ||
	    (cm->pool = fsync_pool_new(base, commit_synced, cm)) == NULL) {
		int saved = errno;

		if (cm->commit_ev != NULL)
			event_free(cm->commit_ev);
		free(cm);
		errno = saved;
		return NULL;
	}
	return cm;
}

int
spool_commits_dir_syncs(const struct spool_commits *cm)
{
	return cm->dir_syncs;
}

void
spool_commits_free(struct spool_commits *cm)
{
	struct commit	*c;

	if (cm == NULL)
		return;
	/* The threads first: nothing may fsync what is undone below. */
	fsync_pool_free(cm->pool);
	if (cm->njobs > 0)
		commit_jobs_done(cm);
	TAILQ_CONCAT(&cm->inflight, &cm->pending, entry);
	if (!TAILQ_EMPTY(&cm->inflight))
		log_warnx("spool: abandoning commits not yet durable");
	while ((c = TAILQ_FIRST(&cm->inflight)) != NULL) {
		TAILQ_REMOVE(&cm->inflight, c, entry);
		commit_undo(cm->sp, c);
		commit_remove_copies(cm->sp, c);
		spool_body_release(c->body);
		if (c->cb != NULL)
			c->cb(c->arg, 0);
		free(c->envs);
		free(c);
	}
	event_free(cm->commit_ev);
	free(cm);
}
