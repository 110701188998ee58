/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * receive.c — owns the one reception path (receive.h): batch planning and
 * queue ids, the body stream with its hooks, the envelopes, the spool
 * commit, the "accepted"/"queued" log lines, the received count and the
 * hand-over to the queue.  The header section (the Received: field, the
 * scan, the field filter, the added fields) is receive_hdr.c's, on the
 * same transaction (receive_int.h).  The SMTP session, the incoming/
 * pickup and the bounce path only feed it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "receive.h"
#include "receive_int.h"
#include "route.h"
#include "smtp_data.h"
#include "smtp_parse.h"
#include "spool.h"
#include "spool_commit.h"
#include "stats.h"
#include "util.h"

struct receive *
receive_new(struct spool *sp, struct spool_commits *cm, receive_sink_cb sink,
    void *arg)
{
	struct receive	*rc;

	rc = xcalloc(1, sizeof(*rc));
	rc->spool = sp;
	rc->commits = cm;
	rc->sink = sink;
	rc->sink_arg = arg;
	return rc;
}

void
receive_free(struct receive *rc)
{
	free(rc);
}

void
receive_set_hooks(struct receive *rc, const struct receive_hooks *h,
    void *arg)
{
	rc->hooks = h;
	rc->hooks_arg = arg;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
tx_free(struct receive_tx *tx)
{
	int	i;

	if (tx->started && tx->h->end != NULL)
		tx->h->end(tx->harg, tx);
	free(tx->fout.p);
	if (tx->body != NULL)
		spool_body_abort(tx->body);
	if (tx->envs != NULL) {
		for (i = 0; i < tx->n_batches; i++)
			envelope_free(tx->envs[i]);
		free(tx->envs);
	}
	strv_free(tx->rcpts, tx->n_rcpts);
	free(tx->notify);
	strv_free(tx->orcpt, tx->n_rcpts);
	free((char *)tx->o.dsn_envid);
	free(tx->sender);
	free(tx->batch_of);
	free(tx->ids);
	free(tx->hdr.p);
	free((char *)tx->o.listener);
	free((char *)tx->o.helo);
	free((char *)tx->o.client);
	free((char *)tx->o.tls_info);
	free((char *)tx->o.auth_user);
	free((char *)tx->o.bounce_of);
	config_unref(tx->cfg);
	free(tx);
}

/*
 * Batches and ids.
 */

/* Grouping key of one recipient for batch_split(); the caller frees it. */
static char *
batch_key(struct receive_tx *tx, const char *rcpt)
{
	struct route	 r;
	const char	*dom;

	if (tx->o.batch == BATCH_BY_ROUTE &&
	    route_resolve(tx->cfg, tx->o.listener, tx->sender, rcpt, &r) == 0 &&
	    r.relayer != NULL)
		return batch_route_key(&r);
	dom = smtp_addr_domain(rcpt);
	return lowercase(xstrdup(dom != NULL ? dom : ""));
}

/* Split into batches and take their queue ids now, for Received. */
static void
plan_batches(struct receive_tx *tx)
{
	char	**keys;
	int	  i;

	keys = xcalloc(tx->n_rcpts, sizeof(*keys));
	for (i = 0; i < tx->n_rcpts; i++)
		keys[i] = batch_key(tx, tx->rcpts[i]);
	tx->batch_of = xcalloc(tx->n_rcpts, sizeof(*tx->batch_of));
	tx->n_batches = batch_split(tx->o.batch, (const char *const *)keys,
	    tx->n_rcpts, tx->batch_of);
	strv_free(keys, tx->n_rcpts);
	if (tx->n_batches < 1 || tx->n_batches > tx->n_rcpts)
		fatalx("batch_split: %d batches for %d recipients",
		    tx->n_batches, tx->n_rcpts);
	tx->ids = xcalloc(tx->n_batches, sizeof(*tx->ids));
	for (i = 0; i < tx->n_batches; i++)
		spool_new_id(tx->rc->spool, tx->ids[i], sizeof(tx->ids[i]));
}

/*
 * Storing.
 */

/* Store octets past every filter: the body observer sees them, then the
 * spool.  A write failure is logged once and sticks. */
static void
store(struct receive_tx *tx, const void *buf, size_t len)
{
	const struct receive_hooks	*h = tx->h;

	if (tx->body == NULL || len == 0)
		return;
	if (h != NULL && h->body != NULL)
		h->body(tx->harg, tx, buf, len, tx->in_header);
	if (spool_body_write(tx->body, buf, len) == -1) {
		log_warn("spool: body write");
		spool_body_abort(tx->body);
		tx->body = NULL;
		tx->write_error = true;
	}
}

void
receive_emit(struct receive_tx *tx, const void *buf, size_t len)
{
	store(tx, buf, len);
}

int
receive_prepend(struct receive_tx *tx, const void *buf, size_t len)
{
	if (tx->body == NULL)
		return -1;
	if (spool_body_prepend(tx->body, buf, len) == -1) {
		log_warn("spool: body write");
		spool_body_abort(tx->body);
		tx->body = NULL;
		tx->write_error = true;
		return -1;
	}
	return 0;
}

struct receive_tx *
receive_begin(struct receive *rc, struct config *cfg,
    const struct receive_origin *o, const char *sender, char *const *rcpts,
    int n_rcpts)
{
	const struct receive_hooks	*h;
	struct receive_tx		*tx;
	char				*rcv;
	size_t				 id_off;
	int				 i;

	if (n_rcpts < 1)
		fatalx("receive_begin: no recipient");
	tx = xcalloc(1, sizeof(*tx));
	tx->rc = rc;
	h = tx->h = rc->hooks;
	tx->harg = rc->hooks_arg;
	if ((tx->body = spool_body_new(rc->spool)) == NULL) {
		free(tx);
		return NULL;
	}
	tx->cfg = config_ref(cfg);
	tx->o = *o;
	tx->o.listener = dup_or_null(o->listener);
	tx->o.helo = dup_or_null(o->helo);
	tx->o.client = dup_or_null(o->client);
	tx->o.tls_info = dup_or_null(o->tls_info);
	tx->o.auth_user = dup_or_null(o->auth_user);
	tx->o.bounce_of = dup_or_null(o->bounce_of);
	tx->o.dsn_envid = dup_or_null(o->dsn_envid);
	tx->o.dsn_rcpts = NULL;		/* copied below */
	tx->sender = xstrdup(sender);
	tx->rcpts = xcalloc(n_rcpts, sizeof(*tx->rcpts));
	for (i = 0; i < n_rcpts; i++)
		tx->rcpts[i] = xstrdup(rcpts[i]);
	if (o->dsn_rcpts != NULL) {
		tx->notify = xcalloc(n_rcpts, sizeof(*tx->notify));
		tx->orcpt = xcalloc(n_rcpts, sizeof(*tx->orcpt));
		for (i = 0; i < n_rcpts; i++) {
			tx->notify[i] = o->dsn_rcpts[i].notify;
			tx->orcpt[i] = dup_or_null(o->dsn_rcpts[i].orcpt);
		}
	}
	tx->n_rcpts = n_rcpts;
	plan_batches(tx);

	hdr_scan_init(&tx->hs);
	tx->filtering = h != NULL && h->header != NULL;
	tx->scan = o->add_message_id || o->add_date || (h != NULL &&
	    (h->header != NULL || h->headers_end != NULL || h->body != NULL));
	if ((rcv = receive_hdr_received(tx, &id_off)) != NULL) {
		/* Ours, not the message's: no hook sees it as a field. */
		spool_body_id_at(tx->body, spool_body_size(tx->body) + id_off);
		if (spool_body_write(tx->body, rcv, strlen(rcv)) == -1) {
			log_warn("spool: body write");
			spool_body_abort(tx->body);
			tx->body = NULL;
			tx->write_error = true;
		}
		free(rcv);
	}
	tx->in_header = true;
	if (h != NULL) {
		tx->hstate = h->start != NULL ? h->start(tx->harg, tx) : NULL;
		tx->started = true;
	}
	return tx;
}

const char *
receive_id(const struct receive_tx *tx)
{
	return tx->ids[0];
}

const char *
receive_sender(const struct receive_tx *tx)
{
	return tx->sender;
}

const struct receive_origin *
receive_origin(const struct receive_tx *tx)
{
	return &tx->o;
}

struct config *
receive_config(const struct receive_tx *tx)
{
	return tx->cfg;
}

void *
receive_hook_state(const struct receive_tx *tx)
{
	return tx->hstate;
}

uint64_t
receive_size(const struct receive_tx *tx)
{
	return tx->body != NULL ? spool_body_size(tx->body) : 0;
}

void
receive_set_body8bit(struct receive_tx *tx, bool on)
{
	tx->o.body8bit = on;
}

int
receive_write(struct receive_tx *tx, const void *buf, size_t len)
{
	const struct receive_hooks	*h = tx->h;

	if (tx->body == NULL)
		return -1;
	if (h != NULL && h->filter != NULL) {
		tx->fout.len = 0;
		h->filter(tx->harg, tx, buf, len, &tx->fout);
		receive_hdr_feed(tx, tx->fout.p, tx->fout.len);
	} else
		receive_hdr_feed(tx, buf, len);
	return tx->body != NULL ? 0 : -1;
}

/*
 * The commit.
 */

static struct envelope *
make_envelope(struct receive_tx *tx, int b)
{
	struct envelope	*env;
	int		 i;

	env = envelope_new();
	strlcpy_(env->id, tx->ids[b], sizeof(env->id));
	env->sender = xstrdup(tx->sender);
	env->listener = xstrdup(tx->o.listener);
	env->helo = dup_or_null(tx->o.helo);
	env->client = dup_or_null(tx->o.client);
	env->auth_user = dup_or_null(tx->o.auth_user);
	env->created = now();
	env->smtputf8 = tx->o.smtputf8;
	env->body8bit = tx->o.body8bit;
	env->ret = tx->o.dsn_ret;
	env->envid = dup_or_null(tx->o.dsn_envid);
	for (i = 0; i < tx->n_rcpts; i++) {
		if (tx->batch_of[i] != b)
			continue;
		envelope_add_rcpt(env, tx->rcpts[i]);
		if (tx->notify != NULL) {
			env->rcpts[env->n_rcpts - 1].notify = tx->notify[i];
			env->rcpts[env->n_rcpts - 1].orcpt =
			    dup_or_null(tx->orcpt[i]);
		}
	}
	return env;
}

/* Durable: say so in the log, count it, hand it to the queue. */
static void
queued(struct receive_tx *tx)
{
	struct envelope	*e0 = tx->envs[0];
	int		 i;

	switch (tx->o.kind) {
	case RECEIVE_SMTP:
		stats_received(e0->listener);
		log_event("accepted", "id=%s from=<%s> nrcpt=%d size=%llu "
		    "client=%s listener=%s", e0->id, e0->sender, tx->n_rcpts,
		    (unsigned long long)e0->size, e0->client, e0->listener);
		break;
	case RECEIVE_PICKUP:
		stats_received(e0->listener);
		log_event("accepted", "id=%s from=<%s> nrcpt=%d size=%llu "
		    "uid=%lu listener=%s", e0->id, e0->sender, tx->n_rcpts,
		    (unsigned long long)e0->size, (unsigned long)tx->o.uid,
		    e0->listener);
		break;
	case RECEIVE_BOUNCE:
		break;
	}
	/* Log before the sink: the queue owns them after. */
	for (i = 0; i < tx->n_batches; i++) {
		if (tx->o.kind == RECEIVE_BOUNCE)
			log_event("queued", "id=%s from=<> to=<%s> "
			    "bounce_of=%s", tx->envs[i]->id,
			    tx->envs[i]->rcpts[0].addr, tx->o.bounce_of);
		else
			log_event("queued", "id=%s from=<%s> nrcpt=%d "
			    "size=%llu", tx->envs[i]->id, tx->envs[i]->sender,
			    tx->envs[i]->n_rcpts,
			    (unsigned long long)tx->envs[i]->size);
	}
	for (i = 0; i < tx->n_batches; i++) {
		tx->rc->sink(tx->rc->sink_arg, tx->envs[i]);
		tx->envs[i] = NULL;
	}
}

/* The spool has the message on disk (ok) or has given up. */
static void
committed(void *arg, int ok)
{
	struct receive_tx	*tx = arg;
	char			 id[QUEUE_ID_MAX + 1];

	strlcpy_(id, tx->ids[0], sizeof(id));
	if (ok)
		queued(tx);
	if (tx->cb != NULL)
		tx->cb(tx->cb_arg, ok, id);
	tx_free(tx);
}

int
receive_commit(struct receive_tx *tx, receive_done_cb cb, void *arg,
    const char **reply)
{
	const struct receive_hooks	*h = tx->h;
	struct spool_body		*body;
	int				 b;

	if (reply != NULL)
		*reply = NULL;
	if (tx->body != NULL && h != NULL && h->filter_finish != NULL) {
		tx->fout.len = 0;
		h->filter_finish(tx->harg, tx, &tx->fout);
		receive_hdr_feed(tx, tx->fout.p, tx->fout.len);
	}
	if (tx->body != NULL)
		receive_hdr_finish(tx);
	if (tx->body != NULL && h != NULL && h->finish != NULL &&
	    h->finish(tx->harg, tx, reply) == -1) {
		tx_free(tx);
		return -1;
	}
	if (tx->write_error || tx->body == NULL) {
		tx_free(tx);
		return -1;
	}
	tx->envs = xcalloc(tx->n_batches, sizeof(*tx->envs));
	for (b = 0; b < tx->n_batches; b++)
		tx->envs[b] = make_envelope(tx, b);
	tx->cb = cb;
	tx->cb_arg = arg;
	tx->committing = true;
	body = tx->body;
	tx->body = NULL;		/* the spool owns it from here on */
	spool_commit(tx->rc->commits, body, tx->envs, tx->n_batches, committed,
	    tx);
	return 0;
}

void
receive_release(struct receive_tx *tx)
{
	if (tx == NULL)
		return;
	if (tx->committing) {
		tx->cb = NULL;
		return;
	}
	tx_free(tx);
}
