/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_canon.c — pure DKIM canonicalization, header fields and streamed
 * bodies (RFC 6376 §3.4).  No I/O and no globals; see dkim_canon.h.
 */
#include <string.h>

#include "dkim_canon.h"

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

void
dkim_canon_header(enum dkim_canon canon, const char *f, size_t len,
    struct buf *out)
{
	size_t	 i, colon, name_end;
	bool	 blank = false, started = false;
	char	 c;

	if (canon == DKIM_SIMPLE) {
		buf_add(out, f, len);
		if (len < 2 || f[len - 2] != '\r' || f[len - 1] != '\n')
			buf_add(out, "\r\n", 2);
		return;
	}
	/* relaxed: lower-case name, no blanks around the colon, value
	 * unfolded, blank runs as one SP, none at either end. */
	for (colon = 0; colon < len && f[colon] != ':'; colon++)
		;
	name_end = colon;
	while (name_end > 0 && (is_wsp(f[name_end - 1]) ||
	    f[name_end - 1] == '\r' || f[name_end - 1] == '\n'))
		name_end--;
	for (i = 0; i < name_end; i++) {
		c = f[i];
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		buf_add(out, &c, 1);
	}
	if (colon < len) {
		buf_add(out, ":", 1);
		for (i = colon + 1; i < len; i++) {
			c = f[i];
			if (c == '\r' && i + 1 < len && f[i + 1] == '\n') {
				i++;		/* unfold */
				continue;
			}
			if (is_wsp(c)) {
				blank = true;
				continue;
			}
			if (blank && started)
				buf_add(out, " ", 1);
			blank = false;
			started = true;
			buf_add(out, &c, 1);
		}
	}
	buf_add(out, "\r\n", 2);
}

void
dkim_body_init(struct dkim_body *b, enum dkim_canon canon, dkim_out_fn out,
    void *arg)
{
	memset(b, 0, sizeof(*b));
	b->canon = canon;
	b->out = out;
	b->arg = arg;
}

static void
flush(struct dkim_body *b)
{
	if (b->n > 0)
		b->out(b->arg, b->buf, b->n);
	b->emitted += b->n;
	b->n = 0;
}

static void
put(struct dkim_body *b, const char *p, size_t len)
{
	size_t	 k;

	while (len > 0) {
		if (b->n == sizeof(b->buf))
			flush(b);
		k = sizeof(b->buf) - b->n;
		if (k > len)
			k = len;
		memcpy(b->buf + b->n, p, k);
		b->n += k;
		p += k;
		len -= k;
	}
}

/* One octet of line content: first the line ends and blanks it proves. */
static void
content(struct dkim_body *b, char c)
{
	for (; b->crlfs > 0; b->crlfs--)
		put(b, "\r\n", 2);
	if (b->wsp) {
		put(b, " ", 1);
		b->wsp = false;
	}
	if (b->n == sizeof(b->buf))
		flush(b);
	b->buf[b->n++] = c;
	b->any = true;
}

void
dkim_body_feed(struct dkim_body *b, const void *data, size_t len)
{
	const char	*p = data;
	size_t		 i;
	char		 c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				b->wsp = false;	/* blanks at a line end go */
				b->crlfs++;
				continue;
			}
			content(b, '\r');
		}
		if (c == '\r')
			b->cr = true;
		else if (b->canon == DKIM_RELAXED && is_wsp(c))
			b->wsp = true;
		else if (b->crlfs == 0 && !b->wsp && b->n < sizeof(b->buf)) {
			b->buf[b->n++] = c;	/* the common case */
			b->any = true;
		} else
			content(b, c);
	}
}

void
dkim_body_finish(struct dkim_body *b)
{
	if (b->cr) {
		b->cr = false;
		content(b, '\r');
	}
	b->wsp = false;			/* blanks ending the last line */
	b->crlfs = 0;			/* empty lines at the end */
	/* One CRLF ends the last line; an empty body is CRLF for simple
	 * and nothing for relaxed (RFC 6376 §3.4.3, §3.4.4, erratum 1384). */
	if (b->any || b->canon == DKIM_SIMPLE)
		put(b, "\r\n", 2);
	flush(b);
}
