/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool-t.c — the spool on a real directory with a real event loop: group
 * commit, update, remove, abort, recovery, and the files a crash leaves.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "envelope.h"
#include "log.h"
#include "spool.h"
#include "spool_commit.h"
#include "spool_qfile.h"
#include "util.h"
#include "../tap.h"

static char	 top[64];
static struct spool_commits *cm;	/* the open spool's commits */
static char	 spooldir[128];

struct result {
	int	calls;
	int	ok;
};

static void
commit_done(void *arg, int okay)
{
	struct result	*r = arg;

	r->calls++;
	r->ok = okay;
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	buf = xmalloc(st.st_size + 1);
	*len = read(fd, buf, st.st_size);
	buf[*len] = '\0';
	close(fd);
	return buf;
}

static void
put(const char *sub, const char *name, const char *text)
{
	char	path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s/%s", spooldir, sub, name);
	if ((f = fopen(path, "w")) == NULL)
		fatal("%s", path);
	fputs(text, f);
	fclose(f);
}

static int
exists(const char *sub, const char *name)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", spooldir, sub, name);
	return access(path, F_OK) == 0;
}

static int
count_dir(const char *sub)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s", spooldir, sub);
	return tap_count_dir(path);
}

/* The envelope of a queued message: its .env if it has one, else the
 * one inside its .q. */
static struct envelope *
load_env(const char *id)
{
	char		 path[512], *text;
	size_t		 len;
	const char	*err;
	struct envelope	*env;
	int		 dfd;

	snprintf(path, sizeof(path), "%s/queue/%s.env", spooldir, id);
	if ((text = slurp(path, &len)) == NULL) {
		snprintf(path, sizeof(path), "%s/queue", spooldir);
		if ((dfd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
			return NULL;
		snprintf(path, sizeof(path), "%s.q", id);
		env = qfile_read(dfd, path, &err);
		close(dfd);
		return env;
	}
	env = envelope_from_text(text, len, &err);
	free(text);
	if (env != NULL) {
		char	name[64];

		snprintf(name, sizeof(name), "%s.q", id);
		env->one_file = exists("queue", name);
	}
	return env;
}

/* An envelope naming a queued message, for spool_msg_path and the like. */
static struct envelope *
env_of(const char *id)
{
	struct envelope	*env = envelope_new();

	strlcpy_(env->id, id, sizeof(env->id));
	env->one_file = true;
	return env;
}

static struct envelope *
make_env(const char *sender, const char *rcpt)
{
	struct envelope	*env = envelope_new();

	env->sender = xstrdup(sender);
	env->listener = xstrdup("local");
	env->created = 1700000000;
	envelope_add_rcpt(env, rcpt);
	return env;
}

/* The body: 200,000 octets of a pattern, written in uneven chunks. */
#define BODY_LEN	200000
static char	body_data[BODY_LEN];

static struct spool_body *
write_body(struct spool *sp)
{
	struct spool_body	*b;
	size_t			 off = 0, chunk;
	size_t			 sizes[] = {
		1, 77, 1000, 70000, 3, 65536, 8192
	};
	int			 i = 0, fails = 0;

	b = spool_body_new(sp);
	if (b == NULL)
		return NULL;
	while (off < BODY_LEN) {
		chunk = sizes[i++ % 7];
		if (chunk > BODY_LEN - off)
			chunk = BODY_LEN - off;
		if (spool_body_write(b, body_data + off, chunk) == -1)
			fails++;
		off += chunk;
	}
	is_int(fails, 0, "body writes succeed");
	return b;
}

static void
test_ids(struct spool *sp)
{
	char	prev[QUEUE_ID_MAX + 1] = "", id[QUEUE_ID_MAX + 1];
	int	i, good = 1;

	for (i = 0; i < 5000; i++) {
		spool_new_id(sp, id, sizeof(id));
		if (strlen(id) != 16 || strspn(id, "0123456789ABCDEF") != 16 ||
		    strcmp(id, prev) <= 0)
			good = 0;
		strlcpy_(prev, id, sizeof(prev));
	}
	ok(good, "5000 ids: 16 upper-case hex digits, strictly increasing");
}

static void
test_commit(struct event_base *base, struct spool *sp, char ids[3][32])
{
	struct spool_body	*b;
	struct envelope		*envs[3], *back;
	struct result		 r = { 0, -1 };
	char			 path[512], *text;
	size_t			 len;
	struct stat		 st;
	int			 i, syncs0;

	b = write_body(sp);
	ok(b != NULL, "body_new");
	if (b == NULL)
		return;
	ok(spool_body_size(b) == BODY_LEN, "body size counted");
	is_int(count_dir("tmp"), 1, "body lives in tmp/");

	envs[0] = make_env("", "a@example.org");
	envs[1] = make_env("s@example.org", "\"b c\"@example.org");
	envs[2] = make_env("s@example.org", "d@example.org");
	spool_new_id(sp, envs[0]->id, sizeof(envs[0]->id));
	spool_new_id(sp, envs[1]->id, sizeof(envs[1]->id));
	/* envs[2] gets its id from spool_commit. */
	syncs0 = spool_commits_dir_syncs(cm);
	spool_commit(cm, b, envs, 3, commit_done, &r);
	is_int(r.calls, 0, "callback not run inside spool_commit");
	ok(envs[2]->id[0] != '\0', "empty id filled in");
	is_int(count_dir("queue"), 0, "nothing in queue/ before the loop");

	event_base_dispatch(base);
	is_int(r.calls, 1, "callback ran once");
	is_int(r.ok, 1, "commit ok");
	is_int(spool_commits_dir_syncs(cm) - syncs0, 1, "one directory fsync");
	is_int(count_dir("tmp"), 0, "tmp/ empty after commit");
	is_int(count_dir("queue"), 3, "three .q, one file per message");

	for (i = 0; i < 3; i++) {
		strlcpy_(ids[i], envs[i]->id, 32);
		ok(envs[i]->size == BODY_LEN, "env->size set");
		ok(envs[i]->one_file, "env->one_file set");
		spool_msg_path(sp, envs[i], path, sizeof(path));
		ok(strlen(path) > 2 && strcmp(path + strlen(path) - 2, ".q") ==
		    0, "the message path is the .q");
		text = slurp(path, &len);
		ok(text != NULL && len > BODY_LEN + QFILE_TRAILER &&
		    memcmp(text, body_data, BODY_LEN) == 0,
		    ".q starts with the body");
		ok(text != NULL && strncmp(text + BODY_LEN,
		    "smarthostd-envelope", 19) == 0, "... then the envelope");
		ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
		    ".q mode 0600");
		free(text);
		back = load_env(envs[i]->id);
		ok(back != NULL, "the envelope in the .q parses");
		if (back != NULL) {
			ok(back->size == BODY_LEN, "... has the size");
			is_str(back->id, envs[i]->id, "... its own id");
			is_str(back->rcpts[0].addr, envs[i]->rcpts[0].addr,
			    "... its recipient");
		}
		envelope_free(back);
		envelope_free(envs[i]);
	}
	ok(strstr(path, "/queue/") != NULL && strncmp(path, spooldir,
	    strlen(spooldir)) == 0, "msg path under the spool");
}

static void
test_group(struct event_base *base, struct spool *sp)
{
	struct spool_body	*b1, *b2;
	struct envelope		*e1, *e2;
	struct result		 r1 = { 0, -1 }, r2 = { 0, -1 };
	int			 syncs0;

	b1 = spool_body_new(sp);
	b2 = spool_body_new(sp);
	spool_body_write(b1, "one\r\n", 5);
	spool_body_write(b2, "two!\r\n", 6);
	e1 = make_env("x@y", "one@y");
	e2 = make_env("x@y", "two@y");
	syncs0 = spool_commits_dir_syncs(cm);
	spool_commit(cm, b1, &e1, 1, commit_done, &r1);
	spool_commit(cm, b2, &e2, 1, commit_done, &r2);
	event_base_dispatch(base);
	ok(r1.calls == 1 && r1.ok == 1 && r2.calls == 1 && r2.ok == 1,
	    "two commits in one turn succeed");
	is_int(spool_commits_dir_syncs(cm) - syncs0, 1,
	    "two commits in one turn share one directory fsync");
	ok(e1->size == 5 && e2->size == 6, "sizes per body");
	spool_remove(sp, e1);
	spool_remove(sp, e2);
	envelope_free(e1);
	envelope_free(e2);
}

/* spool_body_prepend: in the buffer, and through a new file for a body
 * larger than the buffer; what is committed is prefix + body, and tmp/
 * keeps no leftover. */
static void
test_prepend(struct event_base *base, struct spool *sp)
{
	struct spool_body	*b;
	struct envelope		*e;
	struct result		 r = { 0, -1 };
	char			 path[512], *got;
	size_t			 len;
	int			 big;

	for (big = 0; big <= 1; big++) {
		r.calls = 0;
		if (big)
			b = write_body(sp);
		else {
			b = spool_body_new(sp);
			spool_body_write(b, "small\r\n", 7);
		}
		ok(spool_body_prepend(b, "Top: 1\r\n", 8) == 0 &&
		    spool_body_prepend(b, "Top: 0\r\n", 8) == 0,
		    big ? "prepend to a large body" : "prepend to a small body");
		is_int(spool_body_size(b), (big ? BODY_LEN : 7) + 16,
		    "... the size counts it");
		is_int(count_dir("tmp"), 1, "... one file in tmp/");
		e = make_env("x@y", "p@y");
		spool_commit(cm, b, &e, 1, commit_done, &r);
		event_base_dispatch(base);
		ok(r.calls == 1 && r.ok == 1, "... and commits");
		spool_msg_path(sp, e, path, sizeof(path));
		got = slurp(path, &len);
		ok(got != NULL && len > (big ? BODY_LEN : 7) + 16 &&
		    memcmp(got, "Top: 0\r\nTop: 1\r\n", 16) == 0 &&
		    memcmp(got + 16, big ? body_data : "small\r\n",
		    big ? BODY_LEN : 7) == 0, "... prefix, then the body");
		free(got);
		is_int(count_dir("tmp"), 0, "... tmp/ is empty afterwards");
		spool_remove(sp, e);
		envelope_free(e);
	}
}

static void
test_failures(struct event_base *base, struct spool *sp, const char *taken)
{
	struct spool_body	*b;
	struct envelope		*e[2];
	struct result		 r = { 0, -1 };
	char			 path[512], *text;
	size_t			 len;
	int			 nq = count_dir("queue");

	/* An id already queued: the commit fails and the queued message is
	 * not touched. */
	b = spool_body_new(sp);
	spool_body_write(b, "dup\r\n", 5);
	e[0] = make_env("x@y", "fresh@y");
	e[1] = make_env("x@y", "dup@y");
	strlcpy_(e[1]->id, taken, sizeof(e[1]->id));
	spool_commit(cm, b, e, 2, commit_done, &r);
	event_base_dispatch(base);
	ok(r.calls == 1 && r.ok == 0, "duplicate id: ok = 0");
	is_int(count_dir("queue"), nq, "failed commit left nothing in queue/");
	is_int(count_dir("tmp"), 0, "failed commit left nothing in tmp/");
	{
		struct envelope *t = env_of(taken);

		spool_msg_path(sp, t, path, sizeof(path));
		envelope_free(t);
	}
	text = slurp(path, &len);
	ok(text != NULL && len > BODY_LEN && strstr(text + BODY_LEN,
	    "\t\"b c\"@example.org\t") != NULL, "queued message untouched");
	free(text);
	envelope_free(e[0]);
	envelope_free(e[1]);

	/* A malicious id never becomes a path. */
	r.calls = 0;
	b = spool_body_new(sp);
	e[0] = make_env("x@y", "z@y");
	strlcpy_(e[0]->id, "../../x", sizeof(e[0]->id));
	spool_commit(cm, b, e, 1, commit_done, &r);
	event_base_dispatch(base);
	ok(r.calls == 1 && r.ok == 0, "bad id: ok = 0");
	is_int(count_dir("tmp"), 0, "bad id left nothing in tmp/");
	envelope_free(e[0]);

	/* An abort leaves nothing. */
	b = spool_body_new(sp);
	spool_body_write(b, body_data, 100000);
	spool_body_abort(b);
	is_int(count_dir("tmp"), 0, "abort leaves nothing");
	is_int(count_dir("queue"), nq, "abort touches no queue file");
}

static void
test_update_remove(struct spool *sp, const char *id, const char *gone)
{
	struct envelope	*env, *back, *g;

	env = load_env(id);
	ok(env != NULL, "load for update");
	if (env == NULL)
		return;
	env->attempts = 4;
	env->next_attempt = 1800000000;
	env->rcpts[0].state = RCPT_FAILED;
	env->rcpts[0].status = xstrdup("550 5.1.1 unknown\r\nuser");
	is_int(spool_update(sp, env), 0, "update");
	back = load_env(id);
	ok(back != NULL && back->attempts == 4 &&
	    back->next_attempt == 1800000000 &&
	    back->rcpts[0].state == RCPT_FAILED &&
	    strcmp(back->rcpts[0].status, "550 5.1.1 unknown  user") == 0,
	    "update durable and read back");
	is_int(count_dir("tmp"), 0, "update leaves nothing in tmp/");
	envelope_free(back);

	/* remove, with a later .env beside the .q too */
	g = load_env(gone);
	ok(g != NULL && g->one_file, "load the one to remove");
	if (g == NULL)
		g = env_of(gone);
	is_int(spool_update(sp, g), 0, "... update it first");
	is_int(spool_remove(sp, g), 0, "remove");
	{
		char name[64];

		snprintf(name, sizeof(name), "%s.env", gone);
		ok(!exists("queue", name), ".env removed");
		snprintf(name, sizeof(name), "%s.q", gone);
		ok(!exists("queue", name), ".q removed");
	}
	errno = 0;
	ok(spool_remove(sp, g) == -1 && errno == ENOENT,
	    "removing twice: ENOENT");
	strlcpy_(g->id, "../etc", sizeof(g->id));
	ok(spool_remove(sp, g) == -1, "remove refuses a bad id");
	envelope_free(g);

	/* An update never brings a removed message back. */
	strlcpy_(env->id, gone, sizeof(env->id));
	ok(spool_update(sp, env) == -1, "update of a removed message fails");
	{
		char name[64];

		snprintf(name, sizeof(name), "%s.env", gone);
		ok(!exists("queue", name), "... and writes no .env");
	}
	envelope_free(env);
}

static void
recovered(void *arg, struct envelope *env)
{
	char	*ids = arg;

	/* "<id>:<attempts>:<q or msg> " */
	sprintf(ids + strlen(ids), "%s:%d:%s ", env->id, env->attempts,
	    env->one_file ? "q" : "msg");
	envelope_free(env);
}

static void
listed(void *arg, const struct envelope *env)
{
	char	*ids = arg;

	sprintf(ids + strlen(ids), "%s:%d: ", env->id, env->attempts);
}

/* queue/<id>.q as the commit writes it: msg, then the envelope (with the
 * id and size given) and the trailer, less cut octets at the end. */
static void
put_q(const char *id, const char *env_id, const char *msg, int attempts,
    size_t cut)
{
	struct envelope	*env = make_env("q@y", "q@z");
	char		 path[512], *tail;
	size_t		 len;
	FILE		*f;

	strlcpy_(env->id, env_id, sizeof(env->id));
	env->size = strlen(msg);
	env->attempts = attempts;
	tail = qfile_tail(env, &len);
	snprintf(path, sizeof(path), "%s/queue/%s.q", spooldir, id);
	if ((f = fopen(path, "w")) == NULL)
		fatal("%s", path);
	fputs(msg, f);
	fwrite(tail, 1, len - cut, f);
	fclose(f);
	free(tail);
	envelope_free(env);
}

/* qfile_trailer_parse: the pure part of reading a .q. */
static void
test_trailer(void)
{
	const char	*good = "smarthostd-queue-file 1 0000000000000003 "
			    "0000000000000010\n", *why;
	char		 buf[QFILE_TRAILER + 1];
	uint64_t	 size, len;

	is_int((int)strlen(good), QFILE_TRAILER, "trailer length");
	ok(qfile_trailer_parse(good, QFILE_TRAILER, 3 + 16 + QFILE_TRAILER,
	    &size, &len, &why) == 0 && size == 3 && len == 16,
	    "trailer parses");
	ok(qfile_trailer_parse(good, QFILE_TRAILER, 4 + 16 + QFILE_TRAILER,
	    &size, &len, &why) == -1 && why != NULL,
	    "file longer than the trailer says: refused");
	ok(qfile_trailer_parse(good, QFILE_TRAILER, 10, &size, &len,
	    &why) == -1, "file shorter than a trailer: refused");
	ok(qfile_trailer_parse(good, QFILE_TRAILER - 1, 3 + 16 +
	    QFILE_TRAILER, &size, &len, &why) == -1, "short trailer: refused");
	memcpy(buf, good, sizeof(buf));
	buf[30] = 'a';	/* lower case */
	ok(qfile_trailer_parse(buf, QFILE_TRAILER, 3 + 16 + QFILE_TRAILER,
	    &size, &len, &why) == -1, "lower-case hex: refused");
	memcpy(buf, good, sizeof(buf));
	buf[0] = 'S';
	ok(qfile_trailer_parse(buf, QFILE_TRAILER, 3 + 16 + QFILE_TRAILER,
	    &size, &len, &why) == -1, "another magic: refused");
	memcpy(buf, "smarthostd-queue-file 1 FFFFFFFFFFFFFFFF "
	    "FFFFFFFFFFFFFFF0\n", sizeof(buf));
	ok(qfile_trailer_parse(buf, QFILE_TRAILER, UINT64_MAX, &size, &len,
	    &why) == -1, "huge numbers do not wrap around");
	memcpy(buf, "smarthostd-queue-file 1 FFFFFFFFFFFFFFFF "
	    "0000000000000001\n", sizeof(buf));
	ok(qfile_trailer_parse(buf, QFILE_TRAILER, 40 + QFILE_TRAILER, &size,
	    &len, &why) == -1, "a size beyond the file: refused");
}

static void
test_recover(struct event_base *base, char good[3][32])
{
	struct spool	*sp;
	char		 err[256], ids[4096] = "", *text;
	size_t		 len;
	struct envelope	*env;
	int		 n;

	/* What a crash leaves, in every window of spool_commit:
	 *  - before the renames: body and .env in tmp/ only;
	 *  - between link and rename: a .msg in queue/ without .env. */
	env = make_env("c@y", "crash@y");
	strlcpy_(env->id, "00000000000000C1", sizeof(env->id));
	env->size = 3;
	text = envelope_to_text(env, &len);
	put("tmp", "00000000000000C1.env", text);
	put("tmp", "00000000000000C0.body", "abc");
	put("queue", "00000000000000C2.msg", "abc");
	/* Junk and inconsistencies. */
	put("queue", "00000000000000B1.env", "smarthostd-envelope 1\nid 00");
	put("queue", "00000000000000B1.msg", "x");
	{
		char *t2;

		strlcpy_(env->id, "00000000000000B2", sizeof(env->id));
		t2 = envelope_to_text(env, &len);
		put("queue", "00000000000000B2.env", t2);	/* no .msg */
		free(t2);
	}
	put("queue", "00000000000000B3.env", text);	/* id mismatch */
	put("queue", "00000000000000B3.msg", "abc");
	put("queue", "00000000000000C1.msg", "abcdef");	/* wrong size */
	put("queue", "00000000000000C1.env", text);
	/* The one-file form: a .q still in tmp/ (crash before its
	 * rename); a .q whose later .env is junk (its own envelope is
	 * used); one cut short; one naming another id; a .q with a good
	 * later .env (which wins); and a message of the form before 0.2
	 * (.msg and .env), which an upgrade must still deliver. */
	put("tmp", "00000000000000D0.body", "abcsmarthostd-envelope 1\n");
	put_q("00000000000000D1", "00000000000000D1", "abc", 0, 0);
	put("queue", "00000000000000D1.env", "junk");
	put_q("00000000000000D2", "00000000000000D2", "abc", 0, 10);
	put_q("00000000000000D3", "00000000000000D4", "abc", 0, 0);
	put_q("00000000000000D5", "00000000000000D5", "abcd", 0, 0);
	{
		struct envelope	*later = make_env("q@y", "q@z");
		char		*t3;

		strlcpy_(later->id, "00000000000000D5", sizeof(later->id));
		later->size = 4;
		later->attempts = 7;
		t3 = envelope_to_text(later, &len);
		put("queue", "00000000000000D5.env", t3);
		free(t3);
		strlcpy_(later->id, "00000000000000C3", sizeof(later->id));
		later->size = 3;
		later->attempts = 2;
		t3 = envelope_to_text(later, &len);
		put("queue", "00000000000000C3.env", t3);
		put("queue", "00000000000000C3.msg", "abc");
		free(t3);
		envelope_free(later);
	}
	/* A .q cut short with a later .env beside it: the .env goes to
	 * corrupt/ with it (the walk's own listing says it is there). */
	put_q("00000000000000D6", "00000000000000D6", "abc", 0, 10);
	put("queue", "00000000000000D6.env", "smarthostd-envelope 1\n");
	/* A delivered message's .q emptied for reuse whose rename out of
	 * queue/ a crash lost (spool_unlink.c): removed, not corrupt. */
	put("queue", "00000000000000D7.q", "");
	put("queue", "README", "not ours");
	put("queue", "00000000000000B4.env.new", "ignored too");
	free(text);
	envelope_free(env);
	/* A .env whose corrupt/ name is taken already. */
	put("corrupt", "00000000000000B1.env", "older");

	sp = spool_open(spooldir, err, sizeof(err));
	ok(sp != NULL, "reopen");
	if (sp == NULL)
		return;
	cm = spool_commits_new(sp, base);
	is_int(count_dir("tmp"), 0, "tmp/ emptied at open");
	n = spool_recover(sp, recovered, ids);
	is_int(n, 5, "five messages recovered");
	ok(strstr(ids, good[0]) != NULL && strstr(ids, good[1]) != NULL,
	    "the good ones");
	{
		char	want[128];

		snprintf(want, sizeof(want), "%s:4:q ", good[0]);
		ok(strstr(ids, want) != NULL, "the updated one with its .env's "
		    "state");
	}
	ok(strstr(ids, "00000000000000D1:0:q ") != NULL &&
	    !exists("queue", "00000000000000D1.env") &&
	    exists("corrupt", "00000000000000D1.env"),
	    ".q with a junk .env: recovered with its own envelope, the .env "
	    "moved to corrupt/");
	ok(strstr(ids, "00000000000000D5:7:q ") != NULL,
	    ".q with a good .env: the .env's state wins");
	ok(strstr(ids, "00000000000000C3:2:msg ") != NULL,
	    "a .msg and .env from before 0.2 recovered (upgrade)");
	ok(!exists("queue", "00000000000000D2.q") &&
	    exists("corrupt", "00000000000000D2.q"),
	    ".q cut short moved to corrupt/");
	ok(!exists("queue", "00000000000000D6.q") &&
	    !exists("queue", "00000000000000D6.env") &&
	    exists("corrupt", "00000000000000D6.q") &&
	    exists("corrupt", "00000000000000D6.env"),
	    ".q cut short: its later .env moved to corrupt/ with it");
	ok(!exists("queue", "00000000000000D3.q") &&
	    exists("corrupt", "00000000000000D3.q"),
	    ".q naming another id moved to corrupt/");
	ok(!exists("queue", "00000000000000C2.msg"), "orphan .msg removed");
	ok(!exists("queue", "00000000000000D7.q") &&
	    !exists("corrupt", "00000000000000D7.q"),
	    "an empty .q (emptied for reuse before a crash) removed");
	ok(!exists("queue", "00000000000000B1.env") &&
	    exists("corrupt", "00000000000000B1.env.1") &&
	    exists("corrupt", "00000000000000B1.msg"),
	    "junk .env and its .msg moved to corrupt/ (name kept unique)");
	ok(exists("corrupt", "00000000000000B1.env"), "older corrupt kept");
	ok(exists("corrupt", "00000000000000B2.env") &&
	    !exists("corrupt", "00000000000000B2.msg"),
	    ".env without .msg moved to corrupt/");
	ok(exists("corrupt", "00000000000000B3.env") &&
	    exists("corrupt", "00000000000000B3.msg"),
	    "id mismatch moved to corrupt/");
	ok(exists("corrupt", "00000000000000C1.env") &&
	    exists("corrupt", "00000000000000C1.msg"),
	    "size mismatch moved to corrupt/");
	ok(exists("queue", "README") &&
	    exists("queue", "00000000000000B4.env.new"),
	    "other files ignored");
	is_int(count_dir("queue"), 10, "queue/ holds the good ones + 2 others");

	/* A second recovery finds the same, changes nothing. */
	ids[0] = '\0';
	n = spool_recover(sp, recovered, ids);
	is_int(n, 5, "recovery is repeatable");

	/* smarthost-sendmail -bp's read-only listing sees the same five,
	 * each once, with its latest envelope. */
	ids[0] = '\0';
	n = spool_list(spooldir, listed, ids, err, sizeof(err));
	is_int(n, 5, "spool_list: five messages, each once");
	ok(strstr(ids, "00000000000000D5:7:") != NULL &&
	    strstr(ids, "00000000000000D1:0:") != NULL &&
	    strstr(ids, "00000000000000C3:2:") != NULL,
	    "spool_list: .q alone, .q with its .env, and the old form");

	/* The upgraded old-form message: updated and removed as such. */
	{
		struct envelope	*old = load_env("00000000000000C3");

		ok(old != NULL && !old->one_file, "old form loads as such");
		if (old != NULL) {
			char path[512];

			spool_msg_path(sp, old, path, sizeof(path));
			ok(strstr(path, "00000000000000C3.msg") != NULL,
			    "... its message path is the .msg");
			old->attempts = 3;
			is_int(spool_update(sp, old), 0, "... updated");
			is_int(spool_remove(sp, old), 0, "... removed");
			ok(!exists("queue", "00000000000000C3.msg") &&
			    !exists("queue", "00000000000000C3.env"),
			    "... both files gone");
			envelope_free(old);
		}
	}

	/* Freeing with a commit pending: callback ok = 0, nothing left. */
	{
		struct spool_body	*b = spool_body_new(sp);
		struct envelope		*e = make_env("a@b", "c@d");
		struct result		 r = { 0, -1 };
		int			 nq = count_dir("queue");

		spool_body_write(b, "x\r\n", 3);
		spool_commit(cm, b, &e, 1, commit_done, &r);
		spool_commits_free(cm);
		cm = NULL;
		spool_free(sp);
		ok(r.calls == 1 && r.ok == 0, "free fails pending commit");
		is_int(count_dir("tmp"), 0, "... and cleans tmp/");
		is_int(count_dir("queue"), nq, "... and queue/");
		envelope_free(e);
	}
}

static void
test_open(struct event_base *base)
{
	struct spool	*sp;
	struct stat	 st;
	char		 err[256], path[512];

	/* A file where the spool should be. */
	snprintf(path, sizeof(path), "%s/file", top);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(path, sizeof(path), "%s/file/spool", top);
	err[0] = '\0';
	sp = spool_open(path, err, sizeof(err));
	ok(sp == NULL && err[0] != '\0', "open fails with a reason");
	if (sp == NULL)
		printf("# %s\n", err);
	spool_free(sp);

	sp = spool_open(spooldir, err, sizeof(err));
	ok(sp != NULL, "open creates the spool");
	/* 0711: injectors may reach incoming/, nobody else may list. */
	ok(stat(spooldir, &st) == 0 && (st.st_mode & 0777) == 0711,
	    "spool is 0711");
	{
		char	sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/incoming", spooldir);
		ok(stat(sub, &st) == 0 && (st.st_mode & 07777) == 01733,
		    "incoming/ is 01733 (sticky, anyone may drop a file)");
		snprintf(sub, sizeof(sub), "%s/queue", spooldir);
		ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700,
		    "queue/ stays 0700");
	}
	ok(count_dir("tmp") == 0 && count_dir("queue") == 0 &&
	    count_dir("incoming") == 0 && count_dir("corrupt") == 0,
	    "subdirectories made");
	is_str(spool_dir(sp), spooldir, "spool_dir");
	spool_free(sp);
}

static void
test_space(struct spool *sp)
{
	struct statvfs	sv;
	unsigned long long avail;

	if (statvfs(spooldir, &sv) == -1) {
		ok(0, "statvfs");
		return;
	}
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (avail > 1024ULL * 1024 * 1024 &&
	    avail > (unsigned long long)sv.f_blocks * sv.f_frsize / 10 &&
	    (sv.f_files == 0 || sv.f_favail > 10000))
		ok(spool_has_space(sp), "room on a roomy file system");
	else
		ok(1, "# SKIP test file system nearly full");
}

/* Ids from a clock that was ahead (a message queued before the clock went
 * back) are on disk: new ids must still be larger. */
static void
test_ids_after_clock_went_back(struct event_base *base)
{
	struct spool	*sp;
	char		 path[256], err[256], id[QUEUE_ID_MAX + 1];
	int		 fd;

	snprintf(path, sizeof(path), "%s/queue/FFFFFFF000000000.msg",
	    spooldir);
	if ((fd = open(path, O_CREAT | O_WRONLY, 0600)) != -1)
		close(fd);
	snprintf(path, sizeof(path), "%s/corrupt/FFFFFFF100000000.env.1",
	    spooldir);
	if ((fd = open(path, O_CREAT | O_WRONLY, 0600)) != -1)
		close(fd);
	sp = spool_open(spooldir, err, sizeof(err));
	ok(sp != NULL, "reopen with ids from the future on disk");
	if (sp == NULL)
		return;
	spool_new_id(sp, id, sizeof(id));
	ok(strcmp(id, "FFFFFFF100000000") > 0,
	    "a new id is above every id in queue/ and corrupt/");
	spool_free(sp);
}

/* util.c's write_buffered(), the body's writer (and the injector's). */
static void
test_write_buffered(void)
{
	char		 path[128], buf[8], back[64];
	size_t		 len = 0;
	struct stat	 st;
	int		 fd;

	snprintf(path, sizeof(path), "%s/wb", top);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1)
		fatal("open %s", path);
	is_int(write_buffered(fd, buf, sizeof(buf), &len, "abc", 3), 0,
	    "buffered: a small write");
	fstat(fd, &st);
	ok(len == 3 && st.st_size == 0, "buffered: a small write stays in "
	    "the buffer");
	is_int(write_buffered(fd, buf, sizeof(buf), &len, "defghij", 7), 0,
	    "buffered: a write past the end of the buffer");
	fstat(fd, &st);
	ok(len == 2 && st.st_size == 8, "buffered: a full buffer goes out "
	    "at once, the rest waits");
	is_int(write_buffered(fd, buf, sizeof(buf), &len, "klmnop", 6), 0,
	    "buffered: a write that fills the buffer exactly");
	fstat(fd, &st);
	ok(len == 0 && st.st_size == 16, "buffered: filled exactly, "
	    "written at once");
	is_int(write_buffered(fd, buf, sizeof(buf), &len, "0123456789", 10),
	    0, "buffered: a large write into an empty buffer");
	fstat(fd, &st);
	ok(len == 0 && st.st_size == 26, "buffered: a large write goes "
	    "straight through");
	memset(back, 0, sizeof(back));
	ok(pread(fd, back, sizeof(back) - 1, 0) == 26 &&
	    strcmp(back, "abcdefghijklmnop0123456789") == 0,
	    "buffered: the octets in order");
	close(fd);
	unlink(path);
	len = 5;
	ok(write_buffered(fd, buf, sizeof(buf), &len, "xyz", 3) == -1 &&
	    errno == EBADF && len == sizeof(buf), "buffered: a failed write "
	    "says why, and the buffer keeps its octets");
}

/* A commit that fails before any sync, queued while a group is in
 * flight (so that the group's end finds nothing to sync next): its
 * callback still runs once with ok = 0, and the next commit works. */
struct behind {
	struct spool	*sp;
	struct envelope	*bad;
	struct result	*r;
};

static void
commit_bad_behind(evutil_socket_t fd, short what, void *arg)
{
	struct behind		*bh = arg;
	struct spool_body	*b = spool_body_new(bh->sp);

	spool_body_write(b, "bad\r\n", 5);
	spool_commit(cm, b, &bh->bad, 1, commit_done, bh->r);
}

static void
test_failure_behind_group(struct event_base *base, struct spool *sp)
{
	struct spool_body	*b;
	struct envelope		*good, *bad, *next;
	struct result		 rg = { 0, -1 }, rb = { 0, -1 }, rn = { 0, -1 };
	struct behind		 bh;
	struct timeval		 zero = { 0, 0 };

	b = spool_body_new(sp);
	spool_body_write(b, "good\r\n", 6);
	good = make_env("x@y", "good@y");
	bad = make_env("x@y", "bad@y");
	strlcpy_(bad->id, "../../bad", sizeof(bad->id));
	bh.sp = sp;
	bh.bad = bad;
	bh.r = &rb;
	spool_commit(cm, b, &good, 1, commit_done, &rg);
	event_base_once(base, -1, EV_TIMEOUT, commit_bad_behind, &bh, &zero);
	event_base_dispatch(base);
	ok(rg.calls == 1 && rg.ok == 1, "behind a group: the group's commit ok");
	ok(rb.calls == 1 && rb.ok == 0,
	    "behind a group: a commit failed before its sync: ok = 0, once");
	b = spool_body_new(sp);
	spool_body_write(b, "next\r\n", 6);
	next = make_env("x@y", "next@y");
	spool_commit(cm, b, &next, 1, commit_done, &rn);
	event_base_dispatch(base);
	ok(rn.calls == 1 && rn.ok == 1, "... and the next commit works");
	is_int(count_dir("tmp"), 0, "... tmp/ empty");
	spool_remove(sp, good);
	spool_remove(sp, next);
	envelope_free(good);
	envelope_free(bad);
	envelope_free(next);
}

static char	later_ids[40][32];

/* spool_remove_later(): the files go on the unlink thread, in order
 * (.env before .q); spool_free() waits for all of them; an id handed
 * over is never given out again. */
static void
test_remove_later(struct event_base *base, struct spool *sp)
{
	enum { N = 40 };
	struct envelope	*e[N];
	struct result	 r[N];
	char		 name[64], id[32], last[32] = "";
	int		 i, left = 0, committed = 0, failed = 0;

	for (i = 0; i < N; i++) {
		struct spool_body *b = spool_body_new(sp);

		spool_body_write(b, "later\r\n", 7);
		e[i] = make_env("x@y", "later@y");
		r[i].calls = 0;
		r[i].ok = -1;
		spool_commit(cm, b, &e[i], 1, commit_done, &r[i]);
	}
	event_base_dispatch(base);
	for (i = 0; i < N; i++)
		committed += r[i].calls == 1 && r[i].ok == 1;
	is_int(committed, N, "remove_later: messages committed");
	/* One with a later .env too: both names go. */
	is_int(spool_update(sp, e[0]), 0, "remove_later: an .env beside one");
	for (i = 0; i < N; i++) {
		failed += spool_remove_later(sp, e[i]) != 0;
		if (strcmp(e[i]->id, last) > 0)
			strlcpy_(last, e[i]->id, sizeof(last));
	}
	is_int(failed, 0, "remove_later: every removal handed over");
	spool_new_id(sp, id, sizeof(id));
	ok(strcmp(id, last) > 0, "an id after removals is above the removed");
	{
		struct envelope bad = { 0 };

		strlcpy_(bad.id, "../x", sizeof(bad.id));
		bad.one_file = true;
		ok(spool_remove_later(sp, &bad) == -1 && errno == EINVAL,
		    "remove_later refuses a bad id");
	}
	/* Wait for the thread (spool_free() waiting is checked in main). */
	for (int tries = 0; tries < 500; tries++) {
		left = 0;
		for (i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "%s.q", e[i]->id);
			left += exists("queue", name);
			snprintf(name, sizeof(name), "%s.env", e[i]->id);
			left += exists("queue", name);
		}
		if (left == 0)
			break;
		usleep(10000);
	}
	is_int(left, 0, "remove_later: every .q and .env unlinked");
	for (i = 0; i < N; i++)
		envelope_free(e[i]);

	/* Then some more, handed over just before main's spool_free(). */
	for (i = 0; i < N; i++) {
		struct spool_body *b = spool_body_new(sp);

		spool_body_write(b, "later\r\n", 7);
		e[i] = make_env("x@y", "later@y");
		spool_commit(cm, b, &e[i], 1, commit_done, &r[i]);
	}
	event_base_dispatch(base);
	for (i = 0; i < N; i++) {
		strlcpy_(later_ids[i], e[i]->id, sizeof(later_ids[i]));
		(void)spool_remove_later(sp, e[i]);
		envelope_free(e[i]);
	}
}

/* The names in tmp/ the unlink thread keeps (r.<n>), their inodes into
 * ino (up to max), how many are not empty into nonempty. */
static int
kept_files(ino_t *ino, int max, int *nonempty)
{
	char		 path[512];
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 n = 0;

	*nonempty = 0;
	snprintf(path, sizeof(path), "%s/tmp", spooldir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "r.", 2) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/tmp/%s", spooldir, de->d_name);
		if (stat(path, &st) == -1)
			continue;
		*nonempty += st.st_size != 0;
		if (n < max)
			ino[n] = st.st_ino;
		n++;
	}
	closedir(d);
	return n;
}

/* Commit a body of len octets of body_data (from off) as one message;
 * its envelope, or NULL. */
static struct envelope *
commit_len(struct event_base *base, struct spool *sp, size_t off,
    size_t len, const char *rcpt)
{
	struct spool_body	*b = spool_body_new(sp);
	struct envelope		*e;
	struct result		 r = { 0, -1 };

	if (b == NULL)
		return NULL;
	spool_body_write(b, body_data + off, len);
	e = make_env("x@y", rcpt);
	spool_commit(cm, b, &e, 1, commit_done, &r);
	event_base_dispatch(base);
	if (r.calls != 1 || r.ok != 1) {
		envelope_free(e);
		return NULL;
	}
	return e;
}

/* Is queue/<id>.q exactly len octets of body_data from off, then its own
 * envelope (qfile_read), with size len? */
static bool
q_holds(const struct envelope *e, size_t off, size_t len)
{
	char		 path[512], name[64], *text;
	const char	*why;
	struct envelope	*back = NULL;
	size_t		 tlen;
	bool		 good;
	int		 dfd;

	snprintf(path, sizeof(path), "%s/queue", spooldir);
	snprintf(name, sizeof(name), "%s.q", e->id);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY)) != -1) {
		back = qfile_read(dfd, name, &why);
		close(dfd);
	}
	snprintf(path, sizeof(path), "%s/queue/%s.q", spooldir, e->id);
	text = slurp(path, &tlen);
	good = back != NULL && back->size == len &&
	    strcmp(back->id, e->id) == 0 && text != NULL && tlen > len &&
	    memcmp(text, body_data + off, len) == 0;
	free(text);
	envelope_free(back);
	return good;
}

static ino_t
q_ino(const struct envelope *e)
{
	char		path[512];
	struct stat	st;

	snprintf(path, sizeof(path), "%s/queue/%s.q", spooldir, e->id);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* Wait until n files are kept; their count. */
static int
wait_kept(int n, ino_t *ino, int max, int *nonempty)
{
	int	k = 0;

	for (int tries = 0; tries < 500; tries++) {
		if ((k = kept_files(ino, max, nonempty)) == n)
			break;
		usleep(10000);
	}
	return k;
}

/* Commit len octets of body_data (from off), hand the message to the
 * unlink thread as delivered, and wait until it is the nkept-th file kept;
 * its inode, or 0.  what names the message in the test lines. */
static ino_t
commit_deliver_keep(struct event_base *base, struct spool *sp, size_t off,
    size_t len, const char *rcpt, int nkept, const char *what)
{
	struct envelope	*e = commit_len(base, sp, off, len, rcpt);
	ino_t		 ino[64], was;
	char		 t[128];
	int		 nonempty;

	snprintf(t, sizeof(t), "recycle: %s committed", what);
	ok(e != NULL, t);
	if (e == NULL)
		return 0;
	was = q_ino(e);
	(void)spool_remove_later(sp, e);
	envelope_free(e);
	is_int(wait_kept(nkept, ino, 64, &nonempty), nkept,
	    "recycle: ... delivered and kept");
	return was;
}

/*
 * Files used again (spool_unlink.c): once the removals above are done,
 * the thread keeps at most 32 delivered .q files in tmp/, each holding
 * its old message (an over-large one emptied); a new body takes the one
 * kept last (no new inode) and is written over it, cut to its own size:
 * the .q is exactly the new message whatever the old one was; spool_free()
 * removes what is kept (checked in main).
 */
static void
test_recycle(struct event_base *base, struct spool *sp)
{
	struct spool_body	*b;
	struct envelope		*e, *big;
	ino_t			 ino[64], was;
	char			 name[64];
	int			 n = 0, nonempty, found = 0, tries;

	/* Wait until the 40 removals test_remove_later() handed over last
	 * are done: 32 kept at most, the rest unlinked. */
	for (tries = 0; tries < 500; tries++) {
		int left = 0;

		for (int i = 0; i < 40; i++) {
			snprintf(name, sizeof(name), "%.31s.q", later_ids[i]);
			left += exists("queue", name);
		}
		n = kept_files(ino, 64, &nonempty);
		if (left == 0 && n == 32)
			break;
		usleep(10000);
	}
	is_int(n, 32, "recycle: 32 delivered files kept in tmp/, no more");
	is_int(nonempty, 32, "recycle: each still holds its old message (to "
	    "be written over, not freed)");

	/* Larger than the old ones. */
	e = commit_len(base, sp, 0, 3000, "recycled@y");
	ok(e != NULL, "recycle: a body from a kept file, committed");
	if (e == NULL)
		return;
	is_int(kept_files(ino + 32, 0, &nonempty), 31,
	    "recycle: one kept file fewer");
	for (int i = 0; i < 32; i++)
		found |= ino[i] == q_ino(e);
	ok(found, "recycle: the new .q is a kept file (same inode)");
	ok(q_holds(e, 0, 3000), "recycle: its .q is the new body and its "
	    "envelope, nothing of the old");
	spool_remove(sp, e);
	envelope_free(e);

	/* Smaller than the old one: the old tail must not stay. */
	if ((was = commit_deliver_keep(base, sp, 100, 50000, "big@y", 31,
	    "a 50,000-octet message")) == 0)
		return;
	e = commit_len(base, sp, 7, 100, "small@y");
	ok(e != NULL && q_ino(e) == was, "recycle: a 100-octet message "
	    "written over it (the file kept last is taken first)");
	ok(e != NULL && q_holds(e, 7, 100), "recycle: its .q is cut to the "
	    "new message and its envelope: nothing of the 50,000 octets");
	if (e != NULL) {
		spool_remove(sp, e);
		envelope_free(e);
	}

	/* The same with two envelopes: the second's copy is read from the
	 * body's file, whose old octets lie past the new body until the
	 * commit cuts it; the copy must stop at the body's size. */
	if (commit_deliver_keep(base, sp, 100, 50000, "big2@y", 30,
	    "another 50,000-octet message") == 0)
		return;
	{
		struct envelope	*two[2];
		struct result	 r = { 0, -1 };

		b = spool_body_new(sp);
		spool_body_write(b, body_data + 9, 100);
		two[0] = make_env("x@y", "one@y");
		two[1] = make_env("x@y", "two@z");
		spool_commit(cm, b, two, 2, commit_done, &r);
		event_base_dispatch(base);
		ok(r.calls == 1 && r.ok == 1 && q_holds(two[0], 9, 100) &&
		    q_holds(two[1], 9, 100), "recycle: a body over a larger "
		    "old message, and its copy for a second envelope: both "
		    "exactly the new message");
		for (int i = 0; i < 2; i++) {
			spool_remove(sp, two[i]);
			envelope_free(two[i]);
		}
	}

	/* Over 1 MiB: emptied when kept, so that the kept files stay
	 * small on disk. */
	{
		size_t	 bl = 1100 * 1000, i;

		/* body_data is 200,000 octets: commit it six times over
		 * through one body. */
		b = spool_body_new(sp);
		for (i = 0; i < bl; i += 100000)
			spool_body_write(b, body_data, 100000);
		big = make_env("x@y", "huge@y");
		{
			struct result r = { 0, -1 };

			spool_commit(cm, b, &big, 1, commit_done, &r);
			event_base_dispatch(base);
			ok(r.calls == 1 && r.ok == 1,
			    "recycle: a 1.1 MB message committed");
		}
		was = q_ino(big);
		(void)spool_remove_later(sp, big);
		envelope_free(big);
		/* 32, less the bodies and copy removed at once (the
		 * 3,000, the 100, and the two-envelope one and its copy),
		 * this one's coming back. */
		n = wait_kept(28, ino, 64, &nonempty);
		found = 0;
		for (i = 0; i < (size_t)n && i < 64; i++)
			found |= ino[i] == was;
		ok(n == 28 && found && nonempty == 27,
		    "recycle: kept, and emptied (over 1 MiB)");
	}

	/* A body given up goes, like a created one. */
	b = spool_body_new(sp);
	spool_body_write(b, "x\r\n", 3);
	spool_body_abort(b);
	is_int(kept_files(ino, 0, &nonempty), 27,
	    "recycle: an aborted body's file is removed");
}

int
main(void)
{
	struct event_base	*base;
	struct spool		*sp;
	char			 err[256], ids[3][32], cmd[128];
	size_t			 i;

	log_init("spool-t", 1, LOG_LEVEL_WARN);
	for (i = 0; i < BODY_LEN; i++)
		body_data[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n' :
		    (char)('A' + (i * 7) % 26);
	strlcpy_(top, "/tmp/spool-t.XXXXXX", sizeof(top));
	if (mkdtemp(top) == NULL)
		fatal("mkdtemp");
	snprintf(spooldir, sizeof(spooldir), "%s/a/spool", top);
	base = event_base_new();

	test_open(base);
	sp = spool_open(spooldir, err, sizeof(err));
	if (sp == NULL)
		fatalx("%s", err);
	if ((cm = spool_commits_new(sp, base)) == NULL)
		fatal("spool_commits_new");
	test_trailer();
	test_ids(sp);
	test_space(sp);
	test_commit(base, sp, ids);
	test_group(base, sp);
	test_prepend(base, sp);
	test_failures(base, sp, ids[1]);
	test_update_remove(sp, ids[0], ids[2]);
	test_failure_behind_group(base, sp);
	test_remove_later(base, sp);
	test_recycle(base, sp);
	spool_commits_free(cm);
	spool_free(sp);
	{
		int	left = 0;

		for (i = 0; i < 40; i++) {
			char name[64];

			snprintf(name, sizeof(name), "%.31s.q", later_ids[i]);
			left += exists("queue", name);
		}
		is_int(left, 0, "spool_free() waits for pending removals");
	}
	is_int(count_dir("tmp"), 0, "spool_free() removes the kept files");
	test_recover(base, ids);
	test_ids_after_clock_went_back(base);
	test_write_buffered();

	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	return done_testing();
}
