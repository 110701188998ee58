/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming.h — mail handed in by smarthost-sendmail: the daemon's pickup
 * that turns each file of the spool's incoming/ area (its format is
 * incoming_env.h's) into queued messages exactly as if they had been
 * received over SMTP.
 *
 * The daemon picks files up at start, when inotify says one was renamed
 * into incoming/, and every few seconds anyway (inotify may be missing or
 * overflow).  Each file becomes queued messages like an SMTP transaction:
 * a Received: header naming the user id, routing as listener "sendmail"
 * (LISTENER_SENDMAIL), recipients split into one queued message per
 * recipient domain (batch_handling "by_domain": the injector has no
 * listener to take the setting from, and one copy per domain is what
 * Postfix and dma do as well), the body streamed into the spool in bounded
 * memory, all through receive.c as for SMTP.  The file is unlinked only after
 * the commit reported success: a crash in between delivers the message
 * twice, never loses it.
 */
#ifndef SMARTHOSTD_INCOMING_H
#define SMARTHOSTD_INCOMING_H

#include "incoming_env.h"	/* the format: the injector and the pickup */
#include "lineend.h"	/* crlf_*(): the injector and the pickup */

struct event_base;
struct spool;
struct queue;
struct receive;
struct incoming;

/*
 * The daemon side.  Starts picking up at once (from the event loop).  Each
 * file is handled with the queue's configuration in force at that moment
 * (queue_config()), so a reload needs no call here.
 */
struct incoming	*incoming_new(struct event_base *, struct spool *,
		    struct queue *, struct receive *);
/* Commits still pending are left to spool_free(); their files stay in
 * incoming/ and are picked up again at the next start. */
void		 incoming_free(struct incoming *);

#endif
