/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * bounce.h — pure construction of RFC 3464 delivery status notifications.
 */
#ifndef SMARTHOSTD_BOUNCE_H
#define SMARTHOSTD_BOUNCE_H

#include <stddef.h>
#include <time.h>

/* What a notice says of one recipient (RFC 3464 Action). */
enum bounce_action {
	BOUNCE_FAILED = 0,
	BOUNCE_DELAYED,		/* only in a notice with info->delayed */
	BOUNCE_DELIVERED,	/* DSN NOTIFY=SUCCESS: into a mailbox here */
	BOUNCE_RELAYED		/* NOTIFY=SUCCESS: to a next hop without DSN */
};

struct bounce_rcpt {
	const char	*addr;		/* Final-Recipient */
	const char	*status;	/* enhanced code "5.1.1", or "4.4.7" */
	const char	*diagnostic;	/* remote reply, or NULL */
	const char	*remote_mta;	/* host name, or NULL */
	enum bounce_action action;	/* failed, unless info->delayed */
	const char	*orcpt;		/* Original-Recipient, decoded
					   ("rfc822;a@b"), or NULL */
};

struct bounce_info {
	const char	*hostname;	/* Reporting-MTA, From: MAILER-DAEMON@ */
	const char	*id;		/* original queue id */
	const char	*sender;	/* To: (never empty: no bounce then) */
	time_t		 arrival;
	time_t		 now;
	int		 expired;	/* the reason is expiry (max_age) */
	int		 delayed;	/* a delay warning (Action: delayed),
					   not a failure */
	time_t		 retry_until;	/* delayed: Will-Retry-Until */
	const char	*orig_headers;	/* the original's header section */
	size_t		 orig_headers_len;
	const char	*orig_full;	/* or, when not NULL, the whole
					   original (DSN RET=FULL) */
	size_t		 orig_full_len;
	const char	*envid;		/* Original-Envelope-Id, decoded, or
					   NULL */
	const char	*message_id;	/* Message-ID for the DSN itself */
};

/*
 * Build the whole message (headers and multipart/report body), CRLF line
 * ends, ready for the spool.  Returns malloc'd text and its length.  With
 * info->delayed the recipients are still being tried: Action: delayed and
 * a 4.x.x status (the recipient's own when it is one, else 4.0.0).
 * Otherwise each recipient has its action: failed (5.x.x or 4.4.7),
 * delivered or relayed (2.x.x).  The original comes back as its header
 * section (text/rfc822-headers), or whole (message/rfc822) when
 * info->orig_full is set.
 */
char	*bounce_build(const struct bounce_info *, const struct bounce_rcpt *,
	    int n, size_t *len);

/* Extract the enhanced status code ("5.1.1") from a reply line into buf;
 * when it has none, derive one from the basic code (5yz -> "5.0.0"). */
void	bounce_status_of(const char *reply, char *buf, size_t size);

#endif
