/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * receive.h — the one reception path.  Every way mail enters (an SMTP
 * transaction, a file picked up from incoming/, a bounce the queue makes)
 * becomes queued messages here, in the same steps:
 *
 *   receive_begin()   plan the batches (batch_handling) and take their
 *                     queue ids, open the spool body, write Received:
 *   receive_write()   stream the message (stored form: CRLF, no
 *                     dot-stuffing) through the header scan and the hooks
 *                     into the body, in bounded memory
 *   receive_commit()  build one envelope per batch, spool_commit(), and
 *                     once it is durable log "accepted" and "queued",
 *                     count it and hand the envelopes to the queue
 *
 * as Postfix's cleanup serves smtpd, pickup and bounces alike.  Rewriting,
 * header stripping and signing attach here once (struct receive_hooks) and
 * then apply to mail from every origin.
 */
#ifndef SMARTHOSTD_RECEIVE_H
#define SMARTHOSTD_RECEIVE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dsn.h"

struct config;
struct envelope;
struct spool;
struct spool_commits;
struct receive;
struct receive_tx;

/* One recipient's DSN parameters (RFC 3461), stored with it. */
struct receive_dsn {
	unsigned	 notify;	/* DSN_NOTIFY_*, 0: not given */
	const char	*orcpt;		/* canonical xtext (dsn.h), or NULL */
};

/* Where a transaction comes from: what Received: says, what the envelope
 * and the "accepted" log line record. */
enum receive_origin_kind {
	RECEIVE_SMTP,		/* a listener's SMTP session */
	RECEIVE_PICKUP,		/* smarthost-sendmail, through incoming/ */
	RECEIVE_BOUNCE		/* a DSN of our own: no Received:, no count */
};

struct receive_origin {
	enum receive_origin_kind kind;
	const char	*listener;	/* listener name, LISTENER_SENDMAIL or
					   LISTENER_BOUNCE */
	enum batch_mode	 batch;
	bool		 add_message_id, add_date;	/* where missing */

	/* RECEIVE_SMTP */
	const char	*helo;
	const char	*client;	/* IP address as text */
	bool		 ipv6;		/* client is IPv6 (not v4-mapped) */
	bool		 esmtp;		/* EHLO, not HELO */
	const char	*tls_info;	/* version and cipher, NULL: no TLS */
	const char	*auth_user;	/* NULL: not authenticated */

	/* RECEIVE_PICKUP */
	uid_t		 uid;		/* the injecting user */

	/* RECEIVE_BOUNCE */
	const char	*bounce_of;	/* the original's id, for the log */

	bool		 smtputf8;	/* SMTPUTF8 envelope */
	bool		 body8bit;	/* BODY=8BITMIME (or 8-bit octets) */

	/* DSN (RFC 3461; never for RECEIVE_BOUNCE): RET=, ENVID= (canonical
	 * xtext or NULL) and, when not NULL, one receive_dsn per recipient
	 * in the order of the rcpts given to receive_begin(). */
	enum dsn_ret	 dsn_ret;
	const char	*dsn_envid;
	const struct receive_dsn *dsn_rcpts;
};

/*
 * Hook points, for the work that must see every message whatever its
 * origin (#12 header stripping, received_header modes and address
 * rewriting; #13 DKIM signing).  Every member may be NULL; arg is the
 * receive_set_hooks() argument.  Hooks run on the event loop and must not
 * block.  In the order they are met:
 *
 *  start      in receive_begin(), after Received: is written: return the
 *             transaction's own state (receive_hook_state() gives it
 *             back; NULL is fine).  The settings come from
 *             receive_config() and receive_origin() (the listener).
 *  filter     the stream filter: every message octet as it arrives
 *             (never Received:), before anything below sees it; append
 *             what is to be stored instead to out.  Memory is the
 *             hook's to bound: this is where a streaming header filter
 *             (hdr_filter_feed()) goes.  filter_finish, at the end of
 *             the message, appends what the filter still holds.
 *  header     the field filter: called once per header field of the
 *             message (name, colon, value and folded continuation lines,
 *             with its final CRLF), in order, before it is stored.
 *             Return 0 to store the field as it is, 1 when the hook
 *             stored a replacement itself with receive_emit() (or
 *             nothing: the field is dropped).  While it is set, the
 *             header section is held in memory, at most
 *             RECEIVE_HEADER_MAX octets; a longer section is stored
 *             unfiltered (and logged).
 *  headers_end  the end of the header section, after the fields and
 *             before the added Message-ID:/Date: and the empty line:
 *             receive_emit() adds fields there.
 *  body       the body observer: every octet stored after Received:, in
 *             order, exactly as it goes to the spool; in_header says
 *             which part an octet is in (the body part starts with the
 *             empty line that ends the header section).  For DKIM: the
 *             header fields and the body hash are computed here as the
 *             message is written, never on a second read.
 *  finish     before the commit, with the whole message stored: return
 *             0 to go on, -1 to refuse the message (*reply, if set, is
 *             the complete SMTP reply; the session's default is a 451).
 *  end        the transaction is over (committed, refused or released):
 *             free the state start returned.
 */
#define RECEIVE_HEADER_MAX	(256 * 1024)

struct buf;

struct receive_hooks {
	void	*(*start)(void *arg, struct receive_tx *);
	void	(*filter)(void *arg, struct receive_tx *, const char *in,
		    size_t len, struct buf *out);
	void	(*filter_finish)(void *arg, struct receive_tx *,
		    struct buf *out);
	int	(*header)(void *arg, struct receive_tx *, const char *field,
		    size_t len);
	void	(*headers_end)(void *arg, struct receive_tx *);
	void	(*body)(void *arg, struct receive_tx *, const char *buf,
		    size_t len, bool in_header);
	int	(*finish)(void *arg, struct receive_tx *, const char **reply);
	void	(*end)(void *arg, struct receive_tx *);
};

/* A message is queued (durable): the sink takes ownership of env. */
typedef void (*receive_sink_cb)(void *arg, struct envelope *env);

/* The context: the spool it writes to (bodies; commits) and the queue it
 * feeds (the sink). */
struct receive	*receive_new(struct spool *, struct spool_commits *,
		    receive_sink_cb, void *arg);
void		 receive_free(struct receive *);
/* Attach the hooks (the struct is not copied: it must outlive rc). */
void		 receive_set_hooks(struct receive *,
		    const struct receive_hooks *, void *arg);

/*
 * Start a transaction: batches and ids planned with cfg (routing for
 * BATCH_BY_ROUTE), the spool body opened, Received: written.  cfg is
 * referenced until the commit; the origin's strings and the addresses are
 * copied.  NULL with errno when the body cannot be created.
 */
struct receive_tx *receive_begin(struct receive *, struct config *cfg,
		    const struct receive_origin *, const char *sender,
		    char *const *rcpts, int n_rcpts);

/* The first batch's queue id (Received: names it; so does a bounce's
 * Message-ID). */
const char	*receive_id(const struct receive_tx *);
/* For the hooks: the transaction's sender, origin, configuration (in
 * force when it began) and the state the start hook returned. */
const char	*receive_sender(const struct receive_tx *);
const struct receive_origin *receive_origin(const struct receive_tx *);
struct config	*receive_config(const struct receive_tx *);
void		*receive_hook_state(const struct receive_tx *);

/* Append message octets (stored form).  Returns 0, or -1 once a write
 * failed (logged; the body is gone and receive_commit() will fail). */
int		 receive_write(struct receive_tx *, const void *, size_t);
/* Octets written to the body so far. */
uint64_t	 receive_size(const struct receive_tx *);
/* From a hook: store octets at the current point, past the hooks. */
void		 receive_emit(struct receive_tx *, const void *, size_t);
/*
 * From a finish hook: put octets at the very top of the stored message,
 * above Received: (DKIM-Signature: fields, known only at the end).
 * Returns 0, or -1 once a write failed (logged; the commit will fail).
 */
int		 receive_prepend(struct receive_tx *, const void *, size_t);
/* The body has 8-bit octets after all (the pickup learns it late). */
void		 receive_set_body8bit(struct receive_tx *, bool);

/*
 * The message is complete.  cb runs later, exactly once, from the event
 * loop: ok = 1 once it is durable, logged and handed to the sink; ok = 0
 * when the spool commit failed (nothing queued).  Returns -1 without
 * calling cb when the message cannot even be committed (a write failed,
 * or a finish hook refused: *reply is then its reply or NULL); tx is freed
 * either way.
 */
typedef void (*receive_done_cb)(void *arg, int ok, const char *id);
int		 receive_commit(struct receive_tx *, receive_done_cb cb,
		    void *arg, const char **reply);

/*
 * The caller will not hear of tx again.  Before receive_commit() the
 * message is thrown away; after it the commit goes on (an accepted
 * message is queued even if its client has gone) but cb is not called.
 */
void		 receive_release(struct receive_tx *);

#endif
