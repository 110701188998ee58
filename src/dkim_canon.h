/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_canon.h — pure DKIM canonicalization (RFC 6376 §3.4): the "simple"
 * and "relaxed" algorithms for header fields and for the body.
 *
 * The body canonicalizer streams: it is fed the stored message body in
 * chunks cut anywhere (even between CR and LF) and hands its output to a
 * callback, so that a body of any size is hashed in constant memory.  Empty
 * lines at the end are held back as a count, never as octets.  Only CRLF
 * ends a line; a bare CR or LF is an ordinary octet (the spool stores CRLF).
 */
#ifndef SMARTHOSTD_DKIM_CANON_H
#define SMARTHOSTD_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum dkim_canon { DKIM_SIMPLE, DKIM_RELAXED };

/*
 * Append the canonical form of one header field to out, ending in CRLF.
 * field is the whole field as it appears (name, colon, value, folded
 * continuation lines), with or without its final CRLF.
 */
void	dkim_canon_header(enum dkim_canon, const char *field, size_t len,
	    struct buf *out);

typedef void (*dkim_out_fn)(void *arg, const void *, size_t);

#define DKIM_BODY_OUTBUF	4096

struct dkim_body {
	enum dkim_canon	 canon;
	dkim_out_fn	 out;
	void		*arg;
	bool		 cr;		/* a CR waits for its LF */
	bool		 wsp;		/* relaxed: blanks wait for a non-blank */
	bool		 any;		/* some content has been emitted */
	uint64_t	 crlfs;		/* line ends held back */
	uint64_t	 emitted;	/* canonical octets handed to out */
	size_t		 n;
	char		 buf[DKIM_BODY_OUTBUF];
};

void	dkim_body_init(struct dkim_body *, enum dkim_canon, dkim_out_fn,
	    void *arg);
/* Feed body octets (any chunking gives the same output). */
void	dkim_body_feed(struct dkim_body *, const void *, size_t);
/* End of body: the final CRLF rules, then flush everything to out. */
void	dkim_body_finish(struct dkim_body *);

#endif
