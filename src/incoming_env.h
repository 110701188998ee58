/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming_env.h — the format of the spool's incoming/ area, shared by
 * the injector (sendmail.c) and the daemon's pickup (incoming.c): file
 * names, the envelope header and its pure text functions, the size limit.
 *
 * The incoming/ directory (created by spool_open) is mode 01733: any local
 * user may create a file in it, but nobody except its owner (the daemon's
 * user) may list it, and the sticky bit stops users from removing or
 * renaming each other's files.  Files are mode 0644 so that a daemon that
 * dropped root can read them; what keeps a message private while it waits
 * is its unguessable name (128 random bits), since nobody can list the
 * directory.  The daemon trusts nothing in a file: it re-validates every
 * address and re-normalises line ends, and takes the injecting user from
 * the file's owner, not from its content.
 *
 * One file per message.  The injector writes it under a temporary name,
 * fsyncs it, renames it to its final name and fsyncs the directory, and
 * only then exits 0; so the daemon never sees a partial file under a final
 * name, and a message survives a crash once the injector said it is taken.
 *
 *   incoming/.tmp.<32 hex>		being written (ignored by the daemon,
 *					removed when older than a day)
 *   incoming/msg.<16 hex time>.<32 hex>	complete; the time part (seconds
 *					and microseconds) sorts by arrival
 *
 * A complete file is an envelope header, then the message:
 *
 *   smarthostd-incoming 1\n		magic and format version
 *   sender <address>\n			exactly once; empty: null sender
 *   rcpt <address>\n			one or more (at most INCOMING_RCPT_MAX)
 *   ret FULL|HDRS\n			DSN (RFC 3461), each at most once and
 *   envid <xtext>\n			only when given (smarthost-sendmail
 *   notify <NEVER|SUCCESS,...>\n		-R, -V, -N); notify is every
 *					recipient's
 *   \n					end of the envelope header
 *   <message>				RFC 5322, CRLF line ends, no dot-stuffing
 *
 * Addresses are as in SMTP without the angle brackets and are valid by
 * smtp_addr_valid().  The header is at most INCOMING_HDR_MAX octets; any
 * other key, a missing or repeated sender, no recipient or a bad address
 * makes the whole file malformed: the daemon moves it to corrupt/ and logs
 * it.
 */
#ifndef SMARTHOSTD_INCOMING_ENV_H
#define SMARTHOSTD_INCOMING_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "dsn.h"

#define INCOMING_MAGIC		"smarthostd-incoming 1"
#define INCOMING_HDR_MAX	(4 * 1024 * 1024)
#define INCOMING_RCPT_MAX	10000
#define INCOMING_PREFIX		"msg."
#define INCOMING_TMP_PREFIX	".tmp."

struct config;

/*
 * The largest injected message: the largest max_message_size of any
 * listener (the injector has none of its own), INCOMING_SIZE_DEFAULT
 * when there is no listener.  The injector refuses a larger message
 * (EX_DATAERR); the daemon moves a larger file to corrupt/.
 */
#define INCOMING_SIZE_DEFAULT	(25ULL * 1024 * 1024)
uint64_t incoming_max_size(const struct config *);

/* The envelope header of one incoming file. */
struct incoming_env {
	char	 *sender;		/* "" for the null sender */
	char	**rcpts;
	int	  n_rcpts;
	/* DSN: RET, ENVID (canonical xtext, or NULL), NOTIFY bits of every
	 * recipient (0: not given). */
	enum dsn_ret	 ret;
	char		*envid;
	unsigned	 notify;
};

/*
 * Pure: the header text for e, "\n\n"-terminated, NUL-terminated; the
 * caller frees it.  Addresses must be valid (no line ends).
 */
char	*incoming_env_to_text(const struct incoming_env *e, size_t *len);

/*
 * Pure: parse a header, text[0..len) ending with its empty line.  Returns
 * 0, or -1 with a reason in *err (and e left empty).
 */
int	 incoming_env_parse(const char *text, size_t len,
	    struct incoming_env *e, const char **err);
void	 incoming_env_clear(struct incoming_env *e);

#endif
