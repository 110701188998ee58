/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control-t.c — the control socket's pure parts: the request parser and
 * the JSON string escaper (odd bytes, invalid UTF-8).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "control.h"
#include "control_format.h"
#include "control_req.h"
#include "../tap.h"

/* control_json_string(s) as a C string. */
static char *
json(const char *s)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;
	char		*out;

	control_json_string(b, s);
	len = evbuffer_get_length(b);
	out = malloc(len + 1);
	evbuffer_remove(b, out, len);
	out[len] = '\0';
	evbuffer_free(b);
	return out;
}

static void
test_json(void)
{
	struct { const char *in, *want, *name; } t[] = {
		{ "plain", "\"plain\"", "plain ASCII" },
		{ "", "\"\"", "empty" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"", "quote and backslash" },
		{ "l1\nl2\r\t", "\"l1\\nl2\\r\\t\"", "named escapes" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "controls" },
		{ "/</script>", "\"/</script>\"", "slash left alone" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"", "2-byte UTF-8 kept" },
		{ "\xe2\x82\xac", "\"\xe2\x82\xac\"", "3-byte UTF-8 kept" },
		{ "\xf0\x9f\x93\xa7", "\"\xf0\x9f\x93\xa7\"", "4-byte UTF-8 kept" },
		{ "\xff", "\"\\ufffd\"", "0xff replaced" },
		{ "a\x80z", "\"a\\ufffdz\"", "lone continuation" },
		{ "\xc3", "\"\\ufffd\"", "truncated at the end" },
		{ "\xc3(", "\"\\ufffd(\"", "bad continuation" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong 2-byte" },
		{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", "overlong 3-byte" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "surrogate" },
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
		    "above U+10FFFF" },
		{ "\xf0\x9f\x93", "\"\\ufffd\\ufffd\\ufffd\"", "truncated 4-byte" },
		{ "\xe2\x80\xa8", "\"\xe2\x80\xa8\"", "U+2028 kept" },
	};
	char	*got;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = json(t[i].in);
		is_str(got, t[i].want, t[i].name);
		free(got);
	}
	got = json(NULL);
	is_str(got, "null", "NULL is null");
	free(got);

	/* Every single byte gives valid JSON without raw controls. */
	{
		int	bad = 0;

		for (int c = 1; c < 256; c++) {
			char	in[2] = { (char)c, '\0' };

			got = json(in);
			for (char *p = got + 1; p[1] != '\0'; p++)
				if ((unsigned char)*p < 0x20 ||
				    (unsigned char)*p >= 0x80)
					bad++;
			free(got);
		}
		is_int(bad, 0, "no single byte passes through raw");
	}
}

static void
test_parse(void)
{
	struct control_req	r;
	char			err[128], big[CONTROL_REQUEST_MAX + 10];

	is_int(control_parse("queue", 5, &r, err, sizeof(err)), 0, "queue");
	is_int(r.argc, 1, "one word");
	is_str(r.argv[0], "queue", "the command");
	ok(!r.json, "no --json");

	is_int(control_parse("show  ABC --json", 16, &r, err, sizeof(err)), 0,
	    "show with --json");
	is_int(r.argc, 2, "two words, spaces collapsed");
	is_str(r.argv[1], "ABC", "the argument");
	ok(r.json, "--json taken anywhere");

	is_int(control_parse("\tflush\t", 7, &r, err, sizeof(err)), 0,
	    "tabs separate");
	is_str(r.argv[0], "flush", "trimmed");

	is_int(control_parse("", 0, &r, err, sizeof(err)), -1, "empty");
	is_str(err, "empty request", "empty: reason");
	is_int(control_parse("   ", 3, &r, err, sizeof(err)), -1, "blank");
	is_int(control_parse("--json", 6, &r, err, sizeof(err)), -1,
	    "--json alone is empty");
	is_int(control_parse("a b c d e f g h i", 17, &r, err, sizeof(err)), -1,
	    "too many words");
	is_int(control_parse("a b c d e f g h", 15, &r, err, sizeof(err)), 0,
	    "eight words (a command and seven selector words)");
	is_int(control_parse("show\0X", 6, &r, err, sizeof(err)), -1,
	    "NUL refused");
	is_int(control_parse("show \xc3\xa9", 7, &r, err, sizeof(err)), -1,
	    "8-bit refused");
	is_int(control_parse("show\rX", 6, &r, err, sizeof(err)), -1,
	    "CR inside refused");
	memset(big, 'a', sizeof(big));
	is_int(control_parse(big, CONTROL_REQUEST_MAX, &r, err, sizeof(err)),
	    -1, "too long");
	is_str(err, "request too long", "too long: reason");
	is_int(control_parse(big, CONTROL_REQUEST_MAX - 1, &r, err,
	    sizeof(err)), 0, "longest accepted");
	is_int((int)strlen(r.argv[0]), CONTROL_REQUEST_MAX - 1,
	    "whole word kept");
}

int
main(void)
{
	test_json();
	test_parse();
	return done_testing();
}
