/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_maildrop.c — owns delivery through a local command (type
 * "maildrop"): one child process per recipient, run one after another,
 * with the message on its stdin (LF line ends) and its exit status as the
 * verdict: 0 delivered, 75 (EX_TEMPFAIL) transient, anything else
 * permanent.
 *
 * The command is an argv array that never meets a shell, built by
 * relay_maildrop_argv.c: %{sender}, %{recipient}, %{local} and %{domain}
 * expand inside one element only, so no envelope byte can become an
 * argument boundary; an expansion that would put a '-' at the start of an
 * element (where the program would take it for an option) is refused, as
 * are control characters.  The null sender expands to "" (as Postfix's
 * $sender does).
 *
 * Nothing here blocks the event loop: the message is streamed into a
 * non-blocking pipe a bounded chunk at a time when it is writable, the
 * child's stdout and stderr are read from another pipe (the first
 * MDROP_CAPTURE bytes kept for the status).  Starting, reaping and
 * stopping the process is child.c's.  A timeout sends SIGTERM to the
 * child's process group, then SIGKILL.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "child.h"
#include "config.h"
#include "envelope.h"
#include "lineend.h"
#include "log.h"
#include "relay.h"
#include "relay_maildrop_int.h"
#include "util.h"

#define MDROP_CHUNK		16384	/* message bytes read at a time */
#define MDROP_CAPTURE		1024	/* child output kept for the status */
#define MDROP_KILL_GRACE	5	/* seconds from SIGTERM to SIGKILL */
#define MDROP_EX_TEMPFAIL	75	/* sysexits.h */
#define MDROP_TURNS		16	/* reads or writes per callback */

struct mdrop_relay;

/* One delivery: its recipients are handed to the command in turn. */
struct mdrop_job {
	TAILQ_ENTRY(mdrop_job)	 entry;		/* in the relay's list */
	struct mdrop_relay	*relay;
	struct delivery		*d;
	int			 cur;		/* recipient in progress */

	/* The child for d->rcpts[cur], or NULL (child.c); pid for the
	 * log lines about it. */
	struct child		*child;
	pid_t			 pid;
	time_t			 started;
	int			 msg_fd;	/* the stored message */
	uint64_t		 msg_left;	/* octets of it still to read */
	int			 in_fd;		/* its stdin (our end) */
	int			 out_fd;	/* its stdout+stderr (our end) */
	struct event		*ev_in, *ev_out, *ev_timer;
	bool			 timed_out;	/* SIGTERM sent */
	char			*fail;		/* our own error, if any */

	/* CRLF -> LF conversion of the message into the pipe. */
	char			*buf;		/* MDROP_CHUNK bytes */
	size_t			 buf_off, buf_len;
	struct tolf		 tolf;		/* the message, CRLF to LF */

	char			 cap[MDROP_CAPTURE + 1];
	size_t			 cap_len;
};

struct mdrop_relay {
	TAILQ_ENTRY(mdrop_relay) entry;		/* in mdrop_relays */
	struct event_base	*base;
	struct config		*cfg;		/* referenced */
	const struct relayer_conf *rc;		/* inside cfg */
	TAILQ_HEAD(, mdrop_job)	 jobs;
	bool			 retired;
};

static void	mdrop_next(struct mdrop_job *);
static void	mdrop_child_exit(void *, int, bool);

/* Every instance not yet freed, retired ones with jobs included. */
static TAILQ_HEAD(, mdrop_relay) mdrop_relays =
    TAILQ_HEAD_INITIALIZER(mdrop_relays);
static bool	mdrop_exiting;		/* mdrop_exit() has begun */

static void *
mdrop_create(struct event_base *base, struct resolver *dns, struct config *cfg,
    const struct relayer_conf *rc)
{
	struct mdrop_relay	*r;

	r = xcalloc(1, sizeof(*r));
	r->base = base;
	r->cfg = config_ref(cfg);
	r->rc = rc;
	TAILQ_INIT(&r->jobs);
	TAILQ_INSERT_TAIL(&mdrop_relays, r, entry);
	return r;
}

static void
mdrop_relay_free(struct mdrop_relay *r)
{
	TAILQ_REMOVE(&mdrop_relays, r, entry);
	config_unref(r->cfg);
	free(r);
}

/*
 * Children.
 */

/* Stop feeding the child; it sees EOF on stdin. */
static void
mdrop_stdin_close(struct mdrop_job *job)
{
	if (job->ev_in != NULL) {
		event_free(job->ev_in);
		job->ev_in = NULL;
	}
	if (job->in_fd != -1) {
		close(job->in_fd);
		job->in_fd = -1;
	}
	if (job->msg_fd != -1) {
		close(job->msg_fd);
		job->msg_fd = -1;
	}
}

/* Close what the job holds for its current child (not the child). */
static void
mdrop_job_clear(struct mdrop_job *job)
{
	mdrop_stdin_close(job);
	if (job->ev_out != NULL)
		event_free(job->ev_out);
	if (job->ev_timer != NULL)
		event_free(job->ev_timer);
	job->ev_out = job->ev_timer = NULL;
	if (job->out_fd != -1)
		close(job->out_fd);
	job->out_fd = -1;
	free(job->fail);
	job->fail = NULL;
	job->timed_out = false;
	job->buf_off = job->buf_len = 0;
	tolf_init(&job->tolf);
	job->cap_len = 0;
}

/* Read the next chunk of the message, CRLF turned into LF; 0 at EOF. */
static ssize_t
mdrop_fill(struct mdrop_job *job)
{
	char	 raw[MDROP_CHUNK - 1];	/* a held CR may add one octet */
	ssize_t	 n;
	size_t	 o;

	do
		n = read_upto(job->msg_fd, raw, sizeof(raw), &job->msg_left);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	o = n == 0 ? tolf_finish(&job->tolf, job->buf) :
	    tolf_feed(&job->tolf, raw, (size_t)n, job->buf);
	job->buf_off = 0;
	job->buf_len = o;
	return n == 0 ? (ssize_t)o : n;
}

static void
mdrop_stdin_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct mdrop_job	*job = arg;
	ssize_t			 n;
	int			 turns, e;

	/* A bounded amount per call: a big message must not hold the loop
	 * while a fast reader keeps the pipe writable. */
	for (turns = 0; turns < MDROP_TURNS; turns++) {
		if (job->buf_off == job->buf_len) {
			if ((n = mdrop_fill(job)) == -1) {
				e = errno;
				job->fail = xasprintf("451 4.3.0 maildrop: "
				    "cannot read the queued message: %s",
				    strerror(e));
				log_warnx("relayer %s: read %s: %s",
				    job->relay->rc->name, job->d->msg_path,
				    strerror(e));
				mdrop_stdin_close(job);
				child_signal(job->child, SIGKILL);
				return;
			}
			if (n == 0) {
				mdrop_stdin_close(job);
				return;
			}
			continue;
		}
		n = write(job->in_fd, job->buf + job->buf_off,
		    job->buf_len - job->buf_off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1) {
			/* EPIPE: the command stopped reading.  Not a failure
			 * in itself: its exit status decides. */
			if (errno != EPIPE)
				log_warn("relayer %s: write to the command",
				    job->relay->rc->name);
			mdrop_stdin_close(job);
			return;
		}
		job->buf_off += n;
	}
}

/* Read what the child wrote: the first MDROP_CAPTURE bytes are kept, the
 * rest thrown away so that it never blocks on a full pipe.  Bounded per
 * call, as a child (or what it left behind) may write without end. */
static void
mdrop_output_read(struct mdrop_job *job)
{
	char	sink[4096];
	ssize_t	n;
	int	turns;

	for (turns = 0; turns < MDROP_TURNS; turns++) {
		if (job->cap_len < MDROP_CAPTURE)
			n = read(job->out_fd, job->cap + job->cap_len,
			    MDROP_CAPTURE - job->cap_len);
		else
			n = read(job->out_fd, sink, sizeof(sink));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* EOF (or an error): the status decides. */
			event_free(job->ev_out);
			job->ev_out = NULL;
			close(job->out_fd);
			job->out_fd = -1;
			return;
		}
		if (job->cap_len < MDROP_CAPTURE)
			job->cap_len += n;
	}
}

static void
mdrop_output_cb(evutil_socket_t fd, short ev, void *arg)
{
	mdrop_output_read(arg);
}

static void
mdrop_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct mdrop_job	*job = arg;
	struct timeval		 tv = { MDROP_KILL_GRACE, 0 };

	if (!job->timed_out) {
		log_warnx("relayer %s: command for %s timed out after %lds, "
		    "terminating pid %ld", job->relay->rc->name,
		    job->d->rcpts[job->cur].addr, job->relay->rc->timeout,
		    (long)job->pid);
		job->timed_out = true;
		mdrop_stdin_close(job);
		child_signal(job->child, SIGTERM);
		evtimer_add(job->ev_timer, &tv);
		return;
	}
	log_warnx("relayer %s: pid %ld ignored SIGTERM, killing it",
	    job->relay->rc->name, (long)job->pid);
	child_signal(job->child, SIGKILL);
}

/*
 * Start the command for d->rcpts[cur].  Returns 0, or -1 with a status in
 * job->fail (the recipient is then failed transiently).
 */
static int
mdrop_spawn(struct mdrop_job *job, char **argv, char **envp)
{
	const struct relayer_conf *rc = job->relay->rc;
	struct event_base *base = job->relay->base;
	struct timeval	 tv;
	enum child_failure why;
	char		*label;
	int		 e;
	pid_t		 pid;

	job->msg_left = job->d->size;
	job->msg_fd = open(job->d->msg_path, O_RDONLY | O_CLOEXEC);
	if (job->msg_fd == -1) {
		job->fail = xasprintf("451 4.3.0 maildrop: cannot open the "
		    "queued message: %s", strerror(errno));
		log_warn("relayer %s: open %s", rc->name, job->d->msg_path);
		return -1;
	}
	label = xasprintf("relayer %s", rc->name);
	job->child = child_spawn(base, argv, envp, &job->in_fd, &job->out_fd,
	    mdrop_child_exit, job, label, &why);
	free(label);
	if (job->child == NULL) {
		e = errno;
		if (why == CHILD_EXEC) {
			job->fail = xasprintf("451 4.3.0 maildrop: cannot run "
			    "%s: %s", argv[0], strerror(e));
			log_warnx("relayer %s: cannot run %s: %s", rc->name,
			    argv[0], strerror(e));
		} else {
			job->fail = xasprintf("451 4.3.0 maildrop: %s: %s",
			    why == CHILD_PIPE ? "pipe" : "fork", strerror(e));
			log_warnx("relayer %s: %s: %s", rc->name,
			    why == CHILD_PIPE ? "pipe" : "fork", strerror(e));
		}
		mdrop_stdin_close(job);
		return -1;
	}
	pid = child_pid(job->child);
	job->pid = pid;
	job->started = now();
	if (fcntl(job->in_fd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(job->out_fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("maildrop: fcntl O_NONBLOCK");
	job->ev_in = event_new(base, job->in_fd, EV_WRITE | EV_PERSIST,
	    mdrop_stdin_cb, job);
	job->ev_out = event_new(base, job->out_fd, EV_READ | EV_PERSIST,
	    mdrop_output_cb, job);
	job->ev_timer = evtimer_new(base, mdrop_timer_cb, job);
	if (job->ev_in == NULL || job->ev_out == NULL || job->ev_timer == NULL)
		fatalx("maildrop: event_new failed");
	event_add(job->ev_in, NULL);
	event_add(job->ev_out, NULL);
	if (rc->timeout > 0) {
		tv.tv_sec = rc->timeout;
		tv.tv_usec = 0;
		evtimer_add(job->ev_timer, &tv);
	}
	log_debug("relayer %s: pid %ld delivers %s to %s", rc->name,
	    (long)pid, job->d->env->id, job->d->rcpts[job->cur].addr);
	return 0;
}

/* The child's output as one line of printable ASCII for a status. */
static char *
mdrop_output_text(struct mdrop_job *job)
{
	char	*s;
	size_t	 i, o = 0;
	bool	 space = false;
	int	 ch;

	s = xmalloc(job->cap_len + 1);
	for (i = 0; i < job->cap_len; i++) {
		ch = (unsigned char)job->cap[i];
		if (ch == '"')
			ch = '\'';	/* the log quotes the status */
		if (ch <= ' ' || ch == 0x7f) {
			space = o > 0;
			continue;
		}
		if (space)
			s[o++] = ' ';
		space = false;
		s[o++] = ch < 0x7f ? ch : '?';
	}
	s[o] = '\0';
	return s;
}

/* The child for d->rcpts[cur] is gone (st: its wait status). */
static void
mdrop_finish(struct mdrop_job *job, int st, bool lost)
{
	struct delivery_rcpt	*r = &job->d->rcpts[job->cur];
	const char		*name = job->relay->rc->name;
	char			*text, *sep;
	int			 code;

	/* Whatever it wrote before exiting is in the pipe already. */
	if (job->ev_out != NULL)
		mdrop_output_read(job);
	text = mdrop_output_text(job);
	sep = text[0] != '\0' ? ": " : "";
	free(r->status);
	if (job->fail != NULL) {
		r->result = DLV_TEMPFAIL;
		r->status = job->fail;
		job->fail = NULL;
	} else if (job->timed_out) {
		r->result = DLV_TEMPFAIL;
		r->status = xasprintf("451 4.4.2 maildrop: timed out after "
		    "%lds", job->relay->rc->timeout);
	} else if (lost) {
		r->result = DLV_TEMPFAIL;
		r->status = xstrdup("451 4.3.0 maildrop: lost track of the "
		    "command's exit status");
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		r->result = DLV_OK;
		r->status = xstrdup("250 2.0.0 delivered by maildrop");
	} else if (WIFEXITED(st)) {
		code = WEXITSTATUS(st);
		r->result = code == MDROP_EX_TEMPFAIL ? DLV_TEMPFAIL :
		    DLV_PERMFAIL;
		r->status = xasprintf("%s maildrop: exit %d%s%s",
		    code == MDROP_EX_TEMPFAIL ? "451 4.3.0" : "550 5.3.0",
		    code, sep, text);
	} else {
		/* Killed by a signal we did not send: a crash or an admin,
		 * worth another try rather than a bounce. */
		r->result = DLV_TEMPFAIL;
		r->status = xasprintf("451 4.3.0 maildrop: killed by signal "
		    "%d%s%s", WIFSIGNALED(st) ? WTERMSIG(st) : 0, sep, text);
	}
	if (r->result != DLV_OK)
		log_info("relayer %s: pid %ld for %s: %s", name,
		    (long)job->pid, r->addr, r->status);
	free(text);
	job->pid = -1;
	mdrop_job_clear(job);
}

/* child.c: the command for d->rcpts[cur] has ended; the next one. */
static void
mdrop_child_exit(void *arg, int st, bool lost)
{
	struct mdrop_job	*job = arg;

	job->child = NULL;	/* child.c frees it */
	mdrop_finish(job, st, lost);
	job->cur++;
	mdrop_next(job);
}

static void
mdrop_job_end(struct mdrop_job *job)
{
	struct mdrop_relay	*r = job->relay;

	TAILQ_REMOVE(&r->jobs, job, entry);
	delivery_done_later(job->d);
	free(job->buf);
	free(job);
	if (r->retired && TAILQ_EMPTY(&r->jobs))
		mdrop_relay_free(r);
}

/* Start on the next pending recipient from cur, or end the delivery. */
static void
mdrop_next(struct mdrop_job *job)
{
	struct delivery		*d = job->d;
	struct delivery_rcpt	*r;
	char			**argv, **envp;
	int			  rv;

	for (; job->cur < d->n_rcpts; job->cur++) {
		r = &d->rcpts[job->cur];
		if (r->result != DLV_PENDING)
			continue;
		argv = mdrop_argv(job->relay->rc, d->env->sender, r->addr);
		if (argv == NULL) {
			log_warnx("relayer %s: refused %s (from <%s>): unsafe "
			    "in a command argument", job->relay->rc->name,
			    r->addr, d->env->sender);
			delivery_rcpt_set(r, DLV_PERMFAIL, "550 5.1.3 "
			    "maildrop: unsafe address for a command argument");
			continue;
		}
		envp = mdrop_envp(d->env->sender, r->addr);
		rv = mdrop_spawn(job, argv, envp);
		mdrop_free_vec(argv);
		mdrop_free_vec(envp);
		if (rv == 0)
			return;
		free(r->status);
		r->result = DLV_TEMPFAIL;
		r->status = job->fail;
		job->fail = NULL;
	}
	mdrop_job_end(job);
}

static void
mdrop_deliver(void *state, struct delivery *d)
{
	struct mdrop_relay	*r = state;
	struct mdrop_job	*job;

	if (r->retired) {
		delivery_fail_all(d, DLV_TEMPFAIL,
		    "451 4.3.0 maildrop: relayer retired");
		delivery_done_later(d);
		return;
	}
	job = xcalloc(1, sizeof(*job));
	job->relay = r;
	job->d = d;
	job->pid = -1;
	job->msg_fd = job->in_fd = job->out_fd = -1;
	job->buf = xmalloc(MDROP_CHUNK);
	TAILQ_INSERT_TAIL(&r->jobs, job, entry);
	mdrop_next(job);
}

/*
 * The event loop has ended (daemon shutdown): nothing will reap or finish
 * this job, so stop its child now and end the delivery here, its
 * recipients deferred (the message stays queued for the next start).
 * done() runs directly because no loop turn is left to run it; otherwise
 * the queue's delivery and its configuration reference would leak.
 */
static void
mdrop_job_abort(struct mdrop_job *job)
{
	if (job->child != NULL) {
		log_warnx("relayer %s: shutdown: stopping pid %ld (delivery "
		    "to %s)", job->relay->rc->name, (long)job->pid,
		    job->d->rcpts[job->cur].addr);
		child_stop(job->child);
		job->child = NULL;
		job->pid = -1;
	}
	mdrop_job_clear(job);
	TAILQ_REMOVE(&job->relay->jobs, job, entry);
	delivery_fail_all(job->d, DLV_TEMPFAIL,
	    "451 4.3.0 maildrop: interrupted by shutdown");
	job->d->done(job->d);
	free(job->buf);
	free(job);
}

static void
mdrop_retire(void *state)
{
	struct mdrop_relay	*r = state;
	struct mdrop_job	*job;

	r->retired = true;
	/* After loopexit the daemon is stopping: the loop will not run
	 * again to reap or finish anything. */
	if (mdrop_exiting || event_base_got_exit(r->base)) {
		while ((job = TAILQ_FIRST(&r->jobs)) != NULL)
			mdrop_job_abort(job);
	}
	/* Otherwise the last job to end frees the instance. */
	if (TAILQ_EMPTY(&r->jobs))
		mdrop_relay_free(r);
}

/*
 * The loop has ended.  Shutdown retired every instance while the loop still
 * ran (relay_shutdown() at the signal), so one whose command outlived the
 * grace still holds its jobs: stop them now, their deliveries deferred.
 */
static void
mdrop_exit(void)
{
	struct mdrop_relay	*r;

	mdrop_exiting = true;
	while ((r = TAILQ_FIRST(&mdrop_relays)) != NULL)
		mdrop_retire(r);	/* the loop is over: frees r */
}

const struct relay_ops relay_maildrop_ops = {
	.create = mdrop_create,
	.deliver = mdrop_deliver,
	.retire = mdrop_retire,
	.exit = mdrop_exit,
};
