/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * receive_hdr.c — owns the header section of a message on the reception
 * path (receive_int.h): the Received: field written first, the scan of
 * the section as it streams, the field filter hook fed field by field,
 * and what is added where the section ends (the hook's fields,
 * Message-ID:, Date:, the missing empty line).
 *
 * Memory is bounded per transaction: without a header hook, at most the
 * last hdr_scan_pending() octets (under 1 KiB) of the header section are
 * held back, so that added fields go exactly where the section ends; with
 * one, the header section up to RECEIVE_HEADER_MAX.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "receive.h"
#include "receive_int.h"
#include "smtp_data.h"
#include "util.h"

/* The Received: header (none for a bounce): RFC 3848 protocol names, RFC
 * 6531 4.3 ones for SMTPUTF8, the TLS comment as Postfix writes it.
 * *id_off is where the queue id starts in it: each batch of a split
 * transaction gets a copy of the body with its own id there (spool.h). */
char *
receive_hdr_received(struct receive_tx *tx, size_t *id_off)
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
		receive_emit(tx, f, strlen(f));
		free(f);
	}
	if (tx->o.add_date && !tx->hs.has_date) {
		rfc5322_date(now(), date, sizeof(date));
		f = xasprintf("Date: %s\r\n", date);
		receive_emit(tx, f, strlen(f));
		free(f);
	}
	if (tx->hs.need_blank)
		receive_emit(tx, "\r\n", 2);
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
			receive_emit(tx, f, p - f);
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
		receive_emit(tx, tx->hdr.p + cut, tx->hdr.len - cut);
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
	receive_emit(tx, tx->hdr.p, tx->hdr.len - keep);
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
			receive_emit(tx, tx->held + from, e - from);
		from = e;
	}
	if (to > from) {
		if (dst != NULL)
			memcpy(dst, buf + (from - nh), to - from);
		else
			receive_emit(tx, buf + (from - nh), to - from);
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

void
receive_hdr_finish(struct receive_tx *tx)
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

void
receive_hdr_feed(struct receive_tx *tx, const void *buf, size_t len)
{
	if (len == 0)
		return;
	if (tx->scan)
		scan_headers(tx, buf, len);
	else {
		tx->in_header = false;
		receive_emit(tx, buf, len);
	}
}

