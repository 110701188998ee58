/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * envelope.h — a queued message's envelope and its durable text form.
 *
 * Pure: envelope_to_text() and envelope_from_text() do no I/O; spool.c
 * writes and reads the text.  The envelope carries per-recipient state so
 * that a message leaves the spool only when every recipient has a final
 * outcome.
 */
#ifndef SMARTHOSTD_ENVELOPE_H
#define SMARTHOSTD_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dsn.h"

#define QUEUE_ID_MAX	24	/* ids are 16 upper-case hex digits */

enum rcpt_state { RCPT_PENDING, RCPT_DELIVERED, RCPT_FAILED };

struct env_rcpt {
	char		*addr;		/* as given at RCPT, no brackets */
	enum rcpt_state	 state;
	char		*status;	/* last reply or reason, or NULL */
	char		*remote;	/* remote MTA that gave it, or NULL */
	/* DSN (RFC 3461): NOTIFY bits (0: not given) and ORCPT in canonical
	 * xtext ("rfc822;a+2Bb@c") or NULL; how a delivered one went. */
	unsigned	 notify;
	char		*orcpt;
	enum dsn_done	 done;
};

struct envelope {
	char		 id[QUEUE_ID_MAX + 1];
	char		*sender;	/* "" for the null reverse-path */
	char		*listener;	/* listener name, "sendmail" or "bounce" */
	char		*helo;		/* may be NULL */
	char		*client;	/* client IP as text, may be NULL */
	char		*auth_user;	/* may be NULL */
	time_t		 created;	/* arrival */
	int		 attempts;	/* delivery attempts so far */
	time_t		 next_attempt;	/* 0: as soon as possible */
	char		*last_error;	/* may be NULL */
	uint64_t	 size;		/* octets of the stored message */
	bool		 smtputf8, body8bit;
	bool		 warned;	/* delay warning sent (delay_warning) */
	bool		 held;		/* smarthostctl hold: no attempt, no
					   expiry until released */
	enum dsn_ret	 ret;		/* DSN RET=, or DSN_RET_UNSPEC */
	char		*envid;		/* DSN ENVID= (canonical xtext), or
					   NULL */
	struct env_rcpt	*rcpts;
	int		 n_rcpts;
	/* Not in the text: spool.c's record of how the message is stored,
	 * queue/<id>.q (spool_qfile.h) rather than .msg and .env. */
	bool		 one_file;
	/* Not in the text: made by envelope_pack(), one allocation whose
	 * strings must not be replaced or freed one by one. */
	bool		 packed;
};

struct envelope	*envelope_new(void);
/* Append a pending recipient (copies addr). */
void		 envelope_add_rcpt(struct envelope *, const char *addr);
void		 envelope_free(struct envelope *);
/* Deep copy (never packed). */
struct envelope	*envelope_dup(const struct envelope *);
/*
 * The same envelope in one allocation: the struct, its recipients and
 * every string, for a message that waits in the queue (#18: a queued
 * message's envelope took eleven allocations).  Read it, free it with
 * envelope_free(); to change it, envelope_dup() it first.
 */
struct envelope	*envelope_pack(const struct envelope *);
/* Is s a well-formed queue id (1 to QUEUE_ID_MAX of 0-9 A-F)?  Ids name
 * files, so anything else (a '/', a '.') must be refused. */
bool		 envelope_id_valid(const char *s);
/* Number of recipients still pending. */
int		 envelope_pending(const struct envelope *);

/*
 * Serialise to a NUL-terminated text of "key value" lines; the caller frees
 * it.  Control characters in free text (replies from remote servers) are
 * replaced by spaces so that every field stays on its line.
 */
char		*envelope_to_text(const struct envelope *, size_t *len);

/* Parse the text form.  Returns NULL with a reason in *err on bad input. */
struct envelope	*envelope_from_text(const char *text, size_t len,
		    const char **err);

#endif
