/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * rewrite.h — pure address rewriting (config.md `rewrite`): the patterns,
 * the first-match rule lists for the envelope sender and recipients, and
 * the header fields (From:, Sender:, Reply-To: by the sender rules; To:,
 * Cc: by the recipient rules) rewritten through addrlist.c.  No I/O, no
 * globals; the configuration holds the rules.
 */
#ifndef SMARTHOSTD_REWRITE_H
#define SMARTHOSTD_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

struct rewrite_rule {
	char	*from;			/* pattern, lower-cased */
	char	*to;
	int	 line;
};

struct rewrite_conf {
	struct rewrite_rule *sender;
	int		 n_sender;
	struct rewrite_rule *recipient;
	int		 n_recipient;
	bool		 headers;
	char		**listeners;	/* NULL: every listener */
	int		 n_listeners;
};

/* NULL when pat is a valid `from` pattern, else why not. */
const char	*rewrite_check_from(const char *pat);
/* NULL when to is a valid `to` address, else why not. */
const char	*rewrite_check_to(const char *to);

/*
 * Does addr (an envelope or header address; a bare local part is taken
 * as local@hostname) match the pattern?  Patterns are case-insensitive:
 * user@domain, *@domain, *@*.domain (subdomains only), user@*, and a bare
 * local part (user or *) that matches it with no domain, @localhost or
 * @hostname.
 */
bool	 rewrite_match(const char *pat, const char *addr, const char *hostname);

/*
 * The address the first matching rule of r[0..n) makes of addr (malloc'd;
 * `*` in its local part replaced by addr's local part), or NULL when none
 * matches, or when the result would not be a valid address.  The null
 * address "" is never rewritten.
 */
char	*rewrite_addr(const struct rewrite_rule *r, int n, const char *addr,
	    const char *hostname);

/* Does rewriting apply to mail received on this listener? */
bool	 rewrite_applies(const struct rewrite_conf *, const char *listener);

/*
 * The envelope sender (is_sender) or a recipient received on listener,
 * rewritten: a new address (malloc'd), or NULL when it stays as it is
 * (rewriting does not apply there, no rule matched, or the null sender).
 */
char	*rewrite_envelope(const struct rewrite_conf *, const char *listener,
	    bool is_sender, const char *addr, const char *hostname);

/* Does the header field named name[0..len) have addresses we rewrite? */
bool	 rewrite_header_wanted(const struct rewrite_conf *, const char *name,
	    size_t len);

/*
 * Rewrite one whole header field f[0..len) ("Name: value", folded lines,
 * and its CRLF) when rc->headers is set and the field is one we rewrite.
 * Returns 1 with the new field appended to out, 0 when it stays as it is
 * (not ours, nothing matched, or a malformed address list).
 */
int	 rewrite_header(const struct rewrite_conf *rc, const char *hostname,
	    const char *f, size_t len, struct buf *out);

#endif
