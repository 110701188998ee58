/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_reply.h — pure parsing for the SMTP client (smtp_client.c): reply
 * lines, EHLO keywords into struct smtp_caps, dot-stuffing and the line
 * end that completes a message.  Bytes in, structs out; no I/O, no
 * globals.
 */
#ifndef SMARTHOSTD_SMTP_REPLY_H
#define SMARTHOSTD_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTPC_REPLY_LINE_MAX	4096	/* one reply line, CRLF excluded */

/* ESMTP extensions the server offered at EHLO. */
#define SMTPC_EXT_PIPELINING	0x01
#define SMTPC_EXT_SIZE		0x02
#define SMTPC_EXT_8BITMIME	0x04
#define SMTPC_EXT_SMTPUTF8	0x08
#define SMTPC_EXT_STARTTLS	0x10
#define SMTPC_EXT_AUTH		0x20
#define SMTPC_EXT_CHUNKING	0x40	/* RFC 3030: BDAT */
#define SMTPC_EXT_DSN		0x80	/* RFC 3461 */

#define SMTPC_AUTH_PLAIN	0x01
#define SMTPC_AUTH_LOGIN	0x02

struct smtp_caps {
	unsigned	 ext;		/* SMTPC_EXT_* */
	uint64_t	 size;		/* SIZE limit, 0: none given */
	unsigned	 auth;		/* SMTPC_AUTH_* mechanisms offered */
};

/*
 * smtp_reply_line(): check one reply line (without CRLF): three digits
 * 200..599, then ' ', '-' or the end.  Sets *code and *more (a '-'
 * continuation).  Returns 0, or -1 for a malformed line.
 */
int		 smtp_reply_line(const char *line, size_t len, int *code,
		    bool *more);

/* Note one EHLO reply line's keyword ("PIPELINING", "SIZE 1000") in caps. */
void		 smtp_caps_line(struct smtp_caps *, const char *text);

/*
 * Dot-stuff a chunk of a CRLF message: every line starting with '.' gets
 * one more.  *bol carries "at line start" across chunks (start it true).
 * out needs room for 2 * len octets; returns the octets written.
 */
size_t		 smtp_dot_stuff(const char *in, size_t len, char *out,
		    bool *bol);

/*
 * The line end that completes a message whose last octet is `last` (-1:
 * the message is empty), as the end of data needs it: "" after an LF or
 * for an empty message, "\n" after a CR, else "\r\n".  DATA and BDAT
 * both add it, so the next hop receives the same octets either way.
 */
const char	*smtp_line_end_tail(int last);

#endif
