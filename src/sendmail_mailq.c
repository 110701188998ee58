/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sendmail_mailq.c — owns mailq (smarthost-sendmail -bp, sendmail.h):
 * the daemon's "queue" through the control socket (control_client.c), or,
 * when no daemon answers, the spool read with spool_list() and printed as
 * the daemon prints it (control_format.c), with the files still waiting
 * in incoming/ counted when we may list it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <event2/buffer.h>

#include "config.h"
#include "control_client.h"
#include "control_format.h"
#include "incoming_env.h"
#include "log.h"
#include "sendmail.h"
#include "spool.h"
#include "util.h"

#define MAILQ_TIMEOUT	30		/* seconds for the control socket */

/*
 * Ask the daemon (control_client.c).  Returns our exit status, or -1 when
 * there is no daemon to ask.
 */
static int
mailq_control(const char *path)
{
	char	err[1024];

	switch (control_client_run(path, "queue\n", 6, MAILQ_TIMEOUT, stdout,
	    err, sizeof(err))) {
	case CTLC_OK:
		return 0;
	case CTLC_NO_DAEMON:
		return -1;
	case CTLC_REFUSED:
		die(EX_UNAVAILABLE, "%s", err);
	case CTLC_PROTOCOL:
		die(EX_PROTOCOL, "%s", err);
	case CTLC_TIMEOUT:
		die(EX_TEMPFAIL, "%s", err);
	case CTLC_IO:
		break;
	}
	die(EX_IOERR, "%s", err);
}

static void
mailq_cb(void *arg, const struct envelope *env)
{
	control_listing_add(arg, env, false);
}

/* How many files wait in incoming/: only the spool's owner may list it,
 * -1 for anyone else. */
static int
incoming_waiting(const char *spool)
{
	struct dirent	*de;
	DIR		*d;
	char		*path;
	int		 n = 0;

	path = xasprintf("%s/incoming", spool);
	d = opendir(path);
	free(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, INCOMING_PREFIX,
		    sizeof(INCOMING_PREFIX) - 1) == 0)
			n++;
	closedir(d);
	return n;
}

/* The daemon is down: list the spool as it would, if we may read it. */
static int
mailq_spool(const struct config *cfg)
{
	struct control_listing	 l;
	struct evbuffer		*b;
	char			 err[1024];
	size_t			 len;
	int			 waiting;

	if ((b = evbuffer_new()) == NULL)
		die(EX_OSERR, "out of memory");
	evbuffer_add_printf(b, "smarthostd is not running; the spool "
	    "holds:\n");
	control_listing_begin(&l, b, cfg, false);
	if (spool_list(cfg->spool, mailq_cb, &l, err, sizeof(err)) == -1)
		die(errno == EACCES ? EX_NOPERM : EX_TEMPFAIL, "smarthostd is "
		    "not running, and %s", err);
	control_listing_end(&l);
	if ((waiting = incoming_waiting(cfg->spool)) > 0)
		evbuffer_add_printf(b, "-- %d message%s in incoming/, waiting "
		    "for smarthostd\n", waiting, waiting == 1 ? "" : "s");
	len = evbuffer_get_length(b);
	if (fwrite(evbuffer_pullup(b, -1), 1, len, stdout) != len ||
	    fflush(stdout) == EOF)
		die(EX_IOERR, "stdout: %s", strerror(errno));
	evbuffer_free(b);
	return 0;
}

int
sendmail_mailq(const struct config *cfg)
{
	int	r;

	if (cfg->control == NULL)
		return mailq_spool(cfg);
	if ((r = mailq_control(cfg->control)) != -1)
		return r;
	/* Running, but not for us: the queue is not every user's to see. */
	if (errno == EACCES || errno == EPERM)
		die(EX_NOPERM, "%s: %s (listing the queue is for root and "
		    "the daemon's user)", cfg->control, strerror(errno));
	return mailq_spool(cfg);
}
