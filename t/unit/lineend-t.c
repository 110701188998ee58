/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * lineend-t.c — CRLF to LF (tolf_*) in pieces of every size; any line end
 * to CRLF (crlf_*) is tested through incoming.h in incoming-t.c.
 */
#include <stdio.h>
#include <string.h>

#include "lineend.h"
#include "../tap.h"

/* Convert in, fed `step` octets at a time, into out (NUL-terminated). */
static void
tolf_all(const char *in, size_t step, char *out)
{
	struct tolf	t;
	size_t		len = strlen(in), i, o = 0, n;

	tolf_init(&t);
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		o += tolf_feed(&t, in + i, n, out + o);
	}
	o += tolf_finish(&t, out + o);
	out[o] = '\0';
}

int
main(void)
{
	static const struct {
		const char *in, *want, *name;
	} cases[] = {
		{ "a\r\nb\r\n", "a\nb\n", "CRLF becomes LF" },
		{ "a\rb\r\n", "a\rb\n", "a bare CR stays" },
		{ "a\nb", "a\nb", "a bare LF stays" },
		{ "a\r", "a\r", "a CR at the very end stays" },
		{ "\r\r\n\r", "\r\n\r", "CR CR LF CR" },
		{ "", "", "nothing" },
	};
	char	out[64];
	size_t	i, step;
	int	good;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		good = 1;
		for (step = 1; step <= 8; step++) {
			tolf_all(cases[i].in, step, out);
			if (strcmp(out, cases[i].want) != 0)
				good = 0;
		}
		ok(good, cases[i].name);
	}
	return done_testing();
}
