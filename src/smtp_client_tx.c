/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_client_tx.c — owns one transaction on an idle outgoing connection,
 * for a relay.h delivery: the checks made before MAIL (SMTPUTF8, SIZE,
 * address syntax), MAIL and RCPT (pipelined in one write when PIPELINING
 * is offered, with the DSN parameters when DSN is), then DATA (in the
 * same write) or, when the server offers CHUNKING, one BDAT LAST chunk
 * once a recipient is accepted; the message streamed from the spool by
 * smtp_body.c with a bounded output buffer; RSET around it; and each
 * recipient's result from the replies.  Part of the smtp client
 * (smtp_client_int.h).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "dsn.h"
#include "envelope.h"
#include "log.h"
#include "relay.h"
#include "smtp_body.h"
#include "smtp_client.h"
#include "smtp_client_int.h"
#include "util.h"

static void	sc_begin_mail(struct smtp_client *);
static void	sc_start_body(struct smtp_client *);

void
sc_tx_clear(struct smtp_client *c)
{
	smtp_body_close(&c->body);
	free(c->sent);
	c->sent = NULL;
	free(c->accepted);
	c->accepted = NULL;
	c->d = NULL;
	event_del(c->kick);
}

/* Every pending recipient gets res; local: we decided it ourselves. */
static void
sc_set_pending(struct smtp_client *c, enum dlv_result res, const char *status,
    bool local)
{
	int	i;

	if (c->d == NULL)
		return;
	for (i = 0; i < c->d->n_rcpts; i++)
		if (c->d->rcpts[i].result == DLV_PENDING) {
			delivery_rcpt_set(&c->d->rcpts[i], res, status);
			if (local)
				c->d->rcpts[i].local = true;
		}
}

void
sc_fail_pending(struct smtp_client *c, enum dlv_result res, const char *status)
{
	sc_set_pending(c, res, status, false);
}

/* A permanent failure we decided on ourselves from what the server
 * offered: it said nothing, so no bounce may quote it as saying it. */
static void
sc_fail_local(struct smtp_client *c, const char *status)
{
	sc_set_pending(c, DLV_PERMFAIL, status, true);
}

void
sc_tx_finish(struct smtp_client *c)
{
	sc_tx_clear(c);
	if (c->reusable && c->bev != NULL) {
		sc_enter(c, SC_READY);
		evtimer_del(c->timer);
	} else {
		sc_close_socket(c);
		sc_enter(c, SC_CLOSED);
	}
	c->cb(c, SMTPC_TX_DONE, c->arg);
}

static void
sc_tx_finish_later(struct smtp_client *c)
{
	sc_enter(c, SC_TX_END);
	evtimer_del(c->timer);
	event_active(c->kick, EV_TIMEOUT, 1);
}

bool
sc_in_tx(const struct smtp_client *c)
{
	return c->d != NULL && c->state >= SC_MAIL && c->state <= SC_TX_END;
}

void
smtp_client_start_tx(struct smtp_client *c, struct delivery *d)
{
	if (c->dead || c->state != SC_READY || c->d != NULL)
		fatalx("smtp_client_start_tx: connection %s not ready",
		    c->remote);
	c->d = d;
	free(d->tls_info);
	d->tls_info = c->tls_info != NULL ? xstrdup(c->tls_info) : NULL;
	if (c->perm_status != NULL) {
		sc_fail_pending(c, DLV_PERMFAIL, c->perm_status);
		sc_tx_finish_later(c);
		return;
	}
	/* RSET between messages; with PIPELINING it leads the MAIL group
	 * (RFC 2920 3.1: RSET may stand anywhere in a group) instead of
	 * costing a round trip of its own (sc_begin_mail()). */
	if (c->need_rset && !(c->caps.ext & SMTPC_EXT_PIPELINING)) {
		sc_command(c, SC_RSET_BEFORE, "RSET\r\n");
		return;
	}
	sc_begin_mail(c);
}

/* The DSN parameters of the delivery's i-th recipient for its RCPT, or ""
 * when the next hop does not offer DSN (RFC 3461 6.2: then we report). */
static const char *
sc_rcpt_dsn(struct smtp_client *c, int i, char *buf, size_t size)
{
	const struct env_rcpt *er = &c->d->env->rcpts[c->d->rcpts[i].index];

	buf[0] = '\0';
	if (c->caps.ext & SMTPC_EXT_DSN)
		dsn_rcpt_params(er->notify, er->orcpt, buf, size);
	return buf;
}

static void
sc_begin_mail(struct smtp_client *c)
{
	struct delivery		*d = c->d;
	const struct envelope	*env = d->env;
	struct evbuffer		*cmds;
	char			 buf[256], dsn[DSN_RCPT_PARAMS_MAX];
	int			 i, fd;
	bool			 rset;

	if (env->smtputf8 && !(c->caps.ext & SMTPC_EXT_SMTPUTF8)) {
		snprintf(buf, sizeof(buf), "553 5.6.7 %s does not support "
		    "SMTPUTF8, which this message needs", c->remote);
		sc_fail_local(c, buf);
		sc_tx_finish_later(c);
		return;
	}
	if ((c->caps.ext & SMTPC_EXT_SIZE) && c->caps.size > 0 &&
	    d->size > c->caps.size) {
		/* Postfix's wording: the limit is the server's, the
		 * decision ours. */
		snprintf(buf, sizeof(buf), "552 5.3.4 message size %llu "
		    "exceeds size limit %llu of server %s",
		    (unsigned long long)d->size,
		    (unsigned long long)c->caps.size, c->remote);
		sc_fail_local(c, buf);
		sc_tx_finish_later(c);
		return;
	}
	/* Addresses go on a command line: no line breaks. */
	if (str_has_ctl(env->sender)) {
		sc_fail_local(c, "501 5.1.7 bad sender address syntax");
		sc_tx_finish_later(c);
		return;
	}

	c->sent = xcalloc(d->n_rcpts, sizeof(*c->sent));
	c->accepted = xcalloc(d->n_rcpts, sizeof(*c->accepted));
	c->n_sent = c->n_replied = c->n_accepted = 0;
	c->mail_ok = false;
	for (i = 0; i < d->n_rcpts; i++) {
		if (d->rcpts[i].result != DLV_PENDING)
			continue;
		if (str_has_ctl(d->rcpts[i].addr)) {
			delivery_rcpt_set(&d->rcpts[i], DLV_PERMFAIL,
			    "501 5.1.3 bad recipient address syntax");
			continue;
		}
		c->sent[c->n_sent++] = i;
	}
	if (c->n_sent == 0) {
		sc_tx_finish_later(c);
		return;
	}
	/* BDAT needs the chunk size, so the file is read (or its last
	 * octet) now; sendfile only on a plain socket. */
	c->bdat = (c->caps.ext & SMTPC_EXT_CHUNKING) != 0;
	if (smtp_body_open(&c->body, d->msg_path, d->size, c->bdat,
	    !c->tls_active) == -1) {
		snprintf(buf, sizeof(buf), "451 4.3.0 cannot read the "
		    "message: %s", strerror(errno));
		log_warn("smtp client %s: open %s", c->remote, d->msg_path);
		sc_fail_pending(c, DLV_TEMPFAIL, buf);
		sc_tx_finish_later(c);
		return;
	}
	c->pipelining = (c->caps.ext & SMTPC_EXT_PIPELINING) != 0;

	/* With PIPELINING, MAIL, every RCPT and DATA leave in one write.
	 * BDAT waits for the RCPT replies: its chunk may only follow an
	 * accepted recipient, since a refused BDAT's chunk is sent all the
	 * same. */
	if ((cmds = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	/* A reused connection's RSET, in the group (smtp_client_start_tx()):
	 * its reply comes first, sc_reply_rset_before() takes it. */
	rset = c->need_rset;
	if (rset)
		evbuffer_add_printf(cmds, "RSET\r\n");
	evbuffer_add_printf(cmds, "MAIL FROM:<%s>", env->sender);
	if (c->caps.ext & SMTPC_EXT_SIZE)
		evbuffer_add_printf(cmds, " SIZE=%llu",
		    (unsigned long long)d->size);
	if (env->body8bit && (c->caps.ext & SMTPC_EXT_8BITMIME))
		evbuffer_add_printf(cmds, " BODY=8BITMIME");
	if (env->smtputf8)
		evbuffer_add_printf(cmds, " SMTPUTF8");
	if (c->caps.ext & SMTPC_EXT_DSN) {
		dsn_mail_params(env->ret, env->envid, dsn, sizeof(dsn));
		evbuffer_add_printf(cmds, "%s", dsn);
	}
	evbuffer_add_printf(cmds, "\r\n");
	if (c->pipelining) {
		for (i = 0; i < c->n_sent; i++)
			evbuffer_add_printf(cmds, "RCPT TO:<%s>%s\r\n",
			    d->rcpts[c->sent[i]].addr,
			    sc_rcpt_dsn(c, c->sent[i], dsn, sizeof(dsn)));
		if (!c->bdat)
			evbuffer_add_printf(cmds, "DATA\r\n");
	}
	if ((fd = sc_direct_fd(c)) != -1)
		(void)evbuffer_write(cmds, fd);	/* the rest, if any: */
	bufferevent_write_buffer(c->bev, cmds);
	evbuffer_free(cmds);
	c->need_rset = true;
	sc_enter(c, rset ? SC_RSET_BEFORE : SC_MAIL);
	sc_arm(c, c->conf.command_timeout);
}

static void
sc_send_rcpt(struct smtp_client *c)
{
	char	dsn[DSN_RCPT_PARAMS_MAX];
	int	i = c->sent[c->n_replied];

	sc_send(c, "RCPT TO:<%s>%s\r\n", c->d->rcpts[i].addr,
	    sc_rcpt_dsn(c, i, dsn, sizeof(dsn)));
	sc_arm(c, c->conf.command_timeout);
}

/* After the RCPT replies: the body when someone was accepted, else RSET. */
static void
sc_after_rcpts(struct smtp_client *c)
{
	if (c->bdat && c->mail_ok && c->n_accepted > 0) {
		sc_start_body(c);
		return;
	}
	if (c->bdat && !c->mail_ok) {
		sc_tx_finish(c);	/* as after DATA's reply: no RSET */
		return;
	}
	if (c->pipelining && !c->bdat) {
		sc_enter(c, SC_DATA);	/* DATA is already on its way */
		sc_arm(c, c->conf.command_timeout);
	} else if (c->n_accepted > 0)
		sc_command(c, SC_DATA, "DATA\r\n");
	else
		sc_command(c, SC_RSET_AFTER, "RSET\r\n");
}

static void
sc_start_body(struct smtp_client *c)
{
	if (c->bdat) {
		/* One chunk: the whole message, its size known. */
		sc_send(c, "BDAT %llu LAST\r\n",
		    (unsigned long long)smtp_body_wire_size(&c->body));
		log_debug("smtp client %s: >>> BDAT %llu LAST", c->remote,
		    (unsigned long long)smtp_body_wire_size(&c->body));
	}
	sc_enter(c, SC_BODY);
	bufferevent_setwatermark(c->bev, EV_WRITE, BODY_LOWAT, 0);
	sc_fill_body(c);
}

/* Fill the output buffer up to BODY_HIWAT; the write callback calls again
 * once it has drained below BODY_LOWAT, so memory stays bounded. */
void
sc_fill_body(struct smtp_client *c)
{
	int	e;

	switch (smtp_body_fill(&c->body, bufferevent_get_output(c->bev),
	    BODY_HIWAT, sc_direct_fd(c))) {
	case -1:
		/* Never the final dot, nor a whole chunk, after a short
		 * message: closing the connection leaves it unfinished. */
		e = errno;
		log_warn("smtp client %s: read %s", c->remote,
		    c->d->msg_path);
		sc_fail(c, "451 4.3.0 cannot read the message: %s",
		    strerror(e));
		return;
	case 1:
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		sc_enter(c, SC_DOT);
		break;
	}
	/* data_timeout counts from the last progress. */
	sc_arm(c, c->conf.data_timeout);
}

void
sc_reply_rset_before(struct smtp_client *c, enum dlv_result res)
{
	if (res != DLV_OK) {
		/* Nothing of the delivery was touched yet: no body went,
		 * and a pipelined MAIL group dies with the connection
		 * (sc_fail() lets the transaction go in this state). */
		sc_fail(c, "451 4.4.2 %s refused RSET: %s",
		    c->remote, c->rtext);
		return;
	}
	if (c->caps.ext & SMTPC_EXT_PIPELINING) {
		/* The MAIL group went with it (need_rset stays: that MAIL
		 * wants the next RSET); its replies follow. */
		sc_enter(c, SC_MAIL);
		sc_arm(c, c->conf.command_timeout);
		return;
	}
	c->need_rset = false;
	sc_begin_mail(c);
}

void
sc_reply_mail(struct smtp_client *c, enum dlv_result res)
{
	if (res == DLV_OK)
		c->mail_ok = true;
	else
		sc_fail_pending(c, res, c->rtext);
	if (c->pipelining) {
		sc_enter(c, SC_RCPT);
		sc_arm(c, c->conf.command_timeout);
	} else if (c->mail_ok) {
		sc_enter(c, SC_RCPT);
		sc_send_rcpt(c);
	} else
		sc_tx_finish(c);
}

void
sc_reply_rcpt(struct smtp_client *c, enum dlv_result res)
{
	struct delivery	*d = c->d;
	int		 i;

	i = c->sent[c->n_replied++];
	if (c->mail_ok) {
		if (res == DLV_OK) {
			c->accepted[i] = true;
			c->n_accepted++;
		} else
			delivery_rcpt_set(&d->rcpts[i], res, c->rtext);
	}
	if (c->n_replied < c->n_sent) {
		if (c->pipelining)
			sc_arm(c, c->conf.command_timeout);
		else
			sc_send_rcpt(c);
	} else
		sc_after_rcpts(c);
}

void
sc_reply_data(struct smtp_client *c, enum dlv_result res)
{
	struct delivery	*d = c->d;
	int		 i;

	if (c->rcode == 354 && c->mail_ok && c->n_accepted > 0) {
		sc_start_body(c);
		return;
	}
	if (c->rcode == 354) {
		/* A server that says 354 with no recipient gets an
		 * empty message, which it must discard. */
		sc_command(c, SC_DOT_DISCARD, ".\r\n");
		return;
	}
	if (c->mail_ok && c->n_accepted > 0) {
		for (i = 0; i < d->n_rcpts; i++)
			if (c->accepted[i])
				delivery_rcpt_set(&d->rcpts[i],
				    res == DLV_OK ? DLV_TEMPFAIL : res,
				    c->rtext);
	}
	if (!c->mail_ok) {
		sc_tx_finish(c);
		return;
	}
	sc_command(c, SC_RSET_AFTER, "RSET\r\n");
}

void
sc_reply_dot(struct smtp_client *c, enum dlv_result res)
{
	struct delivery	*d = c->d;
	int		 i;

	for (i = 0; i < d->n_rcpts; i++)
		if (c->accepted[i]) {
			delivery_rcpt_set(&d->rcpts[i], res, c->rtext);
			/* Who sends a success notice (NOTIFY=SUCCESS): a
			 * next hop that took the parameters, else we. */
			d->rcpts[i].dsn = c->caps.ext & SMTPC_EXT_DSN ?
			    DSN_DONE_PASSED : DSN_DONE_RELAYED;
		}
	sc_tx_finish(c);
}

void
sc_reply_dot_discard(struct smtp_client *c, enum dlv_result res)
{
	sc_command(c, SC_RSET_AFTER, "RSET\r\n");
}

void
sc_reply_rset_after(struct smtp_client *c, enum dlv_result res)
{
	if (res == DLV_OK)
		c->need_rset = false;
	else
		c->reusable = false;
	sc_tx_finish(c);
}

