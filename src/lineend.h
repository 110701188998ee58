/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * lineend.h — pure, streaming line-end conversions: any line end to CRLF
 * (what the spool stores; incoming/ files) and CRLF to LF (what a Maildir
 * file and a maildrop command's stdin get).  No I/O, no globals: each
 * stream keeps its state in a small struct, so input may come in pieces
 * of any size.
 */
#ifndef SMARTHOSTD_LINEEND_H
#define SMARTHOSTD_LINEEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * To CRLF: CRLF stays, a bare CR or bare LF becomes CRLF (and is counted).
 * out must have room for 2 * len + 2 octets; returns the octets written.
 * crlf_finish() ends the input: a message that does not end with a line
 * end gets one (out needs room for 2).
 */
struct crlf {
	bool	 cr;		/* last octet was a CR */
	bool	 bol;		/* at the start of a line */
	uint64_t bare;		/* bare CRs and LFs written as CRLF */
};
void	 crlf_init(struct crlf *);
size_t	 crlf_feed(struct crlf *, const char *in, size_t len, char *out);
size_t	 crlf_finish(struct crlf *, char *out);

/*
 * To LF: CRLF becomes LF, any other CR stays.  out must have room for
 * len + 1 octets; tolf_finish() writes a CR held back at the very end
 * (out needs room for 1).
 */
struct tolf {
	bool	 cr;		/* a CR waits for its LF */
};
void	 tolf_init(struct tolf *);
size_t	 tolf_feed(struct tolf *, const char *in, size_t len, char *out);
size_t	 tolf_finish(struct tolf *, char *out);

#endif
