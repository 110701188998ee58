/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * receive.c — owns the one reception path (receive.h): batch planning and
 * queue ids, the Received: header, the header section's scan, filter and
 * added fields, the body stream with its hooks, the envelopes, the spool
 * commit, the "accepted"/"queued" log lines, the received count and the
 * hand-over to the queue.  The SMTP session, the incoming/ pickup and the
 * bounce path only feed it.
 *
 * Memory is bounded per transaction: without a header hook, at most the
 * last hdr_scan_pending() octets (under 1 KiB) of the header section are
 * held back, so that added fields go exactly where the section ends; with
 * one, the header section up to RECEIVE_HEADER_MAX.
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
#include "route.h"
#include "smtp_data.h"
#include "smtp_parse.h"
#include "spool.h"
#include "spool_commit.h"
#include "stats.h"
#include "util.h"

struct receive {
	struct spool			*spool;
	struct spool_commits		*commits;
	receive_sink_cb			 sink;
	void				*sink_arg;
	const struct receive_hooks	*hooks;
	void				*hooks_arg;
};

struct receive_tx {
	struct receive		*rc;
	const struct receive_hooks *h;		/* as at begin, or NULL */
	void			*harg;
	void			*hstate;	/* the start hook's */
	bool			 started;	/* end hook owed */
	struct buf		 fout;		/* the stream filter's output */
	struct config		*cfg;		/* own reference */
	struct receive_origin	 o;		/* strings owned */
	char			*sender;
	char			**rcpts;
	int			 n_rcpts;
	unsigned		*notify;	/* per recipient, or NULL */
	char			**orcpt;	/* per recipient, or NULL */
	int			*batch_of;	/* per recipient */
	int			 n_batches;
	char			(*ids)[QUEUE_ID_MAX + 1];

	struct spool_body	*body;		/* NULL once failed or given */
	bool			 write_error;
	bool			 scan;		/* header section still open */
	bool			 in_header;	/* for the body observer */
	struct hdr_scan		 hs;
	/* While the header section may still end inside them, the last
	 * octets scanned are held back, so that added headers go exactly
	 * where it ends (hdr_scan_pending() says how many, at most 998). */
	char			 held[1024];
	size_t			 n_held;
	uint64_t		 held_at;	/* stream offset of held[0] */
	/* With a header hook: the whole section so far, from held_at. */
	bool			 filtering;
	struct buf		 hdr;

	/* From the commit on. */
	struct envelope		**envs;
	receive_done_cb		 cb;
	void			*cb_arg;
	bool			 committing;
};

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

/* The Received: header (none for a bounce): RFC 3848 protocol names, RFC
 * 6531 4.3 ones for SMTPUTF8, the TLS comment as Postfix writes it.
 * *id_off is where the queue id starts in it: each batch of a split
 * transaction gets a copy of the body with its own id there (spool.h). */
static char *
received_header(struct receive_tx *tx, size_t *id_off)
{
	const struct receive_origin	*o = &tx->o;
	const struct listener_conf	*lc = NULL;
	const char			*with;
	char				*pre, *hdr, *tlsc, date[64];

	rfc5322_date(now(), date, sizeof(date));
	if (o->kind == RECEIVE_PICKUP)
		pre = xasprintf("Received: by %s (smarthostd, from userid "
		    "%lu)\r\n\tid ", tx->cfg->hostname, (unsigned long)o->uid);
	else if (o->kind != RECEIVE_SMTP)
		return NULL;
	else {
		lc = config_listener(tx->cfg, o->listener);
		if (lc != NULL && lc->received_header == RECEIVED_NONE)
			return NULL;
		if (o->tls_info != NULL) {
			if (o->smtputf8)
				with = o->auth_user != NULL ? "UTF8SMTPSA" :
				    "UTF8SMTPS";
			else
				with = o->auth_user != NULL ? "ESMTPSA" :
				    "ESMTPS";
			/* The users file holds printable names only. */
			tlsc = xasprintf("\r\n\t(using %s)%s%s%s",
			    o->tls_info, o->auth_user != NULL ?
			    "\r\n\t(Authenticated sender: " : "",
			    o->auth_user != NULL ? o->auth_user : "",
			    o->auth_user != NULL ? ")" : "");
		} else {
			with = !o->esmtp ? "SMTP" : o->smtputf8 ? "UTF8SMTP" :
			    "ESMTP";
			tlsc = xstrdup("");
		}
		if (lc != NULL && lc->received_header == RECEIVED_HIDE_CLIENT)
			/* Nothing that names the client: no HELO, address
			 * or authenticated user; the protocol and id stay. */
			pre = xasprintf("Received: from localhost\r\n\tby %s "
			    "with %s id ", tx->cfg->hostname, with);
		else
			pre = xasprintf("Received: from %s (unknown [%s%s])%s"
			    "\r\n\tby %s with %s id ", o->helo, o->ipv6 ?
			    "IPv6:" : "", o->client, tlsc, tx->cfg->hostname,
			    with);
		free(tlsc);
	}
	*id_off = strlen(pre);
	if (tx->n_rcpts == 1)
		hdr = xasprintf("%s%s\r\n\tfor <%s>; %s\r\n", pre, tx->ids[0],
		    tx->rcpts[0], date);
	else
		hdr = xasprintf("%s%s; %s\r\n", pre, tx->ids[0], date);
	free(pre);
	return hdr;
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
	if ((rcv = received_header(tx, &id_off)) != NULL) {
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

/*
 * The header section.
 */

/* The end of the header section: the hook's fields, then the listener's
 * Message-ID: and Date: where the message had none, then the empty line
 * that a section ended by a non-header line lacks. */
static void
added_headers(struct receive_tx *tx)
{
	const struct receive_hooks	*h = tx->h;
	char				*f, date[64];

	if (h != NULL && h->headers_end != NULL)
		h->headers_end(tx->harg, tx);
	if (tx->o.add_message_id && !tx->hs.has_message_id) {
		f = xasprintf("Message-ID: <%s@%s>\r\n", tx->ids[0],
		    tx->cfg->hostname);
		store(tx, f, strlen(f));
		free(f);
	}
	if (tx->o.add_date && !tx->hs.has_date) {
		rfc5322_date(now(), date, sizeof(date));
		f = xasprintf("Date: %s\r\n", date);
		store(tx, f, strlen(f));
		free(f);
	}
	if (tx->hs.need_blank)
		store(tx, "\r\n", 2);
}

/* Through the header hook, field by field: a field ends where a line
 * starts that is not a continuation (SP or HTAB). */
static void
filter_fields(struct receive_tx *tx, const char *p, size_t len)
{
	const struct receive_hooks	*h = tx->h;
	const char			*end = p + len, *f, *nl;

	while (p < end) {
		f = p;
		do {
			nl = memchr(p, '\n', end - p);
			p = nl != NULL ? nl + 1 : end;
		} while (p < end && (*p == ' ' || *p == '\t'));
		if (h->header(tx->harg, tx, f, p - f) == 0)
			store(tx, f, p - f);
	}
}

/* Filtering: gather the section; at its end run the fields through the
 * hook.  Too long a section is stored as it is from there on. */
static void
scan_filtered(struct receive_tx *tx, const char *buf, size_t len)
{
	size_t	cut, keep;

	buf_add(&tx->hdr, buf, len);
	if (tx->hs.done) {
		cut = tx->hs.end_offset > tx->held_at ?
		    (size_t)(tx->hs.end_offset - tx->held_at) : 0;
		if (cut > tx->hdr.len)
			cut = tx->hdr.len;
		filter_fields(tx, tx->hdr.p, cut);
		added_headers(tx);
		tx->in_header = false;
		store(tx, tx->hdr.p + cut, tx->hdr.len - cut);
		tx->hdr.len = 0;
		tx->scan = false;
		return;
	}
	if (tx->hdr.len <= RECEIVE_HEADER_MAX)
		return;
	/* Give up filtering; hold back only what the section may end in. */
	log_warnx("receive: id=%s: header section over %d octets is not "
	    "filtered", tx->ids[0], RECEIVE_HEADER_MAX);
	keep = hdr_scan_pending(&tx->hs);
	if (keep > tx->hdr.len)
		keep = tx->hdr.len;
	store(tx, tx->hdr.p, tx->hdr.len - keep);
	memcpy(tx->held, tx->hdr.p + tx->hdr.len - keep, keep);
	tx->n_held = keep;
	tx->held_at += tx->hdr.len - keep;
	tx->hdr.len = 0;
	tx->filtering = false;
}

/* Copy octets [from, to) of the stream "held, then buf" into dst, or store
 * them when dst is NULL. */
static void
held_span(struct receive_tx *tx, const char *buf, size_t from, size_t to,
    char *dst)
{
	size_t	nh = tx->n_held, e;

	if (from < nh) {
		e = to < nh ? to : nh;
		if (dst != NULL) {
			memcpy(dst, tx->held + from, e - from);
			dst += e - from;
		} else
			store(tx, tx->held + from, e - from);
		from = e;
	}
	if (to > from) {
		if (dst != NULL)
			memcpy(dst, buf + (from - nh), to - from);
		else
			store(tx, buf + (from - nh), to - from);
	}
}

/* The header section is still open: scan buf, store what is certainly
 * before its end, hold back the rest. */
static void
scan_headers(struct receive_tx *tx, const char *buf, size_t len)
{
	size_t	total = tx->n_held + len, cut, keep;
	char	tmp[sizeof(tx->held)];

	(void)hdr_scan_feed(&tx->hs, buf, len);
	if (tx->filtering) {
		scan_filtered(tx, buf, len);
		return;
	}
	if (tx->hs.done) {
		cut = tx->hs.end_offset > tx->held_at ?
		    (size_t)(tx->hs.end_offset - tx->held_at) : 0;
		if (cut > total)
			cut = total;
		held_span(tx, buf, 0, cut, NULL);
		added_headers(tx);
		tx->in_header = false;
		held_span(tx, buf, cut, total, NULL);
		tx->n_held = 0;
		tx->scan = false;
		return;
	}
	keep = hdr_scan_pending(&tx->hs);
	if (keep > total)
		keep = total;
	if (keep > sizeof(tx->held))
		fatalx("hdr_scan_pending: %zu octets", keep);
	held_span(tx, buf, 0, total - keep, NULL);
	held_span(tx, buf, total - keep, total, tmp);
	memcpy(tx->held, tmp, keep);
	tx->n_held = keep;
	tx->held_at += total - keep;
}

/* End of data inside the header section (a message of headers only):
 * what was held goes out, then the added fields at the end. */
static void
scan_finish(struct receive_tx *tx)
{
	if (!tx->scan)
		return;
	hdr_scan_finish(&tx->hs);
	if (tx->filtering) {
		filter_fields(tx, tx->hdr.p, tx->hdr.len);
		tx->hdr.len = 0;
	} else
		held_span(tx, NULL, 0, tx->n_held, NULL);
	tx->n_held = 0;
	added_headers(tx);
	tx->in_header = false;
	tx->scan = false;
}

/* Past the stream filter: the header scan, or straight to the spool. */
static void
scan_or_store(struct receive_tx *tx, const void *buf, size_t len)
{
	if (len == 0)
		return;
	if (tx->scan)
		scan_headers(tx, buf, len);
	else {
		tx->in_header = false;
		store(tx, buf, len);
	}
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
		scan_or_store(tx, tx->fout.p, tx->fout.len);
	} else
		scan_or_store(tx, buf, len);
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
		scan_or_store(tx, tx->fout.p, tx->fout.len);
	}
	if (tx->body != NULL)
		scan_finish(tx);
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
