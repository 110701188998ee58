/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue_dsn.c — owns turning a queued message's state into a delivery
 * status notification (queue_dsn.h): which recipients it reports and with
 * which status, the original's header section read back from the spool
 * (bounded), and the hand-over to receive.c as a message from
 * MAILER-DAEMON with a null sender.  The text itself is bounce.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "queue_dsn.h"
#include "receive.h"
#include "spool.h"
#include "util.h"

#define BOUNCE_HEADERS_MAX	(32 * 1024)	/* original headers quoted */

/* Read the original's header section (up to a bound) for the bounce. */
static char *
read_headers(struct spool *sp, const char *id, size_t *len)
{
	char	 path[1024], *buf, *end;
	ssize_t	 n;
	size_t	 got = 0;
	int	 fd;

	spool_msg_path(sp, id, path, sizeof(path));
	buf = xmalloc(BOUNCE_HEADERS_MAX + 1);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while (got < BOUNCE_HEADERS_MAX &&
		    (n = read(fd, buf + got, BOUNCE_HEADERS_MAX - got)) > 0)
			got += (size_t)n;
		close(fd);
	}
	buf[got] = '\0';
	if ((end = strstr(buf, "\r\n\r\n")) != NULL)
		got = (size_t)(end - buf) + 2;
	else if (got == BOUNCE_HEADERS_MAX) {
		/* Cut at the last whole line. */
		while (got > 0 && buf[got - 1] != '\n')
			got--;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

int
queue_dsn(struct receive *rc, struct spool *sp, struct config *cfg,
    const struct envelope *env, enum queue_dsn_kind kind, receive_done_cb cb,
    void *arg)
{
	struct bounce_rcpt	*br;
	struct bounce_info	 bi;
	struct receive_origin	 o;
	struct receive_tx	*rtx;
	enum rcpt_state		 want;
	const char		*what;
	char			 (*codes)[16], *hdrs, *text, *mid;
	size_t			 hlen, tlen;
	int			 nb = 0, expired = 0;

	what = kind == QUEUE_DSN_DELAYED ? "delay warning" : "bounce";
	want = kind == QUEUE_DSN_DELAYED ? RCPT_PENDING : RCPT_FAILED;
	memset(&o, 0, sizeof(o));
	o.kind = RECEIVE_BOUNCE;
	o.listener = LISTENER_BOUNCE;
	o.batch = BATCH_BIFURCATE_ALWAYS;
	o.bounce_of = env->id;
	if ((rtx = receive_begin(rc, cfg, &o, "", &env->sender, 1)) == NULL) {
		log_warn("id=%s: cannot write the %s", env->id, what);
		return -1;
	}

	br = xcalloc(env->n_rcpts, sizeof(*br));
	codes = xcalloc(env->n_rcpts, sizeof(*codes));
	for (int i = 0; i < env->n_rcpts; i++) {
		const struct env_rcpt	*er = &env->rcpts[i];

		if (er->state != want)
			continue;
		if (kind == QUEUE_DSN_FAILED && er->status != NULL &&
		    strncmp(er->status, "4.4.7", 5) == 0) {
			strlcpy_(codes[nb], "4.4.7", sizeof(codes[nb]));
			expired = 1;
		} else
			bounce_status_of(er->status ? er->status : "",
			    codes[nb], sizeof(codes[nb]));
		br[nb].addr = er->addr;
		br[nb].status = codes[nb];
		br[nb].diagnostic = er->status;
		br[nb].remote_mta = er->remote;
		nb++;
	}

	hdrs = read_headers(sp, env->id, &hlen);
	mid = xasprintf("<%s.%s@%s>", receive_id(rtx),
	    kind == QUEUE_DSN_DELAYED ? "delay" : "bounce", cfg->hostname);
	memset(&bi, 0, sizeof(bi));
	bi.hostname = cfg->hostname;
	bi.id = env->id;
	bi.sender = env->sender;
	bi.arrival = env->created;
	bi.now = now();
	bi.expired = expired;
	if (kind == QUEUE_DSN_DELAYED) {
		bi.delayed = 1;
		bi.retry_until = env->created + cfg->max_age;
	}
	bi.orig_headers = hdrs;
	bi.orig_headers_len = hlen;
	bi.message_id = mid;
	text = bounce_build(&bi, br, nb, &tlen);
	free(mid);
	free(hdrs);
	free(codes);
	free(br);

	if (receive_write(rtx, text, tlen) == -1) {
		receive_release(rtx);
		rtx = NULL;
	}
	free(text);
	/* receive_commit() frees rtx whatever it returns. */
	if (rtx == NULL || receive_commit(rtx, cb, arg, NULL) == -1) {
		log_warnx("id=%s: cannot write the %s", env->id, what);
		return -1;
	}
	return 0;
}
