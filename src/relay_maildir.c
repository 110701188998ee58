/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_maildir.c — owns local delivery into Maildir folders (type
 * "maildir"): per recipient, the path template is expanded with pieces
 * that cannot escape it, the folder is created as needed, and the message
 * is written by the Maildir protocol (tmp/, fsync, rename into new/, fsync
 * new/) with LF line ends and Return-Path/Delivered-To lines on top.  The
 * file I/O is synchronous (local disk) with a bounded buffer; done() runs
 * later from the event loop as for every relayer.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "envelope.h"
#include "lineend.h"
#include "log.h"
#include "relay.h"
#include "template.h"
#include "util.h"

#define MD_CHUNK	65536

struct md_relay {
	struct config		*cfg;		/* referenced */
	const struct relayer_conf *rc;
	unsigned long		 counter;
};

static void *
md_create(struct event_base *base, struct resolver *dns, struct config *cfg,
    const struct relayer_conf *rc)
{
	struct md_relay	*r;

	r = xcalloc(1, sizeof(*r));
	r->cfg = config_ref(cfg);
	r->rc = rc;
	return r;
}

static void
md_retire(void *state)
{
	struct md_relay	*r = state;

	/* Deliveries finish inside md_deliver: nothing is ever in flight. */
	config_unref(r->cfg);
	free(r);
}



/* Add a piece of an address such that it is one harmless path element:
 * no '/', no leading '.', no control character, never empty. */
static int
md_add_piece(struct buf *b, const char *s, size_t len, bool lower, void *arg)
{
	size_t	i;
	char	ch;

	if (len == 0) {
		buf_add(b, "_", 1);
		return 0;
	}
	for (i = 0; i < len; i++) {
		ch = s[i];
		if (ch == '/' || (i == 0 && ch == '.') ||
		    (unsigned char)ch < 0x20 || ch == 0x7f)
			ch = '_';
		else if (lower)
			ch = tolower((unsigned char)ch);
		buf_add(b, &ch, 1);
	}
	return 0;
}

/* The Maildir path for one recipient, or NULL for an unknown %{name}. */
static char *
md_expand(const char *tmpl, const char *sender, const char *rcpt)
{
	struct buf	 b = { NULL, 0, 0 };

	if (template_expand(&b, tmpl, sender, rcpt, md_add_piece, NULL) == -1) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* Copy the stored message (CRLF) to fd with LF line ends. */
static int
md_copy(int in, int out)
{
	static char	ibuf[MD_CHUNK], obuf[MD_CHUNK + 1];
	struct tolf	t;
	ssize_t		n;

	tolf_init(&t);
	for (;;) {
		n = read(in, ibuf, sizeof(ibuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return write_all(out, obuf, tolf_finish(&t, obuf));
		if (write_all(out, obuf, tolf_feed(&t, ibuf, (size_t)n,
		    obuf)) == -1)
			return -1;
	}
}

static int
md_fsync_dir(const char *dir)
{
	int	fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* The unique part of a Maildir file name: time.MusecPpidQn.host */
static char *
md_unique(struct md_relay *r)
{
	struct buf	 b = { NULL, 0, 0 };
	struct timeval	 tv;
	const char	*h;
	char		*s;

	gettimeofday(&tv, NULL);
	s = xasprintf("%lld.M%ldP%ldQ%lu.", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++r->counter);
	buf_add(&b, s, strlen(s));
	free(s);
	h = r->cfg->hostname != NULL ? r->cfg->hostname : "localhost";
	for (; *h != '\0'; h++) {
		if (*h == '/')
			buf_add(&b, "\\057", 4);
		else if (*h == ':')
			buf_add(&b, "\\072", 4);
		else
			buf_add(&b, h, 1);
	}
	return b.p;
}

/* Deliver to one recipient; returns 0, or an errno value. */
static int
md_deliver_one(struct md_relay *r, struct delivery *d, const char *rcpt)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	char	*dir = NULL, *tmp = NULL, *new = NULL, *sub = NULL;
	char	*uniq = NULL, *hdr = NULL, *what = NULL;
	int	 in = -1, out = -1, err = 0, rv;
	size_t	 i;

	if ((dir = md_expand(r->rc->path, d->env->sender, rcpt)) == NULL) {
		log_warnx("relayer %s: bad path template %s", r->rc->name,
		    r->rc->path);
		return EINVAL;
	}
	if (mkdir_p(dir, 0700, 0700) == -1) {
		err = errno;
		what = xasprintf("mkdir %s", dir);
		goto out;
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		free(sub);
		sub = xasprintf("%s/%s", dir, subdirs[i]);
		if (mkdir(sub, 0700) == -1 && errno != EEXIST) {
			err = errno;
			what = xasprintf("mkdir %s", sub);
			goto out;
		}
	}
	uniq = md_unique(r);
	tmp = xasprintf("%s/tmp/%s", dir, uniq);
	new = xasprintf("%s/new/%s", dir, uniq);
	if ((in = open(d->msg_path, O_RDONLY | O_CLOEXEC)) == -1) {
		err = errno;
		what = xasprintf("open %s", d->msg_path);
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out == -1) {
		err = errno;
		what = xasprintf("open %s", tmp);
		goto out;
	}
	hdr = xasprintf("Return-Path: <%s>\nDelivered-To: %s\n",
	    d->env->sender, rcpt);
	if (write_all(out, hdr, strlen(hdr)) == -1 ||
	    md_copy(in, out) == -1 || fsync(out) == -1) {
		err = errno;
		what = xasprintf("write %s", tmp);
		goto out;
	}
	rv = close(out);
	out = -1;
	if (rv == -1) {
		err = errno;
		what = xasprintf("close %s", tmp);
		goto out;
	}
	if (rename(tmp, new) == -1) {
		err = errno;
		what = xasprintf("rename %s", tmp);
		goto out;
	}
	free(tmp);
	tmp = NULL;	/* in place: nothing to unlink any more */
	free(sub);
	sub = xasprintf("%s/new", dir);
	if (md_fsync_dir(sub) == -1) {
		/* The file is in place, only its durability is in doubt: a
		 * retry may duplicate it, which beats a loss. */
		err = errno;
		what = xasprintf("fsync %s", sub);
	}
out:
	if (err != 0)
		log_warnx("relayer %s: %s: %s", r->rc->name, what,
		    strerror(err));
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (err != 0 && tmp != NULL)
		unlink(tmp);
	free(dir);
	free(tmp);
	free(new);
	free(sub);
	free(uniq);
	free(hdr);
	free(what);
	return err;
}

static void
md_deliver(void *state, struct delivery *d)
{
	struct md_relay	*r = state;
	struct delivery_rcpt *rc;
	char		*status;
	int		 i, err;

	for (i = 0; i < d->n_rcpts; i++) {
		rc = &d->rcpts[i];
		if (rc->result != DLV_PENDING)
			continue;
		free(rc->status);
		if ((err = md_deliver_one(r, d, rc->addr)) == 0) {
			rc->result = DLV_OK;
			rc->status = xstrdup("250 2.0.0 delivered to maildir");
			continue;
		}
		status = xasprintf("451 4.3.0 maildir: %s", strerror(err));
		rc->result = DLV_TEMPFAIL;
		rc->status = status;
	}
	delivery_done_later(d);
}

const struct relay_ops relay_maildir_ops = {
	.create = md_create,
	.deliver = md_deliver,
	.retire = md_retire,
};
