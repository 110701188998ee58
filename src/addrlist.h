/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * addrlist.h — pure RFC 5322 address lists (From:, Sender:, Reply-To:,
 * To:, Cc: values): a tokenizer and parser that finds every addr-spec with
 * its exact place in the field, and a rewriter that replaces only those
 * octets, so display names, comments, quoting, folding and every other
 * byte stay as they were.  Groups, quoted local parts, domain literals,
 * RFC 2047 encoded words (as atoms) and UTF-8 (RFC 6532) are understood;
 * a malformed list is reported as such and never rewritten.  No I/O, no
 * globals.
 */
#ifndef SMARTHOSTD_ADDRLIST_H
#define SMARTHOSTD_ADDRLIST_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* One addr-spec found in a list. */
struct addrlist_addr {
	const char	*addr;		/* local@domain or a bare local part,
					   CFWS removed, NUL-terminated */
	size_t		 start, end;	/* its octets in the value */
	bool		 contiguous;	/* no comment or blank inside: the
					   octets start..end are addr */
	bool		 angle;		/* inside < > */
	bool		 has_domain;
};

/* Called for each addr-spec in order; return -1 to stop the walk. */
typedef int (*addrlist_fn)(const struct addrlist_addr *, void *arg);

/*
 * Walk the field value v[0..len) (what follows the colon, folded lines
 * included, the final CRLF excluded).  Returns 0 when the whole value is
 * a well-formed address list (empty members allowed, as RFC 5322's
 * obsolete syntax does), -1 when it is malformed or fn stopped the walk.
 * fn may be NULL (a syntax check).
 */
int	 addrlist_walk(const char *v, size_t len, addrlist_fn fn, void *arg);

/* Return a new address (malloc'd, a valid addr-spec) for addr, or NULL to
 * leave it as it is. */
typedef char *(*addrlist_map_fn)(const char *addr, void *arg);

/*
 * Rewrite the addresses of the value v[0..len) that map() changes; only
 * contiguous addr-specs are replaced.  Returns 1 and the whole new value
 * in *out, 0 when nothing changed, -1 when the value is malformed (out is
 * untouched in both cases).
 */
int	 addrlist_rewrite(const char *v, size_t len, addrlist_map_fn map,
	    void *arg, struct buf *out);

#endif
