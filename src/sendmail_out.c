/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sendmail_out.c — owns smarthost-sendmail's file in the spool's
 * incoming/ (sendmail.h): opening incoming/ (an O_PATH descriptor for a
 * user who may not read it), the temporary file under a random name, the
 * buffered writes, and its durable hand-over through durable.c; no
 * temporary file is left behind by a failure or a signal.
 */
#include <sys/types.h>
#include <sys/random.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "durable.h"
#include "incoming_env.h"
#include "log.h"
#include "sendmail.h"
#include "spool.h"
#include "util.h"

#define IO_BUFSIZE	(64 * 1024)

void
random_hex(char *buf, size_t nbytes)
{
	unsigned char	r[32];
	size_t		i, got = 0;
	ssize_t		n;

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	while (got < nbytes) {
		n = getrandom(r + got, nbytes - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die(EX_OSERR, "getrandom: %s", strerror(errno));
		got += (size_t)n;
	}
	for (i = 0; i < nbytes; i++)
		sprintf(buf + 2 * i, "%02x", r[i]);
}

static int	 g_dirfd = -1;
static char	 g_tmpname[64];

/* Interrupted: leave no temporary file behind. */
static void
on_signal(int sig)
{
	if (g_dirfd != -1 && g_tmpname[0] != '\0')
		unlinkat(g_dirfd, g_tmpname, 0);
	_exit(EX_TEMPFAIL);
}

struct sendmail_out {
	int	 dirfd;		/* incoming/ */
	bool	 can_sync;	/* dirfd may be fsync'd (not O_PATH) */
	int	 fd;
	char	 buf[IO_BUFSIZE];
	size_t	 len;
	uint64_t total;		/* octets written so far */
};

static void
out_fail(const char *what)
{
	int	saved = errno;

	if (g_dirfd != -1 && g_tmpname[0] != '\0')
		unlinkat(g_dirfd, g_tmpname, 0);
	die(EX_TEMPFAIL, "%s: %s", what, strerror(saved));
}

static void
out_flush(struct sendmail_out *o)
{
	if (write_all(o->fd, o->buf, o->len) == -1)
		out_fail("writing to incoming/");
	o->len = 0;
}

void
sendmail_out_write(struct sendmail_out *o, const void *data, size_t n)
{
	if (write_buffered(o->fd, o->buf, sizeof(o->buf), &o->len, data,
	    n) == -1)
		out_fail("writing to incoming/");
	o->total += n;
}

/*
 * Open incoming/, creating the spool if the daemon has never run and we
 * may (as root, say).  Other users may not read incoming/ (that is the
 * point of 01733), so they get an O_PATH descriptor, good for openat()
 * and renameat() but not for fsync(): *can_sync says which.
 */
static int
open_incoming(const char *spool, bool *can_sync)
{
	char	*path, err[1024];
	int	 fd;

	path = xasprintf("%s/incoming", spool);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (spool_create(spool, err, sizeof(err)) == -1)
			die(EX_TEMPFAIL, "%s", err);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	*can_sync = fd != -1;
	if (fd == -1 && errno == EACCES)
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		die(errno == EACCES ? EX_NOPERM : EX_TEMPFAIL, "%s: %s", path,
		    strerror(errno));
	free(path);
	return fd;
}

/* Create the temporary file (the names say incoming_env.h), readable by
 * a daemon that dropped root whatever our umask. */
static int
create_tmp(int dirfd)
{
	char	rnd[33];
	int	fd, tries;

	for (tries = 0; tries < 10; tries++) {
		random_hex(rnd, 16);
		snprintf(g_tmpname, sizeof(g_tmpname), "%s%s",
		    INCOMING_TMP_PREFIX, rnd);
		if ((fd = durable_create(dirfd, g_tmpname, 0644)) != -1)
			return fd;
		if (errno != EEXIST) {
			g_tmpname[0] = '\0';
			die(errno == EACCES ? EX_NOPERM : EX_TEMPFAIL,
			    "cannot create a file in incoming/: %s",
			    strerror(errno));
		}
	}
	g_tmpname[0] = '\0';
	die(EX_TEMPFAIL, "cannot create a file in incoming/");
}

/* Into place under its final name, durably: then it is ours no more, and
 * only then may we say so. */
static void
commit_file(int dirfd, int fd, bool can_sync)
{
	struct timeval	tv;
	const char	*what;
	char		rnd[33], name[96];

	gettimeofday(&tv, NULL);
	random_hex(rnd, 16);
	snprintf(name, sizeof(name), "%s%016llx.%s", INCOMING_PREFIX,
	    ((unsigned long long)tv.tv_sec << 20) |
	    (unsigned long long)tv.tv_usec, rnd);
	switch (durable_commit(fd, dirfd, g_tmpname, dirfd, name, can_sync,
	    &what)) {
	case DURABLE_OK:
		g_tmpname[0] = '\0';
		return;
	case DURABLE_FAILED:
		g_tmpname[0] = '\0';	/* removed */
		die(EX_TEMPFAIL, "%s in incoming/: %s", what,
		    strerror(errno));
	case DURABLE_DOUBT:
		break;
	}
	g_tmpname[0] = '\0';
	die(EX_TEMPFAIL, "%s in incoming/: %s (the message may or may not be "
	    "queued)", what, strerror(errno));
}

struct sendmail_out *
sendmail_out_open(const char *spool, const char *envtext, size_t envlen)
{
	struct sendmail_out	*o;
	struct sigaction	 sa;

	o = xcalloc(1, sizeof(*o));
	o->dirfd = open_incoming(spool, &o->can_sync);
	g_dirfd = o->dirfd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	o->fd = create_tmp(o->dirfd);
	sendmail_out_write(o, envtext, envlen);
	o->total = 0;		/* the message's size from here on */
	return o;
}

uint64_t
sendmail_out_total(const struct sendmail_out *o)
{
	return o->total;
}

void
sendmail_out_commit(struct sendmail_out *o)
{
	out_flush(o);
	commit_file(o->dirfd, o->fd, o->can_sync);
	close(o->dirfd);
	g_dirfd = -1;
	free(o);
}

void
sendmail_out_abort(struct sendmail_out *o)
{
	close(o->fd);
	unlinkat(o->dirfd, g_tmpname, 0);
	g_tmpname[0] = '\0';
	close(o->dirfd);
	g_dirfd = -1;
	free(o);
}
