/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_data-ref.h — the reference for the DATA filter, shared by
 * t/unit/smtp_data-t.c and t/fuzz/smtp_data-fuzz.c: smtp_data_feed() as
 * it was before the memchr fast path (b614ae2^), the plain per-octet
 * state machine, renamed ref_data_feed.  smtp_data_feed() must agree with
 * it octet for octet, cut or whole.  The state values are this copy's
 * own; a struct smtp_data is only ever fed to one of the two.  Included
 * by one test program each, so the function is static.
 */
#ifndef SMARTHOSTD_T_SMTP_DATA_REF_H
#define SMARTHOSTD_T_SMTP_DATA_REF_H

#include <stddef.h>
#include <string.h>

#include "smtp_data.h"

enum {
	R_BOL,		/* at a real line start */
	R_BOL_DOT,	/* line start, "." held back */
	R_BOL_DOT_CR,	/* line start, ".\r" held back */
	R_MID,		/* inside a line, or after a bare line end */
	R_CR,		/* "\r" held back: CRLF or a bare CR? */
	R_DONE
};

static size_t
ref_data_feed(struct smtp_data *d, const char *in, size_t len, char *out,
    size_t *outlen)
{
	size_t	i, o = 0;
	int	s = d->state;

	for (i = 0; i < len && s != R_DONE; i++) {
		unsigned char c = in[i];

		switch (s) {
		case R_BOL:
			if (c == '.') {
				s = R_BOL_DOT;
				continue;
			}
			break;
		case R_BOL_DOT:
			if (c == '\r') {
				s = R_BOL_DOT_CR;
				continue;
			}
			if (c == '\n') {
				/* A lone dot ended by a bare LF: data. */
				memcpy(out + o, ".\r\n", 3);
				o += 3;
				d->bare_count++;
				s = R_MID;
				continue;
			}
			/* Dot-stuffing undone: the dot goes, c is data. */
			break;
		case R_BOL_DOT_CR:
			if (c == '\n') {
				/* CRLF "." CRLF: the CRLF before the dot
				 * was written as the end of the last line. */
				s = R_DONE;
				continue;
			}
			/* A lone dot ended by a bare CR: data. */
			memcpy(out + o, ".\r\n", 3);
			o += 3;
			d->bare_count++;
			break;
		case R_CR:
			out[o++] = '\r';
			out[o++] = '\n';
			if (c == '\n') {
				s = R_BOL;
				continue;
			}
			d->bare_count++;
			break;
		}

		/* Inside a line; c is the first octet not yet handled. */
		s = R_MID;
		if (c == '\r')
			s = R_CR;
		else if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			d->bare_count++;
		} else
			out[o++] = c;
	}
	d->state = s;
	d->done = s == R_DONE;
	d->octets_out += o;
	*outlen = o;
	return i;
}

#endif
