/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim.h — DKIM signing on the one reception path: every message accepted
 * (SMTP, the sendmail pickup) is signed once, when it is accepted, so that
 * every batch and every retry carries the same signature.  Bounces are not
 * signed.  See doc/decisions.md, "DKIM".
 *
 * receive.c takes one hook set; receive_filters.c's calls these beside
 * its header filters, from its start, body, finish and end hooks:
 *
 *   dkim_rx_start    a signing state over the configuration's keys, or
 *                    NULL when it has none
 *   dkim_rx_body     every octet stored after our Received: (so, after
 *                    rewriting and header stripping), hashed as it passes
 *   dkim_rx_finish   the DKIM-Signature: fields, put on top of the stored
 *                    message (receive_prepend())
 *   dkim_rx_end      free
 */
#ifndef SMARTHOSTD_DKIM_H
#define SMARTHOSTD_DKIM_H

#include <stddef.h>

#include "receive.h"

struct dkim_msg;

struct dkim_msg	*dkim_rx_start(struct receive_tx *);
void		 dkim_rx_body(struct dkim_msg *, const char *, size_t);
/* 0, or -1 when the fields could not be stored (the message is then
 * refused with the write error's 451); a message that cannot be signed
 * is logged and goes unsigned. */
int		 dkim_rx_finish(struct dkim_msg *, struct receive_tx *);
void		 dkim_rx_end(struct dkim_msg *);

#endif
