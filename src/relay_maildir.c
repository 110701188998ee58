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
#include "durable.h"
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

/* Copy the stored message (CRLF; its first left octets) to fd with LF
 * line ends. */
static int
md_copy(int in, int out, uint64_t left)
{
	static char	ibuf[MD_CHUNK], obuf[MD_CHUNK + 1];
	struct tolf	t;
	ssize_t		n;

	tolf_init(&t);
	for (;;) {
		n = read_upto(in, ibuf, sizeof(ibuf), &left);
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

/* Open dir/sub, making it when missing: a descriptor, or -1 with errno. */
static int
md_subdir(const char *dir, const char *sub)
{
	char	*path = xasprintf("%s/%s", dir, sub);
	int	 fd;

	if (mkdirat(AT_FDCWD, path, 0700) == -1 && errno != EEXIST)
		fd = -1;
	else
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(path);
	return fd;
}

/* Deliver to one recipient, tmp/ then new/ through durable.c; returns 0,
 * or an errno value. */
static int
md_deliver_one(struct md_relay *r, struct delivery *d, const char *rcpt)
{
	static const char *const subdirs[] = { "tmp", "new", "cur" };
	char		*dir = NULL, *uniq = NULL, *hdr = NULL;
	const char	*what = NULL;
	int		 fds[3] = { -1, -1, -1 }, in = -1, out, err = 0;
	size_t		 i;

	if ((dir = template_expand_str(r->rc->path, d->env->sender, rcpt,
	    md_add_piece, NULL)) == NULL) {
		log_warnx("relayer %s: bad path template %s", r->rc->name,
		    r->rc->path);
		return EINVAL;
	}
	if (mkdir_p(dir, 0700, 0700) == -1) {
		err = errno;
		what = "mkdir";
		goto out;
	}
	for (i = 0; i < 3; i++)
		if ((fds[i] = md_subdir(dir, subdirs[i])) == -1) {
			err = errno;
			what = subdirs[i];
			goto out;
		}
	if ((in = open(d->msg_path, O_RDONLY | O_CLOEXEC)) == -1) {
		err = errno;
		what = "open of the queued message";
		goto out;
	}
	uniq = md_unique(r);
	if ((out = durable_create(fds[0], uniq, 0600)) == -1) {
		err = errno;
		what = "create in tmp";
		goto out;
	}
	hdr = xasprintf("Return-Path: <%s>\nDelivered-To: %s\n",
	    d->env->sender, rcpt);
	if (write_all(out, hdr, strlen(hdr)) == -1 ||
	    md_copy(in, out, d->size) == -1) {
		err = errno;
		what = "write in tmp";
		close(out);
		unlinkat(fds[0], uniq, 0);
		goto out;
	}
	/* On DURABLE_DOUBT the file is in place, only its durability is in
	 * doubt: a retry may duplicate it, which beats a loss. */
	if (durable_commit(out, fds[0], uniq, fds[1], uniq, true, &what) !=
	    DURABLE_OK)
		err = errno;
out:
	if (err != 0)
		log_warnx("relayer %s: %s: %s: %s", r->rc->name, dir, what,
		    strerror(err));
	if (in != -1)
		close(in);
	for (i = 0; i < 3; i++)
		if (fds[i] != -1)
			close(fds[i]);
	free(dir);
	free(uniq);
	free(hdr);
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
