/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming_pickup.c — owns the pickup of one file from incoming/: opened
 * and checked (owner, envelope header, size), rejected to corrupt/ when
 * it can never become mail, its envelope rewritten for listener
 * "sendmail", its message copied a bounded amount at a time through
 * receive.c with CRLF line ends, committed, and the file removed only
 * once it is queued.  Which file comes next, and when, is incoming.c's.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "incoming.h"
#include "incoming_dir.h"
#include "incoming_int.h"
#include "log.h"
#include "queue.h"
#include "receive.h"
#include "smtp_parse.h"
#include "spool.h"
#include "util.h"

#define READ_CHUNK		(64 * 1024)
#define SPACE_CHECK_EVERY	(1024 * 1024)	/* octets between checks */

static char	copy_in[READ_CHUNK];
static char	copy_out[2 * READ_CHUNK + 2];

void
pickup_free(struct pickup *p)
{
	if (p->fd != -1)
		close(p->fd);
	/* A commit in flight goes on; the file stays until a later one. */
	receive_release(p->rtx);
	incoming_env_clear(&p->env);
	free(p->name);
	free(p);
}

/* A file that can never become mail: out of the way, and said so. */
static void
reject(struct incoming *inc, const char *name, const struct stat *st,
    const char *why)
{
	log_warnx("incoming/%s: %s; moved to %s/corrupt", name, why,
	    spool_dir(inc->spool));
	/* Left in place it would be tried again and again. */
	if (spool_incoming_reject(inc->spool, name) == -1)
		incoming_dir_skip(inc->dir, name, st, "cannot be moved aside");
}
/* Normalise and store octets of the message; -1 on a write error. */
static int
pickup_write(struct pickup *p, const char *buf, size_t len)
{
	size_t	i, n;

	for (i = 0; i < len && !p->body8bit; i++)
		if ((unsigned char)buf[i] >= 0x80)
			p->body8bit = true;
	while (len > 0) {
		n = len < READ_CHUNK ? len : READ_CHUNK;
		if (receive_write(p->rtx, copy_out,
		    crlf_feed(&p->crlf, buf, n, copy_out)) == -1)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Read the envelope header and whatever came with it.  Returns the
 * buffer (header and the first message octets) or NULL with *why. */
static char *
read_header(int fd, off_t size, size_t *hdrlen, size_t *total,
    const char **why)
{
	char	*buf = NULL, *e;
	size_t	 len = 0, cap = 0, from;
	ssize_t	 n;

	*why = NULL;
	for (;;) {
		if (cap - len < READ_CHUNK) {
			cap = cap ? cap * 2 : READ_CHUNK;
			buf = xreallocarray(buf, cap, 1);
		}
		n = (off_t)len >= size ? 0 : read(fd, buf + len,
		    (off_t)(len + READ_CHUNK) > size ? (size_t)(size -
		    (off_t)len) : READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*why = strerror(errno);
			break;
		}
		if (n == 0) {
			*why = "no end of the envelope header";
			break;
		}
		from = len > 0 ? len - 1 : 0;
		len += (size_t)n;
		if ((e = memmem(buf + from, len - from, "\n\n", 2)) != NULL) {
			*hdrlen = e + 2 - buf;
			*total = len;
			if (*hdrlen > INCOMING_HDR_MAX)
				*why = "envelope header too long";
			break;
		}
		if (len > INCOMING_HDR_MAX) {
			*why = "envelope header too long";
			break;
		}
	}
	if (*why != NULL) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* rewrite for listener "sendmail": the sender and each recipient, before
 * batching and routing; recipients that become one are kept once. */
static void
pickup_rewrite(const struct config *cfg, struct incoming_env *e)
{
	char	*rw;
	int	 i, j, n = 0;

	if (!rewrite_applies(&cfg->rewrite, LISTENER_SENDMAIL))
		return;
	if ((rw = rewrite_envelope(&cfg->rewrite, LISTENER_SENDMAIL, true,
	    e->sender, cfg->hostname)) != NULL) {
		free(e->sender);
		e->sender = rw;
	}
	for (i = 0; i < e->n_rcpts; i++) {
		if ((rw = rewrite_envelope(&cfg->rewrite, LISTENER_SENDMAIL,
		    false, e->rcpts[i], cfg->hostname)) != NULL) {
			free(e->rcpts[i]);
			e->rcpts[i] = rw;
		}
		for (j = 0; j < n; j++)
			if (strcmp(e->rcpts[j], e->rcpts[i]) == 0)
				break;
		if (j < n)
			free(e->rcpts[i]);
		else
			e->rcpts[n++] = e->rcpts[i];
	}
	e->n_rcpts = n;
}

/*
 * Open one file and start its message: NULL when there is nothing to do
 * (gone, rejected) or when it must wait (inc->stalled is then set).
 */
struct pickup *
pickup_start(struct incoming *inc, const char *name)
{
	struct pickup	*p;
	struct stat	 st;
	struct receive_origin o;
	struct receive_dsn *dsn = NULL;
	const char	*why = NULL, *a;
	char		*buf;
	size_t		 hdrlen = 0, total = 0;
	int		 fd, i;

	fd = openat(inc->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return NULL;
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
			log_warn("incoming/%s: open", name);
			inc->stalled = true;
			return NULL;
		}
		/* Changed since the scan looked (a symbolic link, a
		 * FIFO...): nothing of it is touched. */
		incoming_dir_skip(inc->dir, name, NULL, errno == ELOOP ? "a symbolic link" :
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_nlink != 1)
		why = "has other links";
	if (why != NULL) {
		close(fd);
		incoming_dir_skip(inc->dir, name, NULL, why);
		return NULL;
	}
	/* Never more than the size seen now: a file grown (sparse,
	 * ftruncate) after this point is not copied past it (#19 item 1). */
	if ((buf = read_header(fd, st.st_size, &hdrlen, &total, &why)) ==
	    NULL) {
		close(fd);
		reject(inc, name, &st, why);
		return NULL;
	}

	p = xcalloc(1, sizeof(*p));
	p->inc = inc;
	p->name = xstrdup(name);
	p->fd = fd;
	p->uid = st.st_uid;
	p->left = st.st_size - (off_t)total;
	crlf_init(&p->crlf);
	if (incoming_env_parse(buf, hdrlen, &p->env, &why) == -1) {
		reject(inc, name, &st, why);
		goto fail;
	}
	/* The injector refuses these; a file made by other means is no
	 * reason to fill the spool. */
	if ((uint64_t)st.st_size > hdrlen && (uint64_t)st.st_size - hdrlen >
	    incoming_max_size(queue_config(inc->queue))) {
		reject(inc, name, &st, "larger than any listener's "
		    "max_message_size");
		goto fail;
	}
	if (!spool_has_space(inc->spool)) {
		log_warnx("incoming: spool %s is short of space; injected "
		    "mail waits", spool_dir(inc->spool));
		inc->stalled = true;
		goto fail;
	}
	pickup_rewrite(queue_config(inc->queue), &p->env);
	/* As an SMTP transaction from listener "sendmail" would be, split
	 * by domain (incoming.h says why). */
	memset(&o, 0, sizeof(o));
	o.kind = RECEIVE_PICKUP;
	o.listener = LISTENER_SENDMAIL;
	o.batch = BATCH_BY_DOMAIN;
	o.uid = p->uid;
	for (a = p->env.sender; *a != '\0'; a++)
		if ((unsigned char)*a >= 0x80)
			o.smtputf8 = true;
	for (i = 0; i < p->env.n_rcpts; i++)
		for (a = p->env.rcpts[i]; *a != '\0'; a++)
			if ((unsigned char)*a >= 0x80)
				o.smtputf8 = true;
	o.dsn_ret = p->env.ret;
	o.dsn_envid = p->env.envid;
	if (p->env.notify != 0) {
		dsn = xcalloc(p->env.n_rcpts, sizeof(*dsn));
		for (i = 0; i < p->env.n_rcpts; i++)
			dsn[i].notify = p->env.notify;
		o.dsn_rcpts = dsn;
	}
	p->rtx = receive_begin(inc->receive, queue_config(inc->queue), &o,
	    p->env.sender, p->env.rcpts, p->env.n_rcpts);
	free(dsn);
	if (p->rtx == NULL) {
		inc->stalled = true;
		goto fail;
	}
	if (pickup_write(p, buf + hdrlen, total - hdrlen) == -1) {
		log_warn("incoming/%s: spool write", name);
		inc->stalled = true;
		goto fail;
	}
	free(buf);
	return p;

fail:
	free(buf);
	pickup_free(p);
	return NULL;
}

/* Copy up to *budget octets more.  1: the message is complete; 0: more
 * to do next turn; -1: failed (p is to be freed, inc->stalled is set). */
int
pickup_copy(struct incoming *inc, struct pickup *p, size_t *budget)
{
	ssize_t	n;
	size_t	want;

	while (*budget > 0) {
		/* The reserve is checked as the copy goes, not only at the
		 * start: a big message must not eat it. */
		if (p->since_check >= SPACE_CHECK_EVERY) {
			p->since_check = 0;
			if (!spool_has_space(inc->spool)) {
				log_warnx("incoming/%s: spool %s is short of "
				    "space; injected mail waits", p->name,
				    spool_dir(inc->spool));
				inc->stalled = true;
				return -1;
			}
		}
		want = p->left < (off_t)sizeof(copy_in) ? (size_t)p->left :
		    sizeof(copy_in);
		n = want == 0 ? 0 : read(p->fd, copy_in, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("incoming/%s: read", p->name);
			inc->stalled = true;
			return -1;
		}
		if (n == 0 && receive_write(p->rtx, copy_out,
		    crlf_finish(&p->crlf, copy_out)) == 0)
			return 1;
		if (n == 0 || pickup_write(p, copy_in, (size_t)n) == -1) {
			log_warn("incoming/%s: spool write", p->name);
			inc->stalled = true;
			return -1;
		}
		p->left -= n;
		p->since_check += (size_t)n;
		*budget = (size_t)n >= *budget ? 0 : *budget - (size_t)n;
	}
	return 0;
}

static void	commit_done(void *, int, const char *);

/* The whole message is in the body: make it durable, as queued mail. */
void
pickup_commit(struct incoming *inc, struct pickup *p)
{
	struct receive_tx	*rtx = p->rtx;

	close(p->fd);
	p->fd = -1;
	receive_set_body8bit(rtx, p->body8bit);
	p->rtx = NULL;
	if (receive_commit(rtx, commit_done, p, NULL) == -1) {
		log_warnx("incoming/%s: spool write failed; it waits",
		    p->name);
		inc->stalled = true;
		pickup_free(p);
		return;
	}
	p->rtx = rtx;		/* until commit_done(): to release */
	TAILQ_INSERT_TAIL(&inc->committing, p, entry);
}

/* receive.c has logged it and handed it to the queue (ok), or not. */
static void
commit_done(void *arg, int ok, const char *id)
{
	struct pickup	*p = arg;
	struct incoming	*inc = p->inc;

	TAILQ_REMOVE(&inc->committing, p, entry);
	p->rtx = NULL;		/* receive.c frees it after this call */
	if (!ok) {
		log_warnx("incoming/%s: not queued: spool commit failed; "
		    "it waits", p->name);
		inc->stalled = true;
		pickup_free(p);
		return;
	}
	/* Queued and durable: now, and only now, the file may go. */
	if (unlinkat(inc->dirfd, p->name, 0) == -1 && errno != ENOENT) {
		log_warn("incoming/%s: unlink (already queued as %s)",
		    p->name, id);
		/* Not queued again while it stays; the others go on. */
		incoming_dir_skip(inc->dir, p->name, NULL, "queued but cannot be removed");
	} else
		inc->dirty = true;
	pickup_free(p);
	incoming_work_schedule(inc);
}
