/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * bounce-t.c — the structure of delivery status notifications: headers,
 * MIME boundaries, the RFC 3464 fields, CRLF everywhere, line lengths, and
 * bounce_status_of().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "util.h"
#include "../tap.h"

static int
crlf_only(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))
			return 0;
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return 0;
	}
	return len >= 2 && s[len - 2] == '\r' && s[len - 1] == '\n';
}

static size_t
longest_line(const char *s)
{
	const char	*nl;
	size_t		 max = 0, n;

	while ((nl = strstr(s, "\r\n")) != NULL) {
		n = (size_t)(nl - s);
		if (n > max)
			max = n;
		s = nl + 2;
	}
	return max;
}

static int
count(const char *s, const char *needle)
{
	int	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* The unfolded value of the first "name: " line at or after from, or NULL
 * (caller frees). */
static char *
field(const char *from, const char *name)
{
	char		 key[128], *v;
	const char	*p, *e;
	size_t		 n = 0;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	if ((p = strstr(from, key)) == NULL)
		return NULL;
	p += strlen(key);
	v = xmalloc(strlen(p) + 1);
	for (;;) {
		e = strstr(p, "\r\n");
		memcpy(v + n, p, e - p);
		n += e - p;
		if (e[2] != ' ' && e[2] != '\t')
			break;
		p = e + 2;	/* unfold: drop CRLF, keep the blank */
	}
	v[n] = '\0';
	return v;
}

static int
field_is(const char *from, const char *name, const char *want)
{
	char	*v = field(from, name);
	int	 r = v != NULL && strcmp(v, want) == 0;

	if (!r)
		printf("#   %s: got \"%s\", want \"%s\"\n", name,
		    v ? v : "(none)", want);
	free(v);
	return r;
}

static const char orig[] =
    "Received: from client by relay.example.net\n"
    "\twith ESMTP id 0123; Wed, 25 Nov 2026 06:40:00 +0000\n"
    "From: Sender <s@example.org>\r\n"
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    "\r\n"
    "The body must not appear.\r\n";

static void
test_permanent(void)
{
	struct bounce_rcpt	 r[3] = {
		{ "\"a b  c\"@example.com", "5.1.1",
		    "550-5.1.1 The email account that you tried to reach "
		    "does not exist.\r\n550 5.1.1 Please try\tagain.",
		    "mx.example.com", BOUNCE_FAILED, NULL },
		{ "użytkownik@przykład.pl", "5.7.1", "554 5.7.1 Rejected",
		    NULL, BOUNCE_FAILED, NULL },
		{ "local@example.org", "5.3.0", "maildrop: exit status 1",
		    NULL, BOUNCE_FAILED, NULL },
	};
	struct bounce_info	 info = {
		.hostname = "relay.example.net",
		.id = "0123456789ABCDEF",
		.sender = "s@example.org",
		.arrival = 1700000000,
		.now = 1700003600,
		.expired = 0,
		.orig_headers = orig,
		.orig_headers_len = sizeof(orig) - 1,
		.message_id = "<dsn.0123456789ABCDEF@relay.example.net>",
	};
	char		*m, *v, *hdr, *body, *dsn, *p;
	char		 boundary[128], date[64];
	size_t		 len;

	m = bounce_build(&info, r, 3, &len);
	ok(m != NULL && strlen(m) == len, "built, length right");
	ok(crlf_only(m, len), "CRLF line ends only");
	ok(longest_line(m) <= 998, "no line over 998 octets");

	/* Header section. */
	body = strstr(m, "\r\n\r\n");
	ok(body != NULL, "header section ends");
	/* A leading CRLF, so the first field is found like the others. */
	hdr = xasprintf("\r\n%.*s", (int)(body - m + 2), m);
	ok(field_is(hdr, "From",
	    "Mail Delivery System <MAILER-DAEMON@relay.example.net>"), "From");
	ok(field_is(hdr, "To", "<s@example.org>"), "To");
	ok(field_is(hdr, "Subject", "Undelivered Mail Returned to Sender"),
	    "Subject");
	rfc5322_date(1700003600, date, sizeof(date));
	ok(field_is(hdr, "Date", date), "Date is now");
	ok(field_is(hdr, "Message-ID",
	    "<dsn.0123456789ABCDEF@relay.example.net>"), "Message-ID");
	ok(field_is(hdr, "MIME-Version", "1.0"), "MIME-Version");
	ok(field_is(hdr, "Auto-Submitted", "auto-replied"), "Auto-Submitted");
	v = field(hdr, "Content-Type");
	ok(v != NULL && strncmp(v, "multipart/report; "
	    "report-type=delivery-status;\tboundary=\"", 57) == 0,
	    "Content-Type multipart/report");
	boundary[0] = '\0';
	if (v != NULL && (p = strstr(v, "boundary=\"")) != NULL) {
		snprintf(boundary, sizeof(boundary), "--%s", p + 10);
		boundary[strlen(boundary) - 1] = '\0';	/* the quote */
	}
	free(v);
	free(hdr);
	ok(strlen(boundary) > 4 && strlen(boundary) <= 72, "boundary found");
	ok(strstr(boundary, "0123456789ABCDEF") != NULL &&
	    strstr(boundary, "relay.example.net") != NULL,
	    "boundary from id and host");

	/* Three parts and a close delimiter at the very end. */
	{
		char	open[160], close_[160];

		snprintf(open, sizeof(open), "\r\n%s\r\n", boundary);
		snprintf(close_, sizeof(close_), "\r\n%s--\r\n", boundary);
		is_int(count(m, open), 3, "three body parts");
		ok(len > strlen(close_) &&
		    strcmp(m + len - strlen(close_), close_) == 0,
		    "close delimiter ends the message");
		/* Content-Type, three delimiters, the close. */
		is_int(count(m, boundary + 2), 5,
		    "boundary nowhere else in the message");
	}

	/* Part 1: text. */
	p = strstr(m, "Content-Description: Notification\r\n");
	ok(p != NULL, "part 1 present");
	ok(p != NULL && strstr(p, "Content-Type: text/plain; charset=utf-8") ==
	    p + 35, "part 1 text/plain utf-8 (8-bit address inside)");
	ok(strstr(m, "<\"a b  c\"@example.com>: host mx.example.com said: "
	    "550-5.1.1") != NULL, "human text names recipient, host, reply");
	ok(strstr(m, "<użytkownik@przykład.pl>: 554 5.7.1 Rejected") != NULL,
	    "human text: UTF-8 recipient without remote");

	/* Part 2: the delivery status. */
	dsn = strstr(m, "Content-Type: message/delivery-status\r\n\r\n");
	ok(dsn != NULL, "part 2 message/delivery-status");
	if (dsn == NULL)
		goto out;
	dsn += strlen("Content-Type: message/delivery-status\r\n");
	ok(field_is(dsn, "Reporting-MTA", "dns; relay.example.net"),
	    "Reporting-MTA");
	ok(field_is(dsn, "X-Queue-ID", "0123456789ABCDEF"), "X-Queue-ID");
	rfc5322_date(1700000000, date, sizeof(date));
	ok(field_is(dsn, "Arrival-Date", date), "Arrival-Date");
	ok(strstr(dsn, "\r\nArrival-Date: ") < strstr(dsn, "\r\n\r\n"),
	    "per-message fields, then a blank line");

	p = strstr(dsn, "\r\n\r\nFinal-Recipient: ");
	ok(p != NULL, "recipient block 1 after a blank line");
	if (p == NULL)
		goto out;
	p += 2;
	ok(field_is(p, "Final-Recipient", "rfc822; \"a b  c\"@example.com"),
	    "Final-Recipient keeps the quoted local part");
	ok(field_is(p, "Action", "failed"), "Action");
	ok(field_is(p, "Status", "5.1.1"), "Status");
	ok(field_is(p, "Remote-MTA", "dns; mx.example.com"), "Remote-MTA");
	ok(field_is(p, "Diagnostic-Code", "smtp; 550-5.1.1 The email account "
	    "that you tried to reach does not exist. 550 5.1.1 Please try "
	    "again."), "Diagnostic-Code: one line of text, folded");
	rfc5322_date(1700003600, date, sizeof(date));
	ok(field_is(p, "Last-Attempt-Date", date), "Last-Attempt-Date");

	p = strstr(p, "\r\n\r\nFinal-Recipient: ");
	ok(p != NULL, "recipient block 2");
	if (p == NULL)
		goto out;
	p += 2;
	ok(field_is(p, "Final-Recipient", "rfc822; użytkownik@przykład.pl"),
	    "Final-Recipient UTF-8");
	ok(field_is(p, "Status", "5.7.1"), "Status 2");
	v = field(p, "Remote-MTA");
	ok(v == NULL || strstr(p, "\r\nRemote-MTA: ") >
	    strstr(p + 2, "\r\n\r\n"), "no Remote-MTA when unknown");
	free(v);

	p = strstr(p, "\r\n\r\nFinal-Recipient: ");
	ok(p != NULL && field_is(p + 2, "Diagnostic-Code",
	    "X-Smarthostd; maildrop: exit status 1"),
	    "a non-SMTP diagnostic is not called smtp");

	/* Part 3: the original headers, without the body. */
	p = strstr(m, "Content-Type: text/rfc822-headers\r\n\r\n");
	ok(p != NULL, "part 3 text/rfc822-headers");
	ok(p != NULL && strstr(p, "\r\n\twith ESMTP id 0123;") != NULL,
	    "original folded header kept");
	ok(strstr(m, "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\n--") != NULL,
	    "headers end, then the boundary");
	ok(strstr(m, "The body must not appear") == NULL, "no original body");
out:
	free(m);
}

static void
test_expired(void)
{
	struct bounce_rcpt	 r[2] = {
		{ "a@example.com", NULL, "451 4.3.0 Try later", "mx.a",
		    BOUNCE_FAILED, NULL },
		{ "b@example.com", "4.2.2", NULL, NULL, BOUNCE_FAILED, NULL },
	};
	struct bounce_info	 info = {
		.hostname = "h.example", .id = "AB", .sender = "s@x",
		.arrival = 1, .now = 432001, .expired = 1,
		.message_id = "mid@h.example",
	};
	char	*m, *p;
	size_t	 len;

	m = bounce_build(&info, r, 2, &len);
	ok(crlf_only(m, len), "expired: CRLF");
	ok(strstr(m, "\r\nSubject: Undelivered Mail Returned to Sender "
	    "(expired)\r\n") != NULL, "expired subject");
	ok(strstr(m, "\r\nMessage-ID: <mid@h.example>\r\n") != NULL,
	    "Message-ID gets its angle brackets");
	is_int(count(m, "\r\nStatus: 4.4.7\r\n"), 2, "Status 4.4.7 for both");
	is_int(count(m, "\r\nAction: failed\r\n"), 2, "Action failed");
	ok(strstr(m, "text/rfc822-headers") == NULL,
	    "no headers part without headers");
	ok(strstr(m, "charset=us-ascii") != NULL, "7-bit text is us-ascii");
	p = strstr(m, "Diagnostic-Code: smtp; 451 4.3.0 Try later\r\n");
	ok(p != NULL, "last diagnostic kept");
	free(m);
}

/* delay_warning: Action: delayed, 4.x.x, Will-Retry-Until, the subject. */
static void
test_delayed(void)
{
	struct bounce_rcpt	 r[2] = {
		{ "a@example.com", "4.3.0", "451 4.3.0 Try later", "mx.a",
		    BOUNCE_DELAYED, NULL },
		{ "b@example.com", "5.1.1", NULL, NULL, BOUNCE_DELAYED, NULL },
	};
	struct bounce_info	 info = {
		.hostname = "h.example", .id = "AB", .sender = "s@x",
		.arrival = 1, .now = 14401, .delayed = 1,
		.retry_until = 432001, .message_id = "mid@h.example",
	};
	char	*m;
	size_t	 len;

	m = bounce_build(&info, r, 2, &len);
	ok(crlf_only(m, len), "delayed: CRLF");
	ok(strstr(m, "\r\nSubject: Delayed Mail (still being retried)\r\n")
	    != NULL, "delayed: subject");
	is_int(count(m, "\r\nAction: delayed\r\n"), 2, "Action: delayed");
	is_int(count(m, "\r\nAction: failed\r\n"), 0, "no Action: failed");
	is_int(count(m, "\r\nStatus: 4.3.0\r\n"), 1, "the recipient's 4.x.x");
	is_int(count(m, "\r\nStatus: 4.0.0\r\n"), 1,
	    "a non-4 status becomes 4.0.0");
	is_int(count(m, "\r\nWill-Retry-Until: "), 2, "Will-Retry-Until");
	ok(strstr(m, "YOU DO NOT NEED TO RESEND") != NULL, "says warning only");
	ok(longest_line(m) <= 998, "delayed: lines within 998");
	free(m);
}

static void
test_hostile(void)
{
	static char		 diag[6000], word[3000], hdrs[5000];
	struct bounce_rcpt	 r[3];
	struct bounce_info	 info;
	char			*m, *b, *e, bnd[128];
	size_t			 len, i;

	for (i = 0; i < sizeof(diag) - 1; i++)
		diag[i] = i % 11 == 10 ? ' ' : i % 97 == 5 ? '\n' : 'x';
	diag[sizeof(diag) - 1] = '\0';
	memset(word, 'y', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	/* Headers that hold the boundary we would pick, a NUL, a bare CR,
	 * and a 4000-octet line. */
	snprintf(hdrs, sizeof(hdrs), "X-Trap: --FF/evil.example\r\n"
	    "X-Bare: a\rb\r\nX-Long: ");
	len = strlen(hdrs);
	memset(hdrs + len, 'z', 4000);
	len += 4000;
	memcpy(hdrs + len, "\r\n", 2);
	len += 2;
	hdrs[len - 10] = '\0';	/* a NUL in the long line */

	memset(r, 0, sizeof(r));
	r[0].addr = "a@b";
	r[0].status = "5.1.1; rm -rf";		/* not a status */
	r[0].diagnostic = diag;
	r[0].remote_mta = "mx\r\nInjected: yes";
	r[1].addr = word;
	r[1].diagnostic = word;
	r[2].addr = "c@d";
	memset(&info, 0, sizeof(info));
	info.hostname = "evil.example";
	info.id = "FF";
	info.sender = "s@x\r\nBcc: victim@y";
	info.orig_headers = hdrs;
	info.orig_headers_len = len;

	m = bounce_build(&info, r, 3, &len);
	ok(crlf_only(m, len), "hostile: CRLF only");
	ok(longest_line(m) <= 998, "hostile: no line over 998 octets");
	ok(strstr(m, "\r\nInjected:") == NULL && strstr(m, "\r\nBcc:") == NULL,
	    "no header injection");
	ok(strstr(m, "\r\nStatus: 5.0.0\r\n") != NULL,
	    "a bad status becomes 5.0.0");
	b = strstr(m, "boundary=\"");
	ok(b != NULL, "hostile: boundary");
	if (b != NULL) {
		b += 10;
		e = strchr(b, '"');
		snprintf(bnd, sizeof(bnd), "%.*s", (int)(e - b), b);
		ok(strcmp(bnd, "FF/evil.example") != 0,
		    "boundary changed when the content holds it");
		/* Content-Type + 3 delimiters + close. */
		is_int(count(m, bnd), 5, "new boundary unique in content");
	}
	ok(strstr(m, "X-Long: zzzz") != NULL && strstr(m, "\r\n zzz") != NULL,
	    "long original header line split, not dropped");
	free(m);

	/* NULs and empty everything. */
	memset(&info, 0, sizeof(info));
	memset(r, 0, sizeof(r));
	r[0].addr = "";
	m = bounce_build(&info, r, 1, &len);
	ok(m != NULL && crlf_only(m, len), "empty info: still CRLF");
	ok(strstr(m, "MAILER-DAEMON@localhost") != NULL,
	    "no hostname: localhost");
	free(m);
}

static void
test_status_of(void)
{
	static const struct {
		const char *reply, *want;
	} t[] = {
		{ "550 5.1.1 No such user", "5.1.1" },
		{ "550-5.1.1 No such user\r\n550 5.1.1 really", "5.1.1" },
		{ "451 4.7.1 Greylisted", "4.7.1" },
		{ "451 try later", "4.0.0" },
		{ "421", "4.0.0" },
		{ "554 5.7.1", "5.7.1" },
		{ "552 5.3.4 Message too big", "5.3.4" },
		{ "550 4.1.1 mismatched class", "5.0.0" },
		{ "550 5.1.10 null MX", "5.1.10" },
		{ "550 5.1 short", "5.0.0" },
		{ "550 5.1.1234 long detail", "5.0.0" },
		{ "550 5.1.1x glued", "5.0.0" },
		{ "5.2.2 mailbox full", "5.2.2" },
		{ "connection refused", "5.0.0" },
		{ "", "5.0.0" },
		{ "99", "5.0.0" },
		{ "4", "5.0.0" },
		{ "45", "5.0.0" },
		{ "4511 x", "5.0.0" },
		{ "  451 4.4.1 leading blanks", "4.4.1" },
		{ "3.1.1", "5.0.0" },
	};
	char	buf[16], small[4];
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bounce_status_of(t[i].reply, buf, sizeof(buf));
		is_str(buf, t[i].want, strchr(t[i].reply, '\n') ?
		    "multi-line reply" : t[i].reply);
	}
	bounce_status_of(NULL, buf, sizeof(buf));
	is_str(buf, "5.0.0", "NULL reply");
	bounce_status_of("550 5.1.1 x", small, sizeof(small));
	is_str(small, "5.1", "small buffer truncates, terminated");
}

/* #19 item 7: the header section ends at the first line that is not a
 * header field, even without an empty line. */
static void
test_headers_only(void)
{
	static const char	 o[] = "Subject: spam\r\nX-A: b\r\n c\r\n"
	    "BUY NOW cheap pills\r\nX-After: body\r\n";
	struct bounce_rcpt	 r = { "x@example.com", "5.1.1", "550 5.1.1 no",
				    NULL, BOUNCE_FAILED, NULL };
	struct bounce_info	 info = {
		.hostname = "relay.example.net", .id = "0123456789ABCDEF",
		.sender = "s@example.org", .arrival = 1700000000,
		.now = 1700003600, .orig_headers = o,
		.orig_headers_len = sizeof(o) - 1,
		.message_id = "<dsn.1@relay.example.net>",
	};
	char	*m;
	size_t	 len;

	m = bounce_build(&info, &r, 1, &len);
	ok(strstr(m, "Subject: spam\r\nX-A: b\r\n c\r\n") != NULL,
	    "headers only: fields and continuations kept");
	ok(strstr(m, "BUY NOW") == NULL && strstr(m, "X-After") == NULL,
	    "headers only: nothing from the first non-field line on");
	free(m);
}

/* DSN (RFC 3461): success actions, the original envelope id and
 * recipient (decoded values: a CR or LF in them stays on its line), and
 * the whole message returned for RET=FULL. */
static void
test_dsn(void)
{
	static const char	 full[] = "Subject: all\r\n\r\nthe body\r\n";
	struct bounce_rcpt	 r[3] = {
		{ "a@example.com", "2.0.0", "250 2.0.0 Ok", NULL,
		    BOUNCE_DELIVERED, "rfc822;orig-a@example.com" },
		{ "b@example.com", "2.6.0", "250 2.6.0 queued", "mx.b",
		    BOUNCE_RELAYED, NULL },
		{ "c@example.com", "5.1.1", "550 5.1.1 no", "mx.c",
		    BOUNCE_FAILED, "utf-8;c\r\nX-Injected: 1" },
	};
	struct bounce_info	 info = {
		.hostname = "h.example", .id = "AB", .sender = "s@x",
		.arrival = 1, .now = 2, .orig_headers = full,
		.orig_headers_len = 15,
		.envid = "QQ+314\r\nX-Injected: 2",
		.message_id = "<dsn.2@h.example>",
	};
	char	*m;
	size_t	 len;

	m = bounce_build(&info, r, 2, &len);
	ok(crlf_only(m, len), "success: CRLF");
	ok(strstr(m, "\r\nSubject: Successful Mail Delivery Report\r\n")
	    != NULL, "success only: its own subject");
	ok(strstr(m, "\r\nAction: delivered\r\nStatus: 2.0.0\r\n") != NULL,
	    "Action: delivered, Status: 2.0.0");
	ok(strstr(m, "\r\nAction: relayed\r\nStatus: 2.6.0\r\n") != NULL,
	    "Action: relayed, the remote's 2.x.x");
	ok(strstr(m, "\r\nOriginal-Recipient: rfc822;orig-a@example.com\r\n"
	    "Final-Recipient: rfc822; a@example.com\r\n") != NULL,
	    "Original-Recipient before Final-Recipient");
	ok(strstr(m, "\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Original-Envelope-Id: QQ+314  X-Injected: 2\r\n"
	    "Reporting-MTA: dns; h.example\r\n") != NULL,
	    "Original-Envelope-Id first, its CR LF made blanks");
	ok(strstr(m, "Failed") == NULL && strstr(m, "Action: failed") == NULL,
	    "no failure named");
	ok(strstr(m, "Content-Description: Delivered Message Headers") != NULL,
	    "headers of a delivered message");
	free(m);

	info.orig_full = full;
	info.orig_full_len = sizeof(full) - 1;
	m = bounce_build(&info, r, 3, &len);
	ok(crlf_only(m, len), "mixed: CRLF");
	ok(strstr(m, "\r\nSubject: Undelivered Mail Returned to Sender\r\n")
	    != NULL, "a failure among them: the bounce subject");
	is_int(count(m, "\r\nAction: "), 3, "three recipients reported");
	ok(strstr(m, "\r\nOriginal-Recipient: utf-8;c  X-Injected: 1\r\n")
	    != NULL, "Original-Recipient: CR LF made blanks");
	ok(strstr(m, "\r\nX-Injected") == NULL, "nothing injected");
	ok(strstr(m, "Content-Type: message/rfc822\r\n\r\n"
	    "Subject: all\r\n\r\nthe body\r\n") != NULL,
	    "RET=FULL: the whole message as message/rfc822");
	ok(strstr(m, "text/rfc822-headers") == NULL, "  not the headers part");
	free(m);
}

int
main(void)
{
	test_dsn();
	test_headers_only();
	test_permanent();
	test_expired();
	test_delayed();
	test_hostile();
	test_status_of();
	return done_testing();
}
