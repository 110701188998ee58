/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * receive_filters.c — owns the header filtering of received mail: for
 * each transaction, a streaming hdr_filter (hdr_filter.c) set up from the
 * configuration the transaction began with: the listener's strip_headers
 * (SMTP listeners only: smarthost-sendmail and bounces have none) and,
 * where `rewrite` applies to the listener and `headers` is on, the
 * address header fields.  The envelope is rewritten before reception
 * (smtp_session.c at MAIL/RCPT, incoming.c at pickup), so that relay
 * checks and routing see the new addresses.  DKIM signing (dkim.h) rides
 * on the same hooks: the body observer and finish, after the filters.
 */
#include <stdlib.h>

#include "config.h"
#include "dkim.h"
#include "hdr_filter.h"
#include "log.h"
#include "receive.h"
#include "receive_filters.h"
#include "rewrite.h"
#include "util.h"

/* The hooks' state: the header filter and the DKIM signer, each NULL
 * when it has nothing to do. */
struct rf_state {
	struct hdr_filter	*f;
	struct dkim_msg		*dkim;
};

static struct hdr_filter *
filter_start(struct receive_tx *tx)
{
	const struct config		*cfg = receive_config(tx);
	const struct receive_origin	*o = receive_origin(tx);
	const struct listener_conf	*lc = NULL;
	const struct rewrite_conf	*rw = NULL;
	struct hdr_filter		*f;

	if (o->kind == RECEIVE_BOUNCE)
		return NULL;
	if (o->kind == RECEIVE_SMTP)
		lc = config_listener(cfg, o->listener);
	if (cfg->rewrite.headers && rewrite_applies(&cfg->rewrite,
	    o->listener))
		rw = &cfg->rewrite;
	f = xcalloc(1, sizeof(*f));
	hdr_filter_init(f, lc != NULL ? lc->strip_headers : NULL,
	    lc != NULL ? lc->n_strip_headers : 0, rw, cfg->hostname);
	if (!hdr_filter_active(f)) {
		free(f);
		return NULL;
	}
	return f;
}

static void *
rf_start(void *arg, struct receive_tx *tx)
{
	struct rf_state	*st;

	(void)arg;
	st = xcalloc(1, sizeof(*st));
	st->f = filter_start(tx);
	st->dkim = dkim_rx_start(tx);
	if (st->f == NULL && st->dkim == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

static struct hdr_filter *
filter_of(struct receive_tx *tx)
{
	struct rf_state	*st = receive_hook_state(tx);

	return st != NULL ? st->f : NULL;
}

static void
rf_filter(void *arg, struct receive_tx *tx, const char *in, size_t len,
    struct buf *out)
{
	struct hdr_filter	*f = filter_of(tx);

	(void)arg;
	if (f == NULL)
		buf_add(out, in, len);
	else
		hdr_filter_feed(f, in, len, out);
}

static void
rf_filter_finish(void *arg, struct receive_tx *tx, struct buf *out)
{
	struct hdr_filter	*f = filter_of(tx);

	(void)arg;
	if (f != NULL)
		hdr_filter_finish(f, out);
}

/* DKIM sees what is stored, after the filters. */
static void
rf_body(void *arg, struct receive_tx *tx, const char *buf, size_t len,
    bool in_header)
{
	struct rf_state	*st = receive_hook_state(tx);

	(void)arg;
	(void)in_header;
	if (st != NULL)
		dkim_rx_body(st->dkim, buf, len);
}

static int
rf_finish(void *arg, struct receive_tx *tx, const char **reply)
{
	struct rf_state	*st = receive_hook_state(tx);

	(void)arg;
	(void)reply;
	return st != NULL ? dkim_rx_finish(st->dkim, tx) : 0;
}

static void
rf_end(void *arg, struct receive_tx *tx)
{
	struct rf_state		*st = receive_hook_state(tx);
	struct hdr_filter	*f;

	(void)arg;
	if (st == NULL)
		return;
	dkim_rx_end(st->dkim);
	if ((f = st->f) != NULL) {
		if (f->stripped > 0 || f->rewritten > 0)
			log_debug("receive: id=%s: %u header fields stripped, "
			    "%u rewritten", receive_id(tx), f->stripped,
			    f->rewritten);
		hdr_filter_free(f);
		free(f);
	}
	free(st);
}

const struct receive_hooks receive_filters = {
	.start = rf_start,
	.filter = rf_filter,
	.filter_finish = rf_filter_finish,
	.body = rf_body,
	.finish = rf_finish,
	.end = rf_end,
};
