/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_parse.h — pure parsing of SMTP command lines, addresses and ESMTP
 * parameters.  Bytes in, a struct or an SMTP reply out; no I/O, no globals.
 */
#ifndef SMARTHOSTD_SMTP_PARSE_H
#define SMARTHOSTD_SMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsn.h"

#define SMTP_LINE_MAX	512	/* command line, CRLF included (RFC 5321) */
#define SMTP_ADDR_MAX	256	/* forward-path / reverse-path (RFC 5321) */
#define SMTP_LOCAL_MAX	64
#define SMTP_DOMAIN_MAX	255

enum smtp_verb {
	CMD_UNKNOWN = 0,
	CMD_EHLO, CMD_HELO, CMD_MAIL, CMD_RCPT, CMD_DATA, CMD_RSET, CMD_NOOP,
	CMD_QUIT, CMD_HELP, CMD_VRFY, CMD_STARTTLS, CMD_AUTH, CMD_BDAT
};

/* Largest BDAT chunk size we parse (a larger one is a syntax error). */
#define SMTP_BDAT_MAX	((uint64_t)1 << 40)

enum smtp_body { BODY_UNSPEC = 0, BODY_7BIT, BODY_8BITMIME };

struct smtp_cmd {
	enum smtp_verb	verb;
	/* EHLO/HELO: the domain or address literal given. */
	char		helo[SMTP_DOMAIN_MAX + 1];
	/*
	 * MAIL/RCPT: the mailbox without angle brackets and without any
	 * source route; "" is the null reverse-path (MAIL only).  RCPT
	 * accepts the special <postmaster> (no domain) as "postmaster".
	 */
	char		addr[SMTP_ADDR_MAX + 1];
	/* MAIL parameters. */
	bool		has_size;
	uint64_t	size;
	enum smtp_body	body;
	bool		smtputf8;
	/* DSN (RFC 3461): MAIL RET= and ENVID=, RCPT NOTIFY= and ORCPT=;
	 * ENVID and ORCPT in canonical xtext (dsn.h), "" when not given. */
	enum dsn_ret	ret;
	char		envid[DSN_ENVID_MAX + 1];
	unsigned	notify;		/* DSN_NOTIFY_*, 0: not given */
	char		orcpt[DSN_ORCPT_MAX + 1];
	/* BDAT (RFC 3030): the chunk's size (in `size`) and LAST. */
	bool		bdat_last;
	/* AUTH: mechanism and optional initial response; VRFY/HELP: text. */
	char		arg[SMTP_LINE_MAX];
};

/*
 * Parse one command line (without its CRLF; len excludes it).  Verbs are
 * case-insensitive.  On success returns 0 and fills *cmd.  On failure
 * returns -1 and points *reply at a complete SMTP reply line without CRLF,
 * for example "500 5.5.1 Command unrecognized", "501 5.5.4 Syntax: MAIL
 * FROM:<address>", "501 5.1.7 Bad sender address syntax", "501 5.1.3 Bad
 * recipient address syntax", "555 5.5.4 Unsupported parameter".
 * A malformed, too long or repeated DSN parameter is 501 5.5.4.
 * A NUL byte, or a command with arguments that takes none (DATA, RSET with
 * text, QUIT with text, STARTTLS with text) is a syntax error (501 5.5.4).
 */
int	smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
	    const char **reply);

/*
 * Validate a mailbox (local@domain, no brackets): a dot-string or quoted
 * local part of at most 64 octets, and a domain (LDH labels, or UTF-8
 * labels) or an address literal ([1.2.3.4], [IPv6:...]) of at most 255.
 * Octets >= 0x80 are allowed (SMTPUTF8).  Returns 0 or -1.
 */
int	smtp_addr_valid(const char *addr);

/* Pointer to the domain part of a valid address (after the last '@' outside
 * quotes), or NULL if there is none. */
const char *smtp_addr_domain(const char *addr);

/*
 * Whether the local part of addr holds '%', '!' or '@' (quoted or not):
 * source routing that a next hop may follow (user%other@host).  Clients
 * that may not relay get no such recipient (allow_untrusted_routing = no).
 */
bool	smtp_addr_has_routing(const char *addr);

/* Name of a verb, upper case ("MAIL"), for logs. */
const char *smtp_verb_to_text(enum smtp_verb);

#endif
