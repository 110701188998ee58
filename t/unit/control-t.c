/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control-t.c — the control socket's pure parts: the request parser and
 * the JSON string escaper (odd bytes, invalid UTF-8), the text forms of
 * control_format.c and the selectors of control_req.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "config.h"
#include "control.h"
#include "control_format.h"
#include "control_req.h"
#include "envelope.h"
#include "util.h"
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

static const char conf[] =
"hostname = \"relay.test\";\n"
"spool = \"/tmp/control-t-spool\";\n"
"control = \"\";\n"
"relayers = ( { name = \"isp\"; type = \"smtp\"; host = \"127.0.0.1\"; "
"tls = \"none\"; } );\n"
"routing = { default_relayer = \"isp\"; };\n";

/* An evbuffer's contents as a C string, emptying it. */
static char *
drain(struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);
	char	*out = malloc(len + 1);

	evbuffer_remove(b, out, len);
	out[len] = '\0';
	return out;
}

static struct envelope *
make_env(void)
{
	struct envelope	*env = envelope_new();

	snprintf(env->id, sizeof(env->id), "00000000000000AB");
	env->sender = xstrdup("a\nb@x.test");	/* a control character */
	env->listener = xstrdup("smtp");
	env->created = now() - 200;
	env->next_attempt = 0;
	env->size = 42;
	envelope_add_rcpt(env, "r1@y.test");
	envelope_add_rcpt(env, "r2@y.test");
	env->rcpts[1].state = RCPT_DELIVERED;
	return env;
}

static void
test_format(void)
{
	struct control_listing	 l;
	struct control_qstat	 qs[2];
	struct control_counters	 c = { "in\x01", { 7, 2 } };
	static const char *const keys[] = { "received", "current" };
	struct evbuffer		*b = evbuffer_new();
	struct envelope		*env = make_env();
	struct config		*cfg;
	char			 err[256], d[32], *out;

	cfg = config_load_string(conf, "t.conf", err, sizeof(err));
	ok(cfg != NULL, "format: configuration loads");
	if (cfg == NULL) {
		printf("# %s\n", err);
		return;
	}
	control_duration(d, sizeof(d), 45);
	is_str(d, "45s", "duration: seconds");
	control_duration(d, sizeof(d), 200);
	is_str(d, "3m20s", "duration: minutes");
	control_duration(d, sizeof(d), 2 * 3600 + 5 * 60);
	is_str(d, "2h05m", "duration: hours");
	control_duration(d, sizeof(d), -5);
	is_str(d, "0s", "duration: negative is 0");

	control_listing_begin(&l, b, cfg, false);
	control_listing_end(&l);
	out = drain(b);
	is_str(out, "queue is empty\n", "listing: empty");
	free(out);

	/* The age counts from now(): the arrival is set again just before
	 * the listing (loading the configuration can take a second under
	 * qemu), and the listing made again if a second began meanwhile. */
	for (int tries = 0;; tries++) {
		time_t	t0 = now();

		env->created = t0 - 200;
		control_listing_begin(&l, b, cfg, false);
		control_listing_add(&l, env, false);
		control_listing_end(&l);
		out = drain(b);
		if (now() == t0 || tries == 4)
			break;
		free(out);
	}
	is_str(out, "00000000000000AB age=3m20s size=42 from=<a?b@x.test> "
	    "to=<r1@y.test> queue=y.test next=now attempts=0\n"
	    "-- 1 message, 1 recipient, 42 bytes\n",
	    "listing: pending recipients, its queue, control characters "
	    "as ?, the totals");
	free(out);

	control_listing_begin(&l, b, cfg, true);
	control_listing_add(&l, env, true);
	control_listing_end(&l);
	out = drain(b);
	ok(strstr(out, "\"sender\": \"a\\nb@x.test\"") != NULL &&
	    strstr(out, "\"in_progress\": true") != NULL &&
	    strstr(out, "\"recipients\": [\"r1@y.test\"]") != NULL,
	    "listing --json: escaped sender, busy, pending recipients");
	free(out);

	control_show(b, cfg, env, false, false);
	out = drain(b);
	ok(strstr(out, "recipient: <r1@y.test> pending queue=y.test "
	    "relayer=isp\n") != NULL &&
	    strstr(out, "recipient: <r2@y.test> delivered\n") != NULL,
	    "show: the route of the pending recipient only");
	free(out);

	memset(qs, 0, sizeof(qs));
	qs[0].name = "held.test";
	qs[0].msgs = qs[0].rcpts = qs[0].held = 1;
	qs[0].oldest = 1000;
	qs[1].name = "run\x7f";
	qs[1].msgs = 2;
	qs[1].rcpts = 3;
	qs[1].oldest = 1000;
	qs[1].next = 900;
	qs[1].running = true;
	control_queues(b, qs, 2, 1060, false);
	out = drain(b);
	ok(strstr(out, "held.test") != NULL && strstr(out, " held\n") !=
	    NULL, "queues: a queue with every message held says held");
	ok(strstr(out, "run?") != NULL && strstr(out, "running\n") != NULL,
	    "queues: running, and the name cleaned");
	free(out);

	control_counters(b, false, "listener", &c, 1, keys, 2);
	out = drain(b);
	is_str(out, "listener.in?.received: 7\nlistener.in?.current: 2\n",
	    "counters: text");
	free(out);

	envelope_free(env);
	evbuffer_free(b);
	config_unref(cfg);
}

static void
test_select(void)
{
	struct control_selector	 sel;
	struct control_req	 r;
	struct envelope		*env = make_env();
	struct config		*cfg;
	char			 err[256];

	if ((cfg = config_load_string(conf, "t.conf", err, sizeof(err))) ==
	    NULL)
		return;
	control_parse("hold --queue Y.TEST", 19, &r, err, sizeof(err));
	is_int(control_select_parse(&r, &sel, err, sizeof(err)), 0,
	    "select: --queue");
	ok(control_selected(cfg, &sel, env), "select: queue matches "
	    "without regard to case");
	control_parse("hold --recipient r2@y.test", 26, &r, err, sizeof(err));
	control_select_parse(&r, &sel, err, sizeof(err));
	ok(!control_selected(cfg, &sel, env),
	    "select: a delivered recipient does not select");
	control_parse("remove 00000000000000ab", 23, &r, err, sizeof(err));
	control_select_parse(&r, &sel, err, sizeof(err));
	ok(control_selected(cfg, &sel, env), "select: the id, upper-cased");
	control_parse("remove --all --queue q", 22, &r, err, sizeof(err));
	is_int(control_select_parse(&r, &sel, err, sizeof(err)), -1,
	    "select: --all with another selector refused");
	control_parse("hold --sender", 13, &r, err, sizeof(err));
	is_int(control_select_parse(&r, &sel, err, sizeof(err)), -1,
	    "select: --sender without a value refused");
	envelope_free(env);
	config_unref(cfg);
}

int
main(void)
{
	test_json();
	test_parse();
	test_format();
	test_select();
	return done_testing();
}
