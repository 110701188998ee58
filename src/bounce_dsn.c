/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * bounce_dsn.c — owns the DSN fields of a notice (RFC 3464): each
 * recipient's Status (from the enhanced code of the remote reply, or a
 * default by action), its Action, and the machine-readable
 * message/delivery-status part that carries them with the per-message
 * fields.  Pure, as bounce.c, which builds the whole message around it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "bounce_int.h"
#include "util.h"

/* "x.y.z" with x 2, 4 or 5, y 1-3 digits, z 1-3 digits, then end/blank. */
static size_t
enhanced_len(const char *s)
{
	size_t	i = 0, n;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (s[1] != '.')
		return 0;
	i = 2;
	for (n = 0; s[i] >= '0' && s[i] <= '9' && n < 3; n++)
		i++;
	if (n == 0 || s[i] != '.')
		return 0;
	i++;
	for (n = 0; s[i] >= '0' && s[i] <= '9' && n < 3; n++)
		i++;
	if (n == 0 || (s[i] != '\0' && s[i] != ' ' && s[i] != '\t' &&
	    s[i] != '\r' && s[i] != '\n'))
		return 0;
	return i;
}

void
bounce_status_of(const char *reply, char *buf, size_t size)
{
	const char	*s = reply, *e;
	char		 basic = 0;
	size_t		 n;

	if (s == NULL)
		s = "";
	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' &&
	    s[2] >= '0' && s[2] <= '9' && (s[3] == ' ' || s[3] == '-' ||
	    s[3] == '\0' || s[3] == '\r' || s[3] == '\n')) {
		basic = s[0];
		e = s[3] == ' ' || s[3] == '-' ? s + 4 : s + 3;
	} else
		e = s;
	while (*e == ' ')
		e++;
	n = enhanced_len(e);
	/* An enhanced code counts only when its class agrees with the basic
	 * code's (RFC 3463 §2). */
	if (n > 0 && (basic == 0 || basic == e[0])) {
		char	tmp[16];

		snprintf(tmp, sizeof(tmp), "%.*s", (int)n, e);
		strlcpy_(buf, tmp, size);
		return;
	}
	strlcpy_(buf, basic == '4' ? "4.0.0" : "5.0.0", size);
}

/* Does the reply start with an SMTP code (then "smtp;" is its type)? */
static bool
is_smtp_reply(const char *s)
{
	return s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' &&
	    s[2] >= '0' && s[2] <= '9' && (s[3] == ' ' || s[3] == '-' ||
	    s[3] == '\0');
}

const char *
bounce_rcpt_status(const struct bounce_info *info,
    const struct bounce_rcpt *r)
{
	const char	*st = r->status;
	bool		 code = st != NULL && enhanced_len(st) == strlen(st);

	if (info->delayed)
		return code && st[0] == '4' ? st : "4.0.0";
	if (r->action == BOUNCE_DELIVERED || r->action == BOUNCE_RELAYED)
		return code && st[0] == '2' ? st : "2.0.0";
	if (code && st[0] != '2') {
		/* An expired recipient only ever failed transiently: the
		 * reason for giving up is the expiry itself (RFC 3463). */
		if (info->expired && st[0] == '4')
			return "4.4.7";
		return st;
	}
	return info->expired ? "4.4.7" : "5.0.0";
}

static const char *
action_to_text(const struct bounce_info *info, const struct bounce_rcpt *r)
{
	if (info->delayed)
		return "delayed";
	switch (r->action) {
	case BOUNCE_DELIVERED:
		return "delivered";
	case BOUNCE_RELAYED:
		return "relayed";
	default:
		return "failed";
	}
}

static bool
is_success(const struct bounce_rcpt *r)
{
	return r->action == BOUNCE_DELIVERED || r->action == BOUNCE_RELAYED;
}

/* Does the notice report a failure (succ false) or a success (true)? */
bool
bounce_any_of(const struct bounce_rcpt *rcpts, int n, bool succ)
{
	int	i;

	for (i = 0; i < n; i++)
		if (is_success(&rcpts[i]) == succ)
			return true;
	return false;
}
void
bounce_put_report(struct buf *b, const struct bounce_info *info,
    const struct bounce_rcpt *rcpts, int n, const char *host)
{
	char	 date[64], *s;
	int	 i;

	/* RFC 3464 2.2: the envelope id comes first. */
	if (info->envid != NULL)
		bounce_put_folded(b, "Original-Envelope-Id: ", info->envid);
	s = xasprintf("dns; %s", host);
	bounce_put_folded(b, "Reporting-MTA: ", s);
	free(s);
	if (info->id != NULL)
		bounce_put_folded(b, "X-Queue-ID: ", info->id);
	rfc5322_date(info->arrival, date, sizeof(date));
	buf_printf(b, "Arrival-Date: %s\r\n", date);

	rfc5322_date(info->now, date, sizeof(date));
	for (i = 0; i < n; i++) {
		const struct bounce_rcpt *r = &rcpts[i];
		char *addr = bounce_clean(r->addr, DIAG_MAX, false);
		char *diag = bounce_clean(r->diagnostic, DIAG_MAX, true);
		char *mta = bounce_clean(r->remote_mta, 255, true);

		buf_str(b, "\r\n");
		if (r->orcpt != NULL)
			bounce_put_folded(b, "Original-Recipient: ", r->orcpt);
		s = xasprintf("rfc822; %s", addr);
		bounce_put_folded(b, "Final-Recipient: ", s);
		free(s);
		buf_printf(b, "Action: %s\r\n", action_to_text(info, r));
		buf_printf(b, "Status: %s\r\n", bounce_rcpt_status(info, r));
		if (*mta != '\0') {
			s = xasprintf("dns; %s", mta);
			bounce_put_folded(b, "Remote-MTA: ", s);
			free(s);
		}
		if (*diag != '\0') {
			/* Not every failure is an SMTP reply (a maildrop
			 * command's stderr, a TLS error). */
			s = xasprintf("%s; %s", is_smtp_reply(diag) ? "smtp" :
			    "X-Smarthostd", diag);
			bounce_put_folded(b, "Diagnostic-Code: ", s);
			free(s);
		}
		buf_printf(b, "Last-Attempt-Date: %s\r\n", date);
		if (info->delayed && info->retry_until > 0) {
			char until[64];

			rfc5322_date(info->retry_until, until, sizeof(until));
			buf_printf(b, "Will-Retry-Until: %s\r\n", until);
		}
		free(addr);
		free(diag);
		free(mta);
	}
}
