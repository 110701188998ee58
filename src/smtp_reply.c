/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_reply.c — owns the pure parsing on the SMTP client side
 * (smtp_reply.h): one reply line, one EHLO keyword line, and the
 * dot-stuffing of the message as it is sent, and the line end that
 * completes its last line.  Unit-tested in
 * smtp_client-t.c, fuzzed by t/fuzz/smtp_reply-fuzz.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_reply.h"

int
smtp_reply_line(const char *line, size_t len, int *code, bool *more)
{
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
		return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len == 3)
		*more = false;
	else if (line[3] == ' ')
		*more = false;
	else if (line[3] == '-')
		*more = true;
	else
		return -1;
	return 0;
}

void
smtp_caps_line(struct smtp_caps *caps, const char *text)
{
	const char		*p, *arg;
	size_t			 kw;
	unsigned long long	 n;
	char			*end;

	kw = strcspn(text, " =");
	arg = text + kw;
	if (*arg != '\0')
		arg++;
	if (kw == 10 && strncasecmp(text, "PIPELINING", kw) == 0)
		caps->ext |= SMTPC_EXT_PIPELINING;
	else if (kw == 8 && strncasecmp(text, "8BITMIME", kw) == 0)
		caps->ext |= SMTPC_EXT_8BITMIME;
	else if (kw == 8 && strncasecmp(text, "SMTPUTF8", kw) == 0)
		caps->ext |= SMTPC_EXT_SMTPUTF8;
	else if (kw == 8 && strncasecmp(text, "STARTTLS", kw) == 0)
		caps->ext |= SMTPC_EXT_STARTTLS;
	else if (kw == 3 && strncasecmp(text, "DSN", kw) == 0)
		caps->ext |= SMTPC_EXT_DSN;
	else if (kw == 8 && strncasecmp(text, "CHUNKING", kw) == 0)
		caps->ext |= SMTPC_EXT_CHUNKING;
	else if (kw == 4 && strncasecmp(text, "SIZE", kw) == 0) {
		caps->ext |= SMTPC_EXT_SIZE;
		caps->size = 0;
		if (*arg >= '0' && *arg <= '9') {
			errno = 0;
			n = strtoull(arg, &end, 10);
			if (errno == 0 && (*end == '\0' || *end == ' '))
				caps->size = n;
		}
	} else if (kw == 4 && strncasecmp(text, "AUTH", kw) == 0) {
		caps->ext |= SMTPC_EXT_AUTH;
		for (p = arg; *p != '\0'; p += kw) {
			p += strspn(p, " ");
			kw = strcspn(p, " ");
			if (kw == 5 && strncasecmp(p, "PLAIN", kw) == 0)
				caps->auth |= SMTPC_AUTH_PLAIN;
			else if (kw == 5 && strncasecmp(p, "LOGIN", kw) == 0)
				caps->auth |= SMTPC_AUTH_LOGIN;
		}
	}
}

size_t
smtp_dot_stuff(const char *in, size_t len, char *out, bool *bol)
{
	const char	*p = in, *end = in + len, *nl;
	char		*o = out;
	size_t		 n;

	while (p < end) {
		if (*bol && *p == '.')
			*o++ = '.';
		nl = memchr(p, '\n', end - p);
		n = (nl != NULL ? nl + 1 : end) - p;
		memcpy(o, p, n);
		o += n;
		p += n;
		*bol = nl != NULL;
	}
	return o - out;
}

const char *
smtp_line_end_tail(int last)
{
	if (last == -1 || last == '\n')
		return "";
	return last == '\r' ? "\n" : "\r\n";
}
