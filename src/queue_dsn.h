/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue_dsn.h — the queue's delivery status notifications: once every
 * recipient of a message has a final outcome, one notice for the failed
 * ones (permanent failure or expiry) and the delivered ones that asked
 * for it (DSN NOTIFY=SUCCESS); or a delay warning for its pending ones
 * (delay_warning).  Built by bounce.c and queued through the one
 * reception path like any message.  Which recipients a notice reports
 * follows their DSN NOTIFY (RFC 3461 4.1): NEVER none, a list only what
 * it names, none given failures and delays.
 */
#ifndef SMARTHOSTD_QUEUE_DSN_H
#define SMARTHOSTD_QUEUE_DSN_H

#include "receive.h"

struct config;
struct envelope;
struct spool;

enum queue_dsn_kind {
	QUEUE_DSN_FINAL,	/* RCPT_FAILED recipients: Action: failed (if
				   bounces); RCPT_DELIVERED ones with
				   NOTIFY=SUCCESS: delivered or relayed */
	QUEUE_DSN_DELAYED	/* RCPT_PENDING recipients: Action: delayed */
};

/* How many recipients of env a notice of this kind would report (0: send
 * none).  Pure. */
int	queue_dsn_count(const struct config *, const struct envelope *,
	    enum queue_dsn_kind);

/*
 * Build the notice for env (its original header section read from sp)
 * and commit it to env's sender through rc, with a null sender.  Returns
 * 0 when it is on its way (cb will be called as receive_commit() says),
 * -1 when it could not even be written (logged; cb is not called).
 */
int	queue_dsn(struct receive *rc, struct spool *sp, struct config *cfg,
	    const struct envelope *env, enum queue_dsn_kind kind,
	    receive_done_cb cb, void *arg);

#endif
