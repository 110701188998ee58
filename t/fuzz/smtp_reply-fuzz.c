/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_reply-fuzz.c — libFuzzer harness for the SMTP client's reply
 * parsing: smtp_reply_line() accepts exactly "ddd", "ddd text" and
 * "ddd-text" with a code 200..599, and smtp_caps_line() takes any EHLO
 * line (the input is cut at each LF into lines) without reading past it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_client.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct smtp_caps	 caps;
	const char		*p = (const char *)data, *nl;
	char			*line;
	size_t			 n;
	int			 code;
	bool			 more, want;

	memset(&caps, 0, sizeof(caps));
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		/* An exact-size copy, NUL-terminated for smtp_caps_line. */
		line = malloc(n + 1);
		memcpy(line, p, n);
		line[n] = '\0';
		code = -1;
		more = false;
		want = n >= 3 && line[0] >= '2' && line[0] <= '5' &&
		    line[1] >= '0' && line[1] <= '9' &&
		    line[2] >= '0' && line[2] <= '9' &&
		    (n == 3 || line[3] == ' ' || line[3] == '-');
		if (smtp_reply_line(line, n, &code, &more) == 0) {
			if (!want || code < 200 || code > 599 ||
			    code != (line[0] - '0') * 100 +
			    (line[1] - '0') * 10 + (line[2] - '0') ||
			    more != (n > 3 && line[3] == '-'))
				abort();
			if (n > 4)
				smtp_caps_line(&caps, line + 4);
		} else if (want)
			abort();
		smtp_caps_line(&caps, line);
		free(line);
		if (nl == NULL)
			break;
		len -= n + 1;
		p += n + 1;
	}
	return 0;
}
