/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue_dsn.c — owns turning a queued message's state into a delivery
 * status notification (queue_dsn.h): which recipients it reports (their
 * DSN NOTIFY) and with which status, the original read back from the
 * spool (its header section, or all of it for RET=FULL, bounded), the DSN
 * values decoded from xtext, and the hand-over to receive.c as a message
 * from MAILER-DAEMON with a null sender and no DSN parameters of its own
 * (so never a notice about a notice).  The text itself is bounce.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "config.h"
#include "dsn.h"
#include "envelope.h"
#include "log.h"
#include "queue_dsn.h"
#include "receive.h"
#include "spool.h"
#include "util.h"

#define BOUNCE_HEADERS_MAX	(32 * 1024)	/* original headers quoted */
#define BOUNCE_FULL_MAX		(64 * 1024)	/* RET=FULL: larger ones come
						   back as headers only */

/* Read up to max octets of the stored message (NUL-terminated): never
 * past env->size, where a .q's envelope begins (spool.h). */
static char *
read_spool(struct spool *sp, const struct envelope *env, size_t max,
    size_t *len)
{
	char	 path[1024], *buf;
	ssize_t	 n;
	size_t	 got = 0;
	uint64_t left = env->size;
	int	 fd;

	spool_msg_path(sp, env, path, sizeof(path));
	buf = xmalloc(max + 1);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while (got < max && (n = read_upto(fd, buf + got, max - got,
		    &left)) > 0)
			got += (size_t)n;
		close(fd);
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Read the original's header section (up to a bound) for the bounce. */
static char *
read_headers(struct spool *sp, const struct envelope *env, size_t *len)
{
	char	*buf, *end;
	size_t	 got;

	buf = read_spool(sp, env, BOUNCE_HEADERS_MAX, &got);
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

/* Whether a notice of kind reports er, and as what (RFC 3461 4.1). */
static bool
reports(const struct config *cfg, const struct env_rcpt *er,
    enum queue_dsn_kind kind, enum bounce_action *act)
{
	unsigned	n = er->notify;

	if (kind == QUEUE_DSN_DELAYED) {
		*act = BOUNCE_DELAYED;
		return er->state == RCPT_PENDING &&
		    (n == 0 || (n & DSN_NOTIFY_DELAY));
	}
	if (er->state == RCPT_FAILED) {
		*act = BOUNCE_FAILED;
		return cfg->bounces && (n == 0 || (n & DSN_NOTIFY_FAILURE));
	}
	/* A next hop that took NOTIFY reports the success itself. */
	*act = er->done == DSN_DONE_RELAYED ? BOUNCE_RELAYED :
	    BOUNCE_DELIVERED;
	return er->state == RCPT_DELIVERED && (n & DSN_NOTIFY_SUCCESS) &&
	    er->done != DSN_DONE_PASSED;
}

int
queue_dsn_count(const struct config *cfg, const struct envelope *env,
    enum queue_dsn_kind kind)
{
	enum bounce_action	act;
	int			i, n = 0;

	for (i = 0; i < env->n_rcpts; i++)
		if (reports(cfg, &env->rcpts[i], kind, &act))
			n++;
	return n;
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
	enum bounce_action	 act;
	const char		*what;
	char			 (*codes)[16], **orcpts, *hdrs, *full = NULL;
	char			*text, *mid, envid[DSN_ENVID_MAX + 1];
	size_t			 hlen, flen = 0, tlen;
	int			 nb = 0, expired = 0, failed = 0;

	what = kind == QUEUE_DSN_DELAYED ? "delay warning" : "bounce";
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
	orcpts = xcalloc(env->n_rcpts, sizeof(*orcpts));
	for (int i = 0; i < env->n_rcpts; i++) {
		const struct env_rcpt	*er = &env->rcpts[i];

		if (!reports(cfg, er, kind, &act))
			continue;
		if (act == BOUNCE_FAILED && er->status != NULL &&
		    strncmp(er->status, "4.4.7", 5) == 0) {
			strlcpy_(codes[nb], "4.4.7", sizeof(codes[nb]));
			expired = 1;
		} else
			bounce_status_of(er->status ? er->status : "",
			    codes[nb], sizeof(codes[nb]));
		if (act == BOUNCE_FAILED)
			failed++;
		br[nb].addr = er->addr;
		br[nb].status = codes[nb];
		br[nb].diagnostic = er->status;
		br[nb].remote_mta = er->remote;
		br[nb].action = act;
		if (er->orcpt != NULL) {
			orcpts[nb] = xmalloc(strlen(er->orcpt) + 1);
			br[nb].orcpt = dsn_xtext_decode(er->orcpt, orcpts[nb],
			    strlen(er->orcpt) + 1);
		}
		nb++;
	}

	hdrs = read_headers(sp, env, &hlen);
	/* RET=FULL: the whole message, with a failure to report and when
	 * it is small enough; else, as by default, its header section. */
	if (env->ret == DSN_RET_FULL && failed > 0 &&
	    env->size <= BOUNCE_FULL_MAX)
		full = read_spool(sp, env, BOUNCE_FULL_MAX, &flen);
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
	bi.orig_full = full;
	bi.orig_full_len = flen;
	if (env->envid != NULL)
		bi.envid = dsn_xtext_decode(env->envid, envid, sizeof(envid));
	bi.message_id = mid;
	text = bounce_build(&bi, br, nb, &tlen);
	free(mid);
	free(hdrs);
	free(full);
	for (int i = 0; i < nb; i++)
		free(orcpts[i]);
	free(orcpts);
	free(codes);
	free(br);

	/* 8-bit octets: a UTF-8 address or an 8-bit original (RET=FULL). */
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)text[i] >= 0x80) {
			receive_set_body8bit(rtx, true);
			break;
		}
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
