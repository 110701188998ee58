/*
 * receive_filters.c — owns the header filtering of received mail: for
 * each transaction, a streaming hdr_filter (hdr_filter.c) set up from the
 * configuration the transaction began with: the listener's strip_headers
 * (SMTP listeners only: smarthost-sendmail and bounces have none) and,
 * where `rewrite` applies to the listener and `headers` is on, the
 * address header fields.  The envelope is rewritten before reception
 * (smtp_session.c at MAIL/RCPT, incoming.c at pickup), so that relay
 * checks and routing see the new addresses.
 */
#include <stdlib.h>

#include "config.h"
#include "hdr_filter.h"
#include "log.h"
#include "receive.h"
#include "receive_filters.h"
#include "rewrite.h"
#include "util.h"

static void *
rf_start(void *arg, struct receive_tx *tx)
{
	const struct config		*cfg = receive_config(tx);
	const struct receive_origin	*o = receive_origin(tx);
	const struct listener_conf	*lc = NULL;
	const struct rewrite_conf	*rw = NULL;
	struct hdr_filter		*f;

	(void)arg;
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

static void
rf_filter(void *arg, struct receive_tx *tx, const char *in, size_t len,
    struct buf *out)
{
	struct hdr_filter	*f = receive_hook_state(tx);

	(void)arg;
	if (f == NULL)
		buf_add(out, in, len);
	else
		hdr_filter_feed(f, in, len, out);
}

static void
rf_filter_finish(void *arg, struct receive_tx *tx, struct buf *out)
{
	struct hdr_filter	*f = receive_hook_state(tx);

	(void)arg;
	if (f != NULL)
		hdr_filter_finish(f, out);
}

static void
rf_end(void *arg, struct receive_tx *tx)
{
	struct hdr_filter	*f = receive_hook_state(tx);

	(void)arg;
	if (f == NULL)
		return;
	if (f->stripped > 0 || f->rewritten > 0)
		log_debug("receive: id=%s: %u header fields stripped, %u "
		    "rewritten", receive_id(tx), f->stripped, f->rewritten);
	hdr_filter_free(f);
	free(f);
}

const struct receive_hooks receive_filters = {
	.start = rf_start,
	.filter = rf_filter,
	.filter_finish = rf_filter_finish,
	.end = rf_end,
};
