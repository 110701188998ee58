/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_req-fuzz.c — libFuzzer harness for what a control socket
 * client sends (control_req.c): control_parse() splits a request line into
 * the words a plain split on blanks and tabs gives (--json apart), or
 * refuses it with a reason; control_id_arg() accepts exactly the words
 * that are a queue id once upper-cased; control_select_parse() gives a
 * selection that names something, and --all alone; and rewrite_match(),
 * which the --sender and --recipient selectors use, matches every address
 * without a '*' against itself, in any case.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_req.h"
#include "envelope.h"
#include "rewrite.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The words of line, as the protocol defines them (blanks and tabs
 * between), --json left out; -1 when there are more than max. */
static int
split_ref(const char *line, size_t len, char words[][CONTROL_REQUEST_MAX],
    int max, bool *json)
{
	size_t	i = 0, k;
	int	n = 0;

	*json = false;
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		for (k = 0; i < len && line[i] != ' ' && line[i] != '\t'; i++)
			words[n < max ? n : max][k++] = line[i];
		words[n < max ? n : max][k] = '\0';
		if (strcmp(words[n < max ? n : max], "--json") == 0) {
			*json = true;
			continue;
		}
		if (n == max)
			return -1;
		n++;
	}
	return n;
}

static bool
printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static void
check_id(const char *arg)
{
	char	buf[QUEUE_ID_MAX + 1], up[CONTROL_REQUEST_MAX], err[128];
	size_t	i;

	for (i = 0; arg[i] != '\0'; i++)
		up[i] = (char)toupper((unsigned char)arg[i]);
	up[i] = '\0';
	err[0] = '\0';
	if (control_id_arg(arg, buf, sizeof(buf), err, sizeof(err)) == 0) {
		if (!envelope_id_valid(buf) || strcmp(buf, up) != 0)
			abort();
	} else if (err[0] == '\0' ||
	    (i <= QUEUE_ID_MAX && envelope_id_valid(up) &&
	    strspn(arg, "0123456789ABCDEFabcdef") == i))
		abort();
}

static void
check_match(const char *addr)
{
	char	up[CONTROL_REQUEST_MAX];
	size_t	i;

	if (addr[0] == '\0' || strchr(addr, '*') != NULL)
		return;
	for (i = 0; addr[i] != '\0'; i++)
		up[i] = (char)toupper((unsigned char)addr[i]);
	up[i] = '\0';
	if (!rewrite_match(addr, addr, "host.test") ||
	    !rewrite_match(up, addr, "host.test"))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char			words[CONTROL_ARGS_MAX + 1]
					    [CONTROL_REQUEST_MAX];
	struct control_req		req;
	struct control_selector		sel;
	const char			*line = (const char *)data;
	char				err[256];
	bool				json;
	int				n, r;

	err[0] = '\0';
	r = control_parse(line, len, &req, err, sizeof(err));
	if (r == -1) {
		if (err[0] == '\0')
			abort();
		/* Refused only for a reason the protocol names. */
		if (len < sizeof(req.buf) && printable(line, len) &&
		    (n = split_ref(line, len, words, CONTROL_ARGS_MAX,
		    &json)) > 0)
			abort();
		return 0;
	}
	if (len >= sizeof(req.buf) || !printable(line, len))
		abort();
	n = split_ref(line, len, words, CONTROL_ARGS_MAX, &json);
	if (n != req.argc || json != req.json || n < 1)
		abort();
	for (int i = 0; i < n; i++) {
		if (strcmp(req.argv[i], words[i]) != 0)
			abort();
		check_id(req.argv[i]);
		check_match(req.argv[i]);
	}

	err[0] = '\0';
	if (control_select_parse(&req, &sel, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (sel.all) {
		if (sel.id || sel.queue || sel.sender || sel.rcpt)
			abort();
	} else if (!sel.id && !sel.queue && !sel.sender && !sel.rcpt)
		abort();
	if (sel.id != NULL && (sel.id != sel.idbuf ||
	    !envelope_id_valid(sel.id)))
		abort();
	return 0;
}
