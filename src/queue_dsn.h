/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * queue_dsn.h — the queue's delivery status notifications: a bounce for
 * the failed recipients of a message (permanent failure or expiry), or a
 * delay warning for its pending ones (delay_warning), built by bounce.c
 * and queued through the one reception path like any message.
 */
#ifndef SMARTHOSTD_QUEUE_DSN_H
#define SMARTHOSTD_QUEUE_DSN_H

#include "receive.h"

struct config;
struct envelope;
struct spool;

enum queue_dsn_kind {
	QUEUE_DSN_FAILED,	/* RCPT_FAILED recipients: Action: failed */
	QUEUE_DSN_DELAYED	/* RCPT_PENDING recipients: Action: delayed */
};

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
