/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * hdr_filter.c — strip_headers and header rewriting while a message
 * streams to the spool.  See hdr_filter.h.
 *
 * A header line is recognised at its colon: the name decides whether the
 * field is dropped, held for rewriting, or passed on.  Continuation lines
 * (starting with a blank) follow their field's fate.  The section ends at
 * the empty line, or at the first line that is not a field, as hdr_scan
 * in smtp_data.c decides.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdr_filter.h"
#include "rewrite.h"

enum { S_BOL, S_NAME, S_REST, S_CR, S_BODY };
enum { M_PASS, M_DROP, M_HOLD };

void
hdr_filter_init(struct hdr_filter *f, char *const *strip, int n_strip,
    const struct rewrite_conf *rw, const char *hostname)
{
	memset(f, 0, sizeof(*f));
	f->strip = strip;
	f->n_strip = n_strip;
	f->rw = rw;
	f->hostname = hostname;
	f->state = S_BOL;
	f->mode = M_PASS;
}

bool
hdr_filter_active(const struct hdr_filter *f)
{
	return f->n_strip > 0 || (f->rw != NULL && f->rw->headers &&
	    (f->rw->n_sender > 0 || f->rw->n_recipient > 0));
}

/* The held field is complete: rewrite it or pass it as it was. */
static void
flush_field(struct hdr_filter *f, struct buf *out)
{
	if (f->mode == M_HOLD && f->field.len > 0) {
		if (rewrite_header(f->rw, f->hostname, f->field.p,
		    f->field.len, out) == 1)
			f->rewritten++;
		else
			buf_add(out, f->field.p, f->field.len);
	}
	f->field.len = 0;
	f->mode = M_PASS;
}

/* The line in f->name is not a field: the header section is over. */
static void
end_headers(struct hdr_filter *f, struct buf *out)
{
	flush_field(f, out);
	buf_add(out, f->name.p, f->name.len);
	f->name.len = 0;
	f->state = S_BODY;
}

/* The name in f->name (with its colon) starts a new field. */
static void
start_field(struct hdr_filter *f, struct buf *out)
{
	size_t	 n = f->name.len - 1;
	int	 i;

	flush_field(f, out);
	while (n > 0 && (f->name.p[n - 1] == ' ' || f->name.p[n - 1] == '\t'))
		n--;
	for (i = 0; i < f->n_strip; i++)
		if (strlen(f->strip[i]) == n &&
		    strncasecmp(f->strip[i], f->name.p, n) == 0)
			break;
	if (i < f->n_strip) {
		f->mode = M_DROP;
		f->stripped++;
	} else if (f->rw != NULL && rewrite_header_wanted(f->rw, f->name.p, n)) {
		f->mode = M_HOLD;
		buf_add(&f->field, f->name.p, f->name.len);
	} else
		buf_add(out, f->name.p, f->name.len);
	f->name.len = 0;
	f->state = S_REST;
}

/* One octet of the rest of a field's line goes where its field goes. */
static void
rest(struct hdr_filter *f, const char *p, size_t n, struct buf *out)
{
	if (f->mode == M_PASS)
		buf_add(out, p, n);
	else if (f->mode == M_HOLD) {
		buf_add(&f->field, p, n);
		if (f->field.len > HDR_FILTER_FIELD_MAX) {
			/* too long to hold: it passes as it is */
			buf_add(out, f->field.p, f->field.len);
			f->field.len = 0;
			f->mode = M_PASS;
		}
	}
}

void
hdr_filter_feed(struct hdr_filter *f, const char *in, size_t len,
    struct buf *out)
{
	size_t	 i = 0, k;

	while (i < len) {
		unsigned char c = (unsigned char)in[i];

		switch (f->state) {
		case S_BODY:
			buf_add(out, in + i, len - i);
			return;
		case S_BOL:
			if (c == ' ' || c == '\t') {
				f->state = S_REST;	/* continuation */
				continue;
			}
			if (c == '\r') {
				f->state = S_CR;
				i++;
				continue;
			}
			f->state = S_NAME;
			continue;
		case S_CR:
			/* an empty line ends the section */
			buf_add(&f->name, "\r", 1);
			end_headers(f, out);
			continue;
		case S_NAME:
			buf_add(&f->name, in + i, 1);
			i++;
			if (c == ':' && f->name.len > 1)
				start_field(f, out);
			else if (c < ' ' ? c != '\t' : c >= 0x7f ||
			    f->name.len > HDR_FILTER_NAME_MAX || c == ':' ||
			    (c != ' ' && f->name.len > 1 &&
			    (f->name.p[f->name.len - 2] == ' ' ||
			    f->name.p[f->name.len - 2] == '\t')))
				end_headers(f, out);
			continue;
		case S_REST:
			/* up to and including the end of this line */
			for (k = i; k < len && in[k] != '\n'; k++)
				;
			if (k < len) {
				rest(f, in + i, k + 1 - i, out);
				i = k + 1;
				f->state = S_BOL;
			} else {
				rest(f, in + i, len - i, out);
				i = len;
			}
			continue;
		}
	}
}

void
hdr_filter_finish(struct hdr_filter *f, struct buf *out)
{
	if (f->state == S_CR)
		buf_add(&f->name, "\r", 1);
	flush_field(f, out);
	if (f->name.len > 0)
		buf_add(out, f->name.p, f->name.len);
	f->name.len = 0;
	f->state = S_BODY;
}

void
hdr_filter_free(struct hdr_filter *f)
{
	free(f->name.p);
	free(f->field.p);
	f->name.p = f->field.p = NULL;
	f->name.cap = f->field.cap = f->name.len = f->field.len = 0;
}
