/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * bounce.c — owns the text of delivery status notifications (RFC 3464):
 * a multipart/report with a human explanation, the machine-readable
 * message/delivery-status part and the original header section.
 *
 * Pure: strings in, one CRLF message out.  Everything inserted (addresses,
 * remote replies, host names) comes from outside, so it is stripped of
 * control characters and folded or cut so that no line exceeds 998 octets
 * (RFC 5322 §2.1.1), and the MIME boundary is checked against the content.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "bounce_int.h"
#include "util.h"

#define FOLD_AT		76	/* preferred line length */
#define HARD_LINE	990	/* cut here when a line has no blank */
#define ORIG_MAX	(256 * 1024)	/* original header section kept */

/*
 * A copy of s fit for one line: control characters become spaces and, when
 * squeeze, runs of blanks collapse (a multi-line reply joins into one line).
 * The result is at most max octets, cut on a UTF-8 character boundary and
 * marked with "...".
 */
char *
bounce_clean(const char *s, size_t max, bool squeeze)
{
	char	*d, *p;
	size_t	 cut;
	bool	 blank = false;

	if (s == NULL)
		s = "";
	d = p = xmalloc(strlen(s) + 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (squeeze && c == ' ') {
			blank = true;
			continue;
		}
		if (blank && p != d)
			*p++ = ' ';
		blank = false;
		*p++ = (char)c;
	}
	*p = '\0';
	if ((size_t)(p - d) > max) {
		cut = max >= 3 ? max - 3 : max;
		while (cut > 0 && ((unsigned char)d[cut] & 0xc0) == 0x80)
			cut--;
		if (max >= 3)
			memcpy(d + cut, "...", 4);
		else
			d[cut] = '\0';
	}
	return d;
}

/*
 * Append "<prefix><value>" CRLF, folded at blanks to about FOLD_AT octets;
 * continuation lines start with a space, as header folding wants.  A word
 * too long for any line is cut at HARD_LINE: the result is never longer
 * than 998 octets a line whatever the input.
 */
void
bounce_put_folded(struct buf *b, const char *prefix, const char *value)
{
	size_t	 col, len, brk, i;
	char	*v, *s;
	bool	 hard;

	v = bounce_clean(value, (size_t)-1 / 2, false);
	buf_str(b, prefix);
	col = strlen(prefix);
	s = v;
	for (;;) {
		len = strlen(s);
		if (col + len <= FOLD_AT) {
			buf_add(b, s, len);
			break;
		}
		/* The last blank that keeps the line short, else the first
		 * blank at all, else a hard cut. */
		brk = 0;
		hard = false;
		for (i = 1; i + 1 < len && col + i <= HARD_LINE; i++) {
			if (s[i] != ' ')
				continue;
			if (col + i <= FOLD_AT || brk == 0)
				brk = i;
			if (col + i > FOLD_AT)
				break;
		}
		if (brk == 0) {
			if (col + len <= HARD_LINE) {
				buf_add(b, s, len);
				break;
			}
			brk = HARD_LINE > col ? HARD_LINE - col : 1;
			hard = true;
		}
		buf_add(b, s, brk);
		buf_str(b, "\r\n ");
		s += brk;
		if (!hard)
			s++;	/* the blank the fold replaces */
		col = 1;
	}
	buf_str(b, "\r\n");
	free(v);
}

static void
put_human(struct buf *b, const struct bounce_info *info,
    const struct bounce_rcpt *rcpts, int n, const char *host)
{
	char	 date[64], *s;
	int	 i;
	bool	 failed = bounce_any_of(rcpts, n, false);

	buf_printf(b, "This is the mail system at host %s.\r\n\r\n", host);
	if (info->delayed) {
		rfc5322_date(info->arrival, date, sizeof(date));
		bounce_put_folded(b, "", "#############################"
		    "################################");
		bounce_put_folded(b, "", "# THIS IS A WARNING ONLY.  "
		    "YOU DO NOT NEED TO RESEND YOUR MESSAGE. #");
		bounce_put_folded(b, "", "#############################"
		    "################################");
		buf_str(b, "\r\n");
		bounce_put_folded(b, "", "Your message could not be "
		    "delivered yet to one or more recipients. It has been "
		    "in the queue since:");
		buf_printf(b, "  %s\r\n", date);
		if (info->retry_until > 0) {
			rfc5322_date(info->retry_until, date, sizeof(date));
			bounce_put_folded(b, "", "The mail system will keep "
			    "trying until:");
			buf_printf(b, "  %s\r\n", date);
		}
	} else if (info->expired) {
		rfc5322_date(info->arrival, date, sizeof(date));
		bounce_put_folded(b, "", "Your message could not be "
		    "delivered to one or more recipients before it "
		    "expired. It has been in the queue since:");
		buf_printf(b, "  %s\r\n", date);
		bounce_put_folded(b, "", "The mail system gave up and will "
		    "not try again.");
	} else if (failed)
		bounce_put_folded(b, "", "I'm sorry to have to inform you "
		    "that your message could not be delivered to one or more "
		    "recipients. It is attached below.");
	if (!info->delayed && bounce_any_of(rcpts, n, true)) {
		if (failed)
			buf_str(b, "\r\n");
		bounce_put_folded(b, "", "Your message was delivered to the "
		    "recipients below that asked for a notice of delivery. "
		    "Where it was relayed to a system that sends no such "
		    "notices, you may still hear of a failure from further "
		    "on.");
	}
	buf_str(b, "\r\n");
	bounce_put_folded(b, "", "For further assistance, please send mail to "
	    "postmaster. If you do so, please include this problem report.");
	buf_str(b, "\r\n");
	for (i = 0; i < n; i++) {
		const struct bounce_rcpt *r = &rcpts[i];
		char *addr = bounce_clean(r->addr, DIAG_MAX, false);
		char *diag = bounce_clean(r->diagnostic, DIAG_MAX, true);
		char *mta = bounce_clean(r->remote_mta, 255, true);

		if (!info->delayed && r->action == BOUNCE_DELIVERED)
			s = xasprintf("<%s>: delivered to the mailbox", addr);
		else if (!info->delayed && r->action == BOUNCE_RELAYED)
			s = xasprintf("<%s>: relayed%s%s to a system that "
			    "sends no delivery notices", addr,
			    *mta != '\0' ? " via host " : "", mta);
		else if (*mta != '\0' && *diag != '\0')
			s = xasprintf("<%s>: host %s said: %s", addr, mta,
			    diag);
		else if (*diag != '\0')
			s = xasprintf("<%s>: %s", addr, diag);
		else
			s = xasprintf("<%s>: %s (status %s)", addr,
			    info->delayed ? "delivery delayed" :
			    "delivery failed", bounce_rcpt_status(info, r));
		bounce_put_folded(b, "", s);
		buf_str(b, "\r\n");
		free(s);
		free(addr);
		free(diag);
		free(mta);
	}
}

/* Whether h[i..len) starts a header field: a name of printable octets
 * other than ':', then ':' (RFC 5322 2.2); or, after one, a continuation. */
static bool
is_field_line(const char *h, size_t i, size_t len, bool first)
{
	size_t	j;

	if (h[i] == ' ' || h[i] == '\t')
		return !first;
	for (j = i; j < len && h[j] != ':'; j++)
		if ((unsigned char)h[j] < 33 || (unsigned char)h[j] > 126)
			return false;
	return j > i && j < len;
}

/*
 * The original header section with CRLF line ends, long lines cut (as
 * continuation lines), NULs as spaces, without its terminating blank line.
 * It ends at the first line that is no header field either: a message
 * without an empty line cannot get its body into a bounce (backscatter,
 * #19 item 7; RFC 3461 RET=HDRS).
 */
static void
put_orig_headers(struct buf *b, const char *h, size_t len)
{
	size_t	i, col = 0;
	bool	first = true;
	char	c;

	if (len > ORIG_MAX)
		len = ORIG_MAX;
	for (i = 0; i < len; i++) {
		if (col == 0) {
			if (!is_field_line(h, i, len, first))
				break;
			first = false;
		}
		c = h[i];
		/* A bare CR is no line end: it stays inside its field. */
		if (c == '\r' && (i + 1 == len || h[i + 1] != '\n'))
			c = ' ';
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < len && h[i + 1] == '\n')
				i++;
			if (col == 0)
				break;	/* the blank line ends them */
			buf_str(b, "\r\n");
			col = 0;
			continue;
		}
		if (col >= HARD_LINE) {
			buf_str(b, "\r\n ");
			col = 1;
		}
		if (c == '\0')
			c = ' ';
		buf_add(b, &c, 1);
		col++;
	}
	if (col > 0)
		buf_str(b, "\r\n");
}

/* The whole original (RET=FULL), as stored (CRLF); a NUL as a space. */
static void
put_orig_full(struct buf *b, const char *m, size_t len)
{
	const char	*nul;

	while (len > 0 && (nul = memchr(m, '\0', len)) != NULL) {
		buf_add(b, m, (size_t)(nul - m));
		buf_add(b, " ", 1);
		len -= (size_t)(nul - m) + 1;
		m = nul + 1;
	}
	buf_add(b, m, len);
	if (b->len > 0 && b->p[b->len - 1] != '\n')
		buf_str(b, "\r\n");
}

static bool
has_8bit(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Characters allowed in a boundary (RFC 2046 bcharsnospace). */
static bool
bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=?", c) != NULL;
}

char *
bounce_build(const struct bounce_info *info, const struct bounce_rcpt *rcpts,
    int n, size_t *len)
{
	struct buf	 out = { NULL, 0, 0 };
	struct buf	 human = { NULL, 0, 0 }, report = { NULL, 0, 0 };
	struct buf	 orig = { NULL, 0, 0 };
	char		 date[64], boundary[80], seed[64], *host, *s;
	const char	*p;
	size_t		 k;
	int		 tries;

	host = bounce_clean(info->hostname != NULL ? info->hostname :
	    "localhost", 255, true);
	if (*host == '\0') {
		free(host);
		host = xstrdup("localhost");
	}

	put_human(&human, info, rcpts, n, host);
	bounce_put_report(&report, info, rcpts, n, host);
	if (info->orig_full != NULL && info->orig_full_len > 0)
		put_orig_full(&orig, info->orig_full, info->orig_full_len);
	else if (info->orig_headers != NULL && info->orig_headers_len > 0)
		put_orig_headers(&orig, info->orig_headers,
		    info->orig_headers_len);

	/* The boundary: from the id and host name, made unique if the
	 * content happens to hold it. */
	k = 0;
	for (p = info->id != NULL ? info->id : ""; *p && k < 24; p++)
		if (bchar(*p))
			seed[k++] = *p;
	seed[k++] = '/';
	for (p = host; *p && k < 60; p++)
		if (bchar(*p))
			seed[k++] = *p;
	seed[k] = '\0';
	for (tries = 0; ; tries++) {
		if (tries == 0)
			snprintf(boundary, sizeof(boundary), "%s", seed);
		else
			snprintf(boundary, sizeof(boundary), "%s=%d", seed,
			    tries);
		if ((human.p == NULL || strstr(human.p, boundary) == NULL) &&
		    (report.p == NULL || strstr(report.p, boundary) == NULL) &&
		    (orig.p == NULL || strstr(orig.p, boundary) == NULL))
			break;
	}

	buf_printf(&out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
	    host);
	s = bounce_clean(info->sender, DIAG_MAX, false);
	buf_str(&out, "To: <");
	buf_str(&out, s);
	buf_str(&out, ">\r\n");
	free(s);
	if (info->delayed)
		buf_str(&out, "Subject: Delayed Mail (still being retried)"
		    "\r\n");
	else if (!bounce_any_of(rcpts, n, false))
		buf_str(&out, "Subject: Successful Mail Delivery Report\r\n");
	else
		buf_printf(&out, "Subject: Undelivered Mail Returned to "
		    "Sender%s\r\n", info->expired ? " (expired)" : "");
	rfc5322_date(info->now, date, sizeof(date));
	buf_printf(&out, "Date: %s\r\n", date);
	if (info->message_id != NULL && *info->message_id != '\0') {
		s = bounce_clean(info->message_id, DIAG_MAX, true);
		buf_printf(&out, "Message-ID: %s%s%s\r\n",
		    *s == '<' ? "" : "<", s, *s == '<' ? "" : ">");
		free(s);
	}
	buf_str(&out, "MIME-Version: 1.0\r\n");
	buf_str(&out, "Auto-Submitted: auto-replied\r\n");
	buf_str(&out, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\r\n");
	buf_printf(&out, "\tboundary=\"%s\"\r\n", boundary);
	buf_str(&out, "\r\n");
	buf_str(&out, "This is a MIME-encapsulated message.\r\n\r\n");

	buf_printf(&out, "--%s\r\n", boundary);
	buf_str(&out, "Content-Description: Notification\r\n");
	if (human.p != NULL && has_8bit(human.p, human.len))
		buf_str(&out, "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n");
	else
		buf_str(&out, "Content-Type: text/plain; charset=us-ascii\r\n"
		    "\r\n");
	if (human.p != NULL)
		buf_add(&out, human.p, human.len);

	buf_printf(&out, "\r\n--%s\r\n", boundary);
	buf_str(&out, "Content-Description: Delivery report\r\n");
	buf_str(&out, "Content-Type: message/delivery-status\r\n\r\n");
	if (report.p != NULL)
		buf_add(&out, report.p, report.len);

	if (orig.p != NULL) {
		const char *what = info->delayed ||
		    bounce_any_of(rcpts, n, false) ? "Undelivered" :
		    "Delivered";

		buf_printf(&out, "\r\n--%s\r\n", boundary);
		if (info->orig_full != NULL) {
			buf_printf(&out, "Content-Description: %s Message"
			    "\r\n", what);
			buf_str(&out, "Content-Type: message/rfc822\r\n");
			if (has_8bit(orig.p, orig.len))
				buf_str(&out, "Content-Transfer-Encoding: "
				    "8bit\r\n");
		} else {
			buf_printf(&out, "Content-Description: %s Message "
			    "Headers\r\n", what);
			buf_str(&out, "Content-Type: text/rfc822-headers"
			    "\r\n");
		}
		buf_str(&out, "\r\n");
		buf_add(&out, orig.p, orig.len);
	}
	buf_printf(&out, "\r\n--%s--\r\n", boundary);

	free(human.p);
	free(report.p);
	free(orig.p);
	free(host);
	if (len != NULL)
		*len = out.len;
	return out.p;
}
