/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * hdr_filter.h — the pure streaming filter of a received message's header
 * section: listener `strip_headers` (every occurrence of a named field,
 * its folded continuation lines included) and `rewrite` of the address
 * fields (rewrite.c).  Stored-form octets (CRLF lines) go in, in pieces
 * of any size; the filtered message comes out.  Memory is bounded: only
 * a field that may be rewritten is held, up to HDR_FILTER_FIELD_MAX
 * octets (a longer one passes unchanged).  After the header section
 * everything passes through.  No I/O, no globals.
 */
#ifndef SMARTHOSTD_HDR_FILTER_H
#define SMARTHOSTD_HDR_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct rewrite_conf;

#define HDR_FILTER_FIELD_MAX	65536
#define HDR_FILTER_NAME_MAX	998

struct hdr_filter {
	/* settings, borrowed */
	char *const		*strip;		/* field names */
	int			 n_strip;
	const struct rewrite_conf *rw;		/* NULL: no header rewriting */
	const char		*hostname;
	/* what happened, for the log */
	unsigned		 stripped, rewritten;
	/* private */
	int			 state, mode;
	struct buf		 name, field;
};

/* Set up; strip and rw may be empty/NULL (then nothing is changed). */
void	hdr_filter_init(struct hdr_filter *, char *const *strip, int n_strip,
	    const struct rewrite_conf *rw, const char *hostname);

/* Does the filter change anything at all (else callers may skip it)? */
bool	hdr_filter_active(const struct hdr_filter *);

/* Feed in[0..len); the filtered octets are appended to out. */
void	hdr_filter_feed(struct hdr_filter *, const char *in, size_t len,
	    struct buf *out);

/* End of the message: append what is held back to out. */
void	hdr_filter_finish(struct hdr_filter *, struct buf *out);

/* Free what the filter holds (after finish, or to abandon it). */
void	hdr_filter_free(struct hdr_filter *);

#endif
