/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_data.c — owns the DATA phase as pure byte filters: the
 * transparency filter that turns what a client sends after DATA into the
 * stored message (RFC 5321 section 4.5.2, hardened against SMTP
 * smuggling), and the scanner that finds the end of the header section.
 * Both keep their whole state in their struct, so input may arrive split
 * anywhere and the result is the same as if it came in one piece.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp_data.h"

/*
 * Filter states.  "Line start" means a real one: the start of DATA or
 * just after a CRLF.  After a bare CR or LF the filter is in D_MID, so a
 * dot there is plain data and can never start an end-of-data marker.
 */
enum {
	D_BOL,		/* at a real line start */
	D_BOL_DOT,	/* line start, "." held back */
	D_BOL_DOT_CR,	/* line start, ".\r" held back */
	D_MID,		/* inside a line, or after a bare line end */
	D_CR,		/* "\r" held back: CRLF or a bare CR? */
	D_DONE
};

void
smtp_data_init(struct smtp_data *d)
{
	memset(d, 0, sizeof(*d));
	d->state = D_BOL;
}

/*
 * Every input octet writes at most two octets, except that octets held
 * back from an earlier call (at most ".\r", written as ".\r\n") add one
 * more: hence the 2 * len + 4 the header asks for.
 *
 * Inside a line (D_MID) every octet but CR and LF is copied as it is, so
 * the octets up to the next CR or LF go with one memcpy (memchr finds it),
 * and so does a CRLF that ends the line, which leads to D_BOL.  A bare CR
 * or LF, a CR at the end of the input, line starts and dots are left to
 * the per-octet state machine below.  The next LF is remembered for the
 * whole call, so a run of bare CRs is not searched again for each one.
 */
size_t
smtp_data_feed(struct smtp_data *d, const char *in, size_t len, char *out,
    size_t *outlen)
{
	const char	*p;
	size_t		 i, o = 0, n, lf = 0;
	int		 s = d->state;
	unsigned char	 c;

	for (i = 0; i < len && s != D_DONE; i++) {
		if (s == D_MID) {
			/* lf: the first LF at or after i, or len. */
			if (lf <= i) {
				p = memchr(in + i, '\n', len - i);
				lf = p != NULL ? (size_t)(p - in) : len;
			}
			/* The octets before the first CR (or the LF). */
			p = memchr(in + i, '\r', lf - i);
			n = (p != NULL ? (size_t)(p - in) : lf) - i;
			if (p != NULL && i + n + 1 == lf && lf < len) {
				/* CRLF: the line is over. */
				n += 2;
				s = D_BOL;
			}
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
			if (i == len)
				break;
		}
		c = in[i];

		switch (s) {
		case D_BOL:
			if (c == '.') {
				s = D_BOL_DOT;
				continue;
			}
			break;
		case D_BOL_DOT:
			if (c == '\r') {
				s = D_BOL_DOT_CR;
				continue;
			}
			if (c == '\n') {
				/* A lone dot ended by a bare LF: data. */
				memcpy(out + o, ".\r\n", 3);
				o += 3;
				d->bare_count++;
				s = D_MID;
				continue;
			}
			/* Dot-stuffing undone: the dot goes, c is data. */
			break;
		case D_BOL_DOT_CR:
			if (c == '\n') {
				/* CRLF "." CRLF: the CRLF before the dot
				 * was written as the end of the last line. */
				s = D_DONE;
				continue;
			}
			/* A lone dot ended by a bare CR: data. */
			memcpy(out + o, ".\r\n", 3);
			o += 3;
			d->bare_count++;
			break;
		case D_CR:
			out[o++] = '\r';
			out[o++] = '\n';
			if (c == '\n') {
				s = D_BOL;
				continue;
			}
			d->bare_count++;
			break;
		}

		/* Inside a line; c is the first octet not yet handled. */
		s = D_MID;
		if (c == '\r')
			s = D_CR;
		else if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			d->bare_count++;
		} else
			out[o++] = c;
	}
	d->state = s;
	d->done = s == D_DONE;
	d->octets_out += o;
	*outlen = o;
	return i;
}

/*
 * Header scanner states, in the low bits of h->state; above them, which
 * of the two names of interest the current field name may still be, and
 * whether any header field has been seen (a continuation line needs one).
 */
enum {
	H_BOL,		/* at a line start */
	H_NAME,		/* in what may be a field name */
	H_WSP,		/* blanks after a name (obsolete syntax) */
	H_SKIP,		/* in a header field's line, up to its LF */
	H_MASK = 0x0f,
	H_MSGID = 0x10,
	H_DATE = 0x20,
	H_FIELD = 0x40
};

/* "name:" must fit in a line of 998 octets. */
#define HDR_NAME_MAX	997

static const char msgid_name[] = "message-id";
static const char date_name[] = "date";

void
hdr_scan_init(struct hdr_scan *h)
{
	memset(h, 0, sizeof(*h));
	h->state = H_BOL;
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* RFC 5322 ftext: printable ASCII except ':'. */
static bool
is_ftext(int c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* Keep a candidate name only while the name read so far is its prefix. */
static int
name_step(int st, size_t pos, int c)
{
	if ((st & H_MSGID) && (pos >= sizeof(msgid_name) - 1 ||
	    lower(c) != msgid_name[pos]))
		st &= ~H_MSGID;
	if ((st & H_DATE) && (pos >= sizeof(date_name) - 1 ||
	    lower(c) != date_name[pos]))
		st &= ~H_DATE;
	return st;
}

/* The name has ended after len octets: keep only exact matches. */
static int
name_end(int st, size_t len)
{
	if (len != sizeof(msgid_name) - 1)
		st &= ~H_MSGID;
	if (len != sizeof(date_name) - 1)
		st &= ~H_DATE;
	return st;
}

/*
 * "Date :" (blanks before the colon) is RFC 5322 obsolete syntax that
 * receivers must accept and that readers take as a Date field, so it
 * counts as one: adding a second Date would make the message worse.
 */
long
hdr_scan_feed(struct hdr_scan *h, const char *buf, size_t len)
{
	uint64_t	base = h->fed;
	size_t		i;
	int		st = h->state;
	bool		blank = false;

	h->fed += len;
	if (h->done)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		switch (st & H_MASK) {
		case H_BOL:
			h->line_start = base + i;
			if (c == ' ' || c == '\t') {
				if (!(st & H_FIELD))
					goto end;
				st = (st & ~H_MASK) | H_SKIP;
			} else if (is_ftext(c)) {
				st = name_step((st & H_FIELD) | H_NAME |
				    H_MSGID | H_DATE, 0, c);
				h->matched = 1;
			} else {
				/* CR: the empty line; else not a header. */
				blank = c == '\r';
				goto end;
			}
			break;
		case H_NAME:
		case H_WSP:
			if (c == ':') {
				if ((st & H_MASK) == H_NAME)
					st = name_end(st, h->matched);
				if (st & H_MSGID)
					h->has_message_id = true;
				if (st & H_DATE)
					h->has_date = true;
				st = H_FIELD | H_SKIP;
				break;
			}
			if (h->matched >= HDR_NAME_MAX)
				goto end;
			if (c == ' ' || c == '\t') {
				if ((st & H_MASK) == H_NAME)
					st = (name_end(st, h->matched) &
					    ~H_MASK) | H_WSP;
			} else if (!is_ftext(c) || (st & H_MASK) == H_WSP)
				goto end;
			else
				st = name_step(st, h->matched, c);
			h->matched++;
			break;
		case H_SKIP:
			if (c == '\n')
				st = (st & ~H_MASK) | H_BOL;
			break;
		}
	}
	h->state = st;
	return -1;

end:
	h->state = st;
	h->done = true;
	h->need_blank = !blank;
	h->end_offset = h->line_start;
	return h->line_start >= base ? (long)(h->line_start - base) : 0;
}

void
hdr_scan_finish(struct hdr_scan *h)
{
	if (h->done)
		return;
	if (hdr_scan_pending(h) > 0) {
		/* The last line was never finished as a header. */
		h->end_offset = h->line_start;
		h->need_blank = true;
	} else
		h->end_offset = h->fed;
	h->done = true;
}

size_t
hdr_scan_pending(const struct hdr_scan *h)
{
	int	st = h->state & H_MASK;

	if (h->done || (st != H_NAME && st != H_WSP))
		return 0;
	return h->fed - h->line_start;
}

/*
 * BDAT framing: line ends only (see smtp_data.h).
 */

/* The line-end half is lineend.c's; this adds the counts. */
void
bdat_init(struct bdat_filter *b)
{
	memset(b, 0, sizeof(*b));
	crlf_init(&b->crlf);
}

void
bdat_feed(struct bdat_filter *b, const char *in, size_t len, char *out,
    size_t *outlen)
{
	size_t	o = crlf_feed(&b->crlf, in, len, out);

	b->bare_count = b->crlf.bare;
	b->octets_in += len;
	b->octets_out += o;
	*outlen = o;
}

void
bdat_finish(struct bdat_filter *b, char *out, size_t *outlen)
{
	*outlen = crlf_finish(&b->crlf, out);
	b->bare_count = b->crlf.bare;
	b->octets_out += *outlen;
}
