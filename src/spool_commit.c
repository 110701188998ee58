/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_commit.c — owns the group commit (spool_commit.h): spool_commit()
 * completes each message's one file in tmp/ (the message, then its
 * envelope and trailer: spool_qfile.h), and commits requested while the
 * previous group is being synced are made durable together (on
 * fsync_pool.c's threads: one fdatasync per file, each followed by its
 * rename into queue/, then one directory fsync), then their callbacks
 * run: the loop hears from the threads once per group.  The reasoning about crashes is above
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
#include "spool_qfile.h"
#include "stats.h"
#include "util.h"

/* What a commit has done for one envelope, so a failure undoes exactly
 * that and never touches another commit's files. */
#define CE_RENAMED	0x1	/* queue/<id>.q in place */

/* SMARTHOSTD_TEST_COMMIT_PAUSE=k: the k-th group's directory fsync waits
 * this long first (crash tests: doc/decisions.md). */
#define TEST_PAUSE_SECONDS	60

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
 * Received: names its own id (first is NULL when the body names none),
 * then tail: its envelope and trailer.  Ids all have the same length, so
 * the copy has the same size.  Done on the loop: only a transaction split
 * into several batches pays for it.  Returns 0 or -1 (logged).
 */
static int
commit_copy_body(struct spool *sp, struct spool_body *body,
    struct commit_env *ce, const char *first, const char *tail,
    size_t taillen)
{
	char		 buf[65536];
	uint64_t	 off = 0, stale;
	ssize_t		 n;
	int		 in, out, ret = -1;

	if (first != NULL && (body->id_off + strlen(first) > body->size ||
	    strlen(ce->id) != strlen(first))) {
		log_warnx("spool: queue id outside the body of %s", ce->id);
		return -1;
	}
	if ((in = openat(sp->tmpfd, body->name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		log_warn("spool: open tmp/%s", body->name);
		ce->copy[0] = '\0';
		return -1;
	}
	out = spool_tmp_create(sp, "copy", ce->copy, sizeof(ce->copy), &stale);
	if (out == -1) {
		log_warn("spool: create a copy of tmp/%s", body->name);
		ce->copy[0] = '\0';
		close(in);
		return -1;
	}
	while (off < body->size) {
		if ((n = spool_body_pread(in, buf, sizeof(buf), off,
		    body->size)) <= 0) {
			if (n == 0)
				errno = EIO;	/* the body shrank */
			if (n == 0 || errno != EINTR)
				goto done;
			continue;
		}
		/* The id sits in this chunk: put ours in its place. */
		for (uint64_t i = 0; first != NULL && i < strlen(first); i++)
			if (body->id_off + i >= off &&
			    body->id_off + i < off + (uint64_t)n)
				buf[body->id_off + i - off] = ce->id[i];
		if (write_all(out, buf, (size_t)n) == -1)
			goto done;
		off += (uint64_t)n;
	}
	if (write_all(out, tail, taillen) == -1 ||
	    spool_tmp_fit(out, stale, body->size + taillen) == -1)
		goto done;
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

/* pwrite(2) all of buf at off.  Returns 0, or -1 with errno. */
static int
pwrite_all(int fd, const char *buf, size_t len, uint64_t off)
{
	ssize_t	n;

	while (len > 0) {
		n = pwrite(fd, buf, len, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* The copies' names in tmp/ are not needed once renamed (or undone). */
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
	enum { STAGE_IDLE, STAGE_SYNC } stage;
	struct fsync_pool	*pool;
	struct fsync_job	*jobs;
	int			 njobs;
	struct fsync_job	 dirjob;	/* the group's directory fsync */
	char			 note[128];	/* the test hook's log line */
	int			 dir_syncs;
	int			 test_pause;	/* group to pause, or 0 */
};

void
spool_commit(struct spool_commits *cm, struct spool_body *body,
    struct envelope **envs, int n, spool_commit_cb cb, void *arg)
{
	struct spool	*sp = cm->sp;
	struct commit	*c;
	char		*text, *tail0 = NULL;
	size_t		 len, tail0len = 0;
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
		env->one_file = true;
		strlcpy_(c->envs[i].id, env->id, sizeof(c->envs[i].id));
		text = qfile_tail(env, &len);
		if (i > 0) {
			/* Its own file: the body with its id, then its tail
			 * (a body without an id is copied as it is). */
			if (commit_copy_body(sp, body, &c->envs[i],
			    body->has_id ? envs[0]->id : NULL, text, len) == -1)
				c->failed = 1;
		} else
			tail0 = text, tail0len = len, text = NULL;
		free(text);
	}
	/* The first envelope's tail goes after the body only now: the
	 * copies above were made of the body alone. */
	if (!c->failed && tail0 != NULL && (pwrite_all(body->fd, tail0,
	    tail0len, body->size) == -1 || spool_tmp_fit(body->fd,
	    body->stale, body->size + tail0len) == -1)) {
		log_warn("spool: write tmp/%s", body->name);
		c->failed = 1;
	}
	free(tail0);

	/* Callbacks never run from here: the caller may not be ready. */
	TAILQ_INSERT_TAIL(&cm->pending, c, entry);
	if (cm->stage == STAGE_IDLE)
		event_active(cm->commit_ev, EV_TIMEOUT, 1);
}

/* Remove what c put in queue/ (its tmp/ files go with the body and the
 * copies in any case). */
static void
commit_undo(struct spool *sp, struct commit *c)
{
	char	name[NAME_MAX_];
	int	i;

	for (i = 0; i < c->n; i++) {
		struct commit_env *ce = &c->envs[i];

		snprintf(name, sizeof(name), "%s.q", ce->id);
		if ((ce->done & CE_RENAMED) &&
		    unlinkat(sp->queuefd, name, 0) == -1)
			log_warn("spool: unlink queue/%s", name);
		ce->done = 0;
	}
}

/* Steps 1 to 3 on fsync_pool.c's threads, for the whole group at once:
 * each file's content on disk (one file per envelope, each with its
 * envelope inside, so one fdatasync each: what a rename into queue/ may
 * point to must be whole first), then, by the same thread, its rename to
 * queue/<id>.q; once every file's job ended, the directory fsync.  The
 * loop hears once, at the end (commit_group_done()).  Returns the number
 * of file jobs started (0: none to wait for). */
static int
commit_sync_files(struct spool_commits *cm)
{
	struct spool	*sp = cm->sp;
	struct commit	*c;
	int		 n = 0, cap = 0, i;

	TAILQ_FOREACH(c, &cm->inflight, entry)
		if (!c->failed)
			cap += c->n;
	if (cap == 0)
		return 0;
	cm->jobs = xcalloc(cap, sizeof(*cm->jobs));
	TAILQ_FOREACH(c, &cm->inflight, entry) {
		if (c->failed)
			continue;
		for (i = 0; i < c->n; i++) {
			struct fsync_job	*j = &cm->jobs[n];
			struct commit_env	*ce = &c->envs[i];

			j->arg = c;
			j->tag = i;
			j->datasync = 1;
			j->rename = 1;
			j->fromfd = sp->tmpfd;
			j->tofd = sp->queuefd;
			snprintf(j->to, sizeof(j->to), "%s.q", ce->id);
			if (i == 0) {
				j->fd = c->body->fd;
				strlcpy_(j->what, c->body->name,
				    sizeof(j->what));
				strlcpy_(j->from, c->body->name,
				    sizeof(j->from));
				n++;
				continue;
			}
			strlcpy_(j->what, ce->copy, sizeof(j->what));
			strlcpy_(j->from, ce->copy, sizeof(j->from));
			j->fd = openat(sp->tmpfd, j->what,
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
	if (n == 0)
		return 0;
	memset(&cm->dirjob, 0, sizeof(cm->dirjob));
	cm->dirjob.fd = sp->queuefd;
	snprintf(cm->dirjob.what, sizeof(cm->dirjob.what), "%s/queue",
	    sp->dir);
	cm->dir_syncs++;
	if (cm->dir_syncs == cm->test_pause) {
		/* Logged by the thread once the renames are done. */
		snprintf(cm->note, sizeof(cm->note), "spool: test hook: group "
		    "%d renamed into queue/, its directory fsync waits %d s",
		    cm->dir_syncs, TEST_PAUSE_SECONDS);
		cm->dirjob.note = cm->note;
		cm->dirjob.pause = TEST_PAUSE_SECONDS;
	}
	fsync_pool_run(cm->pool, cm->jobs, n, &cm->dirjob);
	return n;
}

/* The group's jobs ended: a failed sync or rename fails its commit; what
 * was renamed is marked, its tmp/ name gone.  Returns whether any file
 * reached queue/. */
static int
commit_jobs_done(struct spool_commits *cm)
{
	int	renamed = 0;

	for (int i = 0; i < cm->njobs; i++) {
		struct fsync_job	*j = &cm->jobs[i];
		struct commit		*c = j->arg;
		struct commit_env	*ce = &c->envs[j->tag];

		if (j->err != 0) {
			errno = j->err;
			log_warn("spool: fdatasync %s", j->what);
			c->failed = 1;
		} else if (j->rename_err != 0) {
			errno = j->rename_err;
			log_warn("spool: rename tmp/%s to queue/%s", j->from,
			    j->to);
			c->failed = 1;
		}
		if (j->renamed) {
			renamed = 1;
			ce->done |= CE_RENAMED;
			/* Its tmp/ name is gone: nothing to remove there. */
			if (j->tag == 0)
				c->body->name[0] = '\0';
			else
				ce->copy[0] = '\0';
		}
		if (j->fd != c->body->fd)
			close(j->fd);
	}
	free(cm->jobs);
	cm->jobs = NULL;
	cm->njobs = 0;
	return renamed;
}

/*
 * Make every pending commit durable together, then run the callbacks.
 *
 * Why a crash at any point is safe:
 *  - before step 3 ends, no client has had a 250 for any of these
 *    messages, so losing them is allowed;
 *  - a crash before step 2: only tmp/ holds files, and spool_open empties
 *    tmp/, so nothing half-made is ever seen;
 *  - during step 2 and until step 3 ends, some of the group's .q files
 *    may be in queue/ and others not.  Each is renamed there only after
 *    step 1 made its whole content durable (message, envelope, trailer;
 *    fdatasync also writes the size and the blocks it needs to read the
 *    data back), and a rename is atomic, so a .q in queue/ is always
 *    whole: recovery delivers it (a message never acknowledged, sent
 *    whole: the client will retry, a duplicate at worst) or, if the name
 *    did not reach the disk, it is simply not there.  A .q whose trailer
 *    does not check is moved to corrupt/, never delivered;
 *  - between step 3 and the callbacks, the messages are durable but not
 *    acknowledged: the client retries and the mail goes out twice, which
 *    "at least once" accepts;
 *  - ok = 1 is reported only after the directory fsync returned.
 * A failure undoes only the commit it hit; a failed directory fsync fails
 * the whole group, since none of its names is known to be durable.
 * Steps 1 to 3 run on the threads (commit_sync_files()): a file's rename
 * follows its own fdatasync on the same thread, and the directory fsync
 * starts only once every file's job of the group has ended, so the
 * order above holds for each file; the undo of a failure (after step 3,
 * on the loop) removes names no client had a 250 for.
 */
static void	commit_group_done(struct spool_commits *);

/* Make every commit pending now the group in flight and hand it to the
 * threads.  false: nothing to sync (every commit failed already); the
 * group is then ended by commit_group_done() without threads. */
static bool
commit_start(struct spool_commits *cm)
{
	TAILQ_CONCAT(&cm->inflight, &cm->pending, entry);
	cm->stage = STAGE_SYNC;
	return commit_sync_files(cm) > 0;
}

/* Start the next group, or end one that had nothing to sync. */
static void
commit_run(int fd, short events, void *arg)
{
	struct spool_commits	*cm = arg;

	if (cm->stage == STAGE_SYNC && cm->njobs == 0) {
		commit_group_done(cm);
		return;
	}
	if (cm->stage != STAGE_IDLE || TAILQ_EMPTY(&cm->pending))
		return;
	if (!commit_start(cm))
		commit_group_done(cm);
}

/* The group's syncs, renames and directory fsync ended (fsync_pool.c
 * calls from the loop). */
static void
commit_synced(void *arg)
{
	struct spool_commits	*cm = arg;

	if (cm->stage == STAGE_SYNC)
		commit_group_done(cm);
}

/* Steps 4 and 5; then the next group, if one gathered meanwhile. */
static void
commit_group_done(struct spool_commits *cm)
{
	struct spool		*sp = cm->sp;
	struct commit_list	 group;
	struct commit		*c;
	int			 issued = cm->njobs > 0, undone = 0;
	int			 dir_failed;

	dir_failed = issued && cm->dirjob.err != 0;
	if (dir_failed) {
		errno = cm->dirjob.err;
		log_warn("spool: fsync %s", cm->dirjob.what);
	}
	if (issued)
		(void)commit_jobs_done(cm);
	/* A failed directory fsync fails the whole group: none of its names
	 * is known to be durable.  A commit whose own file failed loses the
	 * files of it that did reach queue/.  Neither had a 250: a crash
	 * before the undo sticks delivers such a whole .q anyway, a
	 * duplicate at worst. */
	TAILQ_FOREACH(c, &cm->inflight, entry) {
		if (dir_failed)
			c->failed = 1;
		if (c->failed) {
			for (int i = 0; i < c->n; i++)
				undone |= (c->envs[i].done & CE_RENAMED) != 0;
			commit_undo(sp, c);
		}
	}
	/* Best effort, so that the undo sticks. */
	if (undone)
		(void)fsync(sp->queuefd);

	/* Step 4: the tmp/ body name is no longer needed either way. */
	TAILQ_INIT(&group);
	TAILQ_CONCAT(&group, &cm->inflight, entry);
	TAILQ_FOREACH(c, &group, entry) {
		commit_remove_copies(sp, c);
		spool_body_release(c->body);
		c->body = NULL;
	}
	cm->stage = STAGE_IDLE;
	/* The next group goes to the threads before this one's callbacks
	 * (250 replies, queueing, relay starts), so the disk works while
	 * the loop does; one that has nothing to sync ends from the loop,
	 * never from here. */
	if (!TAILQ_EMPTY(&cm->pending) && !commit_start(cm))
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
	const char		*pause;

	cm->sp = sp;
	cm->base = base;
	if ((pause = getenv("SMARTHOSTD_TEST_COMMIT_PAUSE")) != NULL) {
		cm->test_pause = atoi(pause);
		log_warnx("spool: test hook SMARTHOSTD_TEST_COMMIT_PAUSE=%d set",
		    cm->test_pause);
	}
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
		(void)commit_jobs_done(cm);
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
