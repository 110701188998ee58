/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_session_data.c — the receiving session's message: from DATA or
 * the first BDAT to the reply after the commit.
 *
 * DATA and BDAT open a receive.c transaction (receive_begin()).  The body
 * octets are taken from the session's input at most DATA_CHUNK at a
 * time, so memory per session is bounded whatever the size: after DATA
 * through smtp_data_feed() (dot-unstuffing, bare CR/LF, end of data only
 * at CRLF.CRLF: smtp_data.h), in BDAT chunks through bdat_feed(), whose
 * sizes frame the message.  Each chunk pushes the data deadline on by
 * what it brought (deadline_data()).  On the way the spool's free-space
 * reserve and max_message_size are checked per chunk: past either, the
 * rest is read to the end and thrown away, and the end of data refuses
 * the message.  Otherwise the end of data hands it to receive_commit()
 * and the session waits in S_COMMIT, processing nothing, until
 * commit_done() gives the client its 250 or 451 (on a plain connection
 * what the client pipelines meanwhile is read into the input, up to its
 * limit; under TLS reading is off).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "config.h"
#include "deadline.h"
#include "log.h"
#include "receive.h"
#include "smtp_data.h"
#include "smtp_session_int.h"
#include "spool.h"

/* Input handed to the DATA filter at once: bounds per-session memory. */
#define DATA_CHUNK	(16 * 1024)
/* How often in a message the spool's free-space reserve (64 MiB) is
 * checked: with 100 sessions at most 25 MiB of it can go before all of
 * them have looked. */
#define SPACE_CHECK_EVERY	(256 * 1024)

/* Scratch for the DATA filter's output: single-threaded, used only inside
 * one call of session_data_read() or session_bdat_read(), so one buffer
 * serves every session. */
static char	data_out[2 * DATA_CHUNK + 4];

static void	data_output(struct smtp_session *, const char *, size_t);
static void	tx_end(struct smtp_session *);
static void	commit_done(void *, int, const char *);

/* The message's way to the spool opens (DATA, or the first BDAT). */
static int
tx_receive_begin(struct smtp_session *s)
{
	struct smtp_tx		*tx = s->tx;
	struct receive_origin	 o;

	memset(&o, 0, sizeof(o));
	o.kind = RECEIVE_SMTP;
	o.listener = s->lc->name;
	o.batch = s->lc->batch;
	o.add_message_id = s->lc->add_message_id;
	o.add_date = s->lc->add_date;
	o.helo = s->helo;
	o.client = s->ip;
	o.ipv6 = s->ipv6;
	o.esmtp = s->esmtp;
	o.tls_info = s->tls ? s->tls_info : NULL;
	o.auth_user = s->auth_user;
	o.smtputf8 = tx->smtputf8;
	o.body8bit = tx->body_type == BODY_8BITMIME;
	o.dsn_ret = tx->ret;
	o.dsn_envid = tx->envid;
	o.dsn_rcpts = tx->dsn;
	if ((tx->rtx = receive_begin(s->env.receive, s->cfg,
	    &o, tx->sender, tx->rcpts, tx->n_rcpts)) == NULL) {
		log_warn("spool: new body");
		return -1;
	}
	return 0;
}

void
session_data_cmd(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_tx		*tx = s->tx;

	if (tx->bdat) {
		session_reply(s, "503 5.5.1 Error: DATA after BDAT");
		return;
	}
	if (tx_receive_begin(s) == -1) {
		session_reply(s, "451 4.3.0 Error: queue file write error");
		return;
	}
	smtp_data_init(&tx->df);
	session_enter_state(s, S_DATA);
	session_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	deadline_start(s->deadline, s->lc->timeout);
}

/*
 * BDAT size [LAST] (RFC 3030).  Whatever the answer, the next `size`
 * octets are the chunk and are read as such; the reply comes at its end.
 */
void
session_bdat_cmd(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_tx	*tx = s->tx;

	s->in_bdat = true;
	s->bdat_left = cmd->size;
	s->bdat_last = cmd->bdat_last;
	s->bdat_error = NULL;
	if (s->helo == NULL)
		s->bdat_error = "503 5.5.1 Error: send HELO/EHLO first";
	else if (tx == NULL)
		s->bdat_error = "503 5.5.1 Error: need MAIL command";
	else if (tx->n_rcpts == 0)
		s->bdat_error = "503 5.5.1 Error: need RCPT command";
	else if (!tx->bdat) {
		if (tx_receive_begin(s) == -1)
			s->bdat_error = "451 4.3.0 Error: queue file write "
			    "error";
		else {
			tx->bdat = true;
			bdat_init(&tx->bf);
		}
	}
	deadline_start(s->deadline, s->lc->timeout);
}

/* The chunk has been read: answer it, or end the message at LAST. */
static void
bdat_chunk_end(struct smtp_session *s)
{
	struct smtp_tx	*tx = s->tx;
	size_t		 outlen;

	s->in_bdat = false;
	if (s->bdat_error != NULL) {
		session_reply(s, "%s", s->bdat_error);
		/* A failed BDAT ends its transaction (the client RSETs). */
		if (tx != NULL && tx->bdat)
			session_reset(s);
		return;
	}
	if (!s->bdat_last) {
		session_reply(s, "250 2.0.0 Ok: %llu octets received",
		    (unsigned long long)tx->bf.octets_in);
		deadline_start(s->deadline, s->lc->timeout);
		return;
	}
	bdat_finish(&tx->bf, data_out, &outlen);
	data_output(s, data_out, outlen);
	tx_end(s);
}

/* n body octets have been taken from the input: drop them; the data
 * deadline moves on by what they were worth (deadline.h). */
static void
data_taken(struct smtp_session *s, size_t n)
{
	evbuffer_drain(bufferevent_get_input(s->bev), n);
	deadline_data(s->deadline, n, (uint64_t)s->lc->min_data_rate,
	    s->lc->timeout);
}

/* A BDAT chunk's octets from the input, at most DATA_CHUNK at a time. */
int
session_bdat_read(struct smtp_session *s)
{
	struct smtp_tx	*tx = s->tx;
	size_t		 max, n, outlen;
	const char	*p;

	if (s->bdat_left > 0) {
		max = s->bdat_left < DATA_CHUNK ? (size_t)s->bdat_left :
		    DATA_CHUNK;
		if ((p = session_input_piece(s, max, &n)) == NULL)
			return 0;
		if (s->bdat_error == NULL) {
			bdat_feed(&tx->bf, p, n, data_out, &outlen);
			data_output(s, data_out, outlen);
		}
		data_taken(s, n);
		s->bdat_left -= n;
	}
	if (s->bdat_left == 0)
		bdat_chunk_end(s);
	return 1;
}

static void
data_output(struct smtp_session *s, const char *buf, size_t len)
{
	struct smtp_tx	*tx = s->tx;
	uint64_t	 out;
	bool		 space = true;

	if (tx->too_big || tx->no_space || tx->rtx == NULL)
		return;
	/* The free-space reserve, checked every SPACE_CHECK_EVERY octets
	 * of the message and not only at MAIL: one big message must not eat
	 * it (#19 item 10).  Not for every chunk: that was one fstatfs(2)
	 * per read of the socket, 27 per 100 KiB message (#18). */
	out = tx->bdat ? tx->bf.octets_out : tx->df.octets_out;
	if (len > 0 && out >= tx->space_next) {
		tx->space_next = out + SPACE_CHECK_EVERY;
		space = spool_has_space(s->env.spool);
	}
	if (!space) {
		tx->no_space = true;
		receive_release(tx->rtx);
		tx->rtx = NULL;
		return;
	}
	if (out > s->lc->max_message_size) {
		/* Keep reading to the end of data, storing nothing more. */
		tx->too_big = true;
		receive_release(tx->rtx);
		tx->rtx = NULL;
		return;
	}
	(void)receive_write(tx->rtx, buf, len);
}

/* Body octets from the input, at most DATA_CHUNK at a time. */
int
session_data_read(struct smtp_session *s)
{
	struct smtp_tx	*tx = s->tx;
	size_t		 n, used, outlen;
	const char	*p;

	if ((p = session_input_piece(s, DATA_CHUNK, &n)) == NULL)
		return 0;
	outlen = 0;
	used = smtp_data_feed(&tx->df, p, n, data_out, &outlen);
	if (used > n || outlen > sizeof(data_out))
		fatalx("smtp_data_feed: consumed %zu of %zu, wrote %zu", used,
		    n, outlen);
	data_output(s, data_out, outlen);
	data_taken(s, used);
	if (tx->df.done)
		tx_end(s);
	return 1;
}

/* Refuse the message at the end of data; the session goes on. */
static void
tx_refuse(struct smtp_session *s, const char *reason, const char *reply)
{
	log_event("rejected", "client=%s listener=%s from=<%s> reason=%s",
	    s->ip, s->lc->name, s->tx->sender, reason);
	session_reply(s, "%s", reply);
	session_reset(s);
}

/* CRLF.CRLF seen: refuse, or commit the message (receive.c). */
static void
tx_end(struct smtp_session *s)
{
	struct smtp_tx	*tx = s->tx;
	struct receive_tx *rtx;

	if (tx->too_big) {
		tx_refuse(s, "message_too_big",
		    "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	if (tx->no_space) {
		tx_refuse(s, "spool_full",
		    "452 4.3.1 Insufficient system storage");
		return;
	}
	if (s->lc->bare_lf == BARE_LF_REJECT &&
	    (tx->bdat ? tx->bf.bare_count : tx->df.bare_count) > 0) {
		tx_refuse(s, "bare_lf", "550 5.5.2 Bare CR or LF not allowed");
		return;
	}
	rtx = tx->rtx;
	tx->rtx = NULL;
	if (rtx == NULL || receive_commit(rtx, commit_done, s, NULL) == -1) {
		session_reply(s, "451 4.3.0 Error: queue file write error");
		session_reset(s);
		return;
	}
	tx->rtx = rtx;			/* until commit_done(): to release */
	session_enter_state(s, S_COMMIT);
	session_update_read(s);
	/* Waiting on us, not on the client. */
	deadline_stop(s->deadline);
}

/* The message is queued (ok) or the spool has given up; receive.c has
 * logged it.  Not called once the session is gone. */
static void
commit_done(void *arg, int ok, const char *id)
{
	struct smtp_session	*s = arg;

	if (ok)
		session_reply(s, "250 2.0.0 Ok: queued as %s", id);
	else {
		log_warnx("smtp %s: message %s not queued: spool commit "
		    "failed", s->ip, id);
		session_reply(s, "451 4.3.0 Error: queue file write error");
	}
	s->tx->rtx = NULL;	/* receive.c frees it after this call */
	session_reset(s);
	deadline_start(s->deadline, s->lc->timeout);
	session_update_read(s);
	/* Pipelined commands may already wait in the input. */
	session_process(s);
}
