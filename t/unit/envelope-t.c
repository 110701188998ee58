/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * envelope-t.c — the envelope text form: a full round trip, sanitising of
 * free text, and rejection of every kind of damaged input.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "util.h"
#include "../tap.h"

static struct envelope *
full_envelope(void)
{
	struct envelope	*env = envelope_new();

	strlcpy_(env->id, "0123456789ABCDEF", sizeof(env->id));
	env->sender = xstrdup("\"john q. public\"@example.org");
	env->listener = xstrdup("submission");
	env->helo = xstrdup("client.example.org");
	env->client = xstrdup("2001:db8::1");
	env->auth_user = xstrdup("jöhn");
	env->created = 1700000000;
	env->attempts = 3;
	env->next_attempt = 1700003600;
	env->last_error = xstrdup("451 4.3.0\tTry\r\nagain");
	env->size = 123456789012ULL;
	env->smtputf8 = true;
	env->body8bit = true;
	env->warned = true;
	env->held = true;
	envelope_add_rcpt(env, "\"a b  c\"@example.com");
	envelope_add_rcpt(env, "użytkownik@przykład.pl");
	envelope_add_rcpt(env, "done@example.net");
	env->rcpts[1].state = RCPT_FAILED;
	env->rcpts[1].status = xstrdup("550-5.1.1 No such\r\n550 5.1.1\tuser");
	env->rcpts[1].remote = xstrdup("mx.przykład.pl");
	env->rcpts[2].state = RCPT_DELIVERED;
	env->rcpts[2].status = xstrdup("250 2.0.0 Ok");
	return env;
}

static int
count_lines(const char *s)
{
	int	n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void
test_round_trip(void)
{
	struct envelope	*env = full_envelope(), *back, *dup;
	const char	*err = "unset";
	char		*text, *text2;
	size_t		 len, len2;

	text = envelope_to_text(env, &len);
	ok(text != NULL && strlen(text) == len, "text length");
	ok(strncmp(text, "smarthostd-envelope 1\n", 22) == 0, "version line");
	ok(strstr(text, "\r") == NULL, "no CR in text");
	/* 13 fields + warned + held + 3 rcpts + version + end */
	is_int(count_lines(text), 20, "one line per field (13 + warned + held)");

	back = envelope_from_text(text, len, &err);
	ok(back != NULL, "parses its own output");
	ok(err == NULL, "no error");
	if (back == NULL) {
		free(text);
		envelope_free(env);
		return;
	}
	is_str(back->id, "0123456789ABCDEF", "id");
	is_str(back->sender, "\"john q. public\"@example.org", "quoted sender");
	is_str(back->listener, "submission", "listener");
	is_str(back->helo, "client.example.org", "helo");
	is_str(back->client, "2001:db8::1", "client");
	is_str(back->auth_user, "jöhn", "UTF-8 auth user");
	is_int(back->created, 1700000000, "created");
	is_int(back->attempts, 3, "attempts");
	is_int(back->next_attempt, 1700003600, "next_attempt");
	is_str(back->last_error, "451 4.3.0 Try  again",
	    "last_error sanitised");
	ok(back->size == 123456789012ULL, "64-bit size");
	ok(back->smtputf8 && back->body8bit, "booleans");
	ok(back->warned, "warned (delay warning sent) round trip");
	ok(back->held, "held survives the round trip");
	is_int(back->n_rcpts, 3, "three recipients");
	is_str(back->rcpts[0].addr, "\"a b  c\"@example.com",
	    "quoted local part with spaces");
	is_int(back->rcpts[0].state, RCPT_PENDING, "pending");
	ok(back->rcpts[0].status == NULL && back->rcpts[0].remote == NULL,
	    "empty status and remote are NULL");
	is_str(back->rcpts[1].addr, "użytkownik@przykład.pl", "UTF-8 address");
	is_int(back->rcpts[1].state, RCPT_FAILED, "failed");
	is_str(back->rcpts[1].status, "550-5.1.1 No such  550 5.1.1 user",
	    "reply with tab/CR/LF sanitised");
	is_str(back->rcpts[1].remote, "mx.przykład.pl", "remote");
	is_int(back->rcpts[2].state, RCPT_DELIVERED, "delivered");
	is_int(envelope_pending(back), 1, "one pending");

	/* A second pass is a fixed point. */
	text2 = envelope_to_text(back, &len2);
	ok(len2 == len && memcmp(text, text2, len) == 0, "stable text");
	free(text2);

	dup = envelope_dup(back);
	ok(dup->sender != back->sender && dup->rcpts != back->rcpts,
	    "dup is deep");
	text2 = envelope_to_text(dup, &len2);
	ok(len2 == len && memcmp(text, text2, len) == 0, "dup is equal");
	free(text2);
	envelope_free(dup);
	envelope_free(back);
	free(text);
	envelope_free(env);
}

static void
test_minimal(void)
{
	struct envelope	*env = envelope_new(), *back;
	const char	*err;
	char		*text;
	size_t		 len;

	strlcpy_(env->id, "ABC", sizeof(env->id));
	env->sender = xstrdup("");
	envelope_add_rcpt(env, "postmaster");
	text = envelope_to_text(env, &len);
	ok(strstr(text, "\nsender \n") != NULL, "null sender written empty");
	ok(strstr(text, "helo") == NULL, "NULL helo omitted");
	ok(strstr(text, "held") == NULL, "held omitted unless held");
	back = envelope_from_text(text, len, &err);
	ok(back != NULL, "minimal parses");
	if (back != NULL) {
		is_str(back->sender, "", "null sender round trip");
		ok(back->helo == NULL && back->client == NULL &&
		    back->auth_user == NULL && back->last_error == NULL &&
		    back->listener == NULL, "NULLs stay NULL");
		ok(!back->smtputf8 && !back->body8bit, "false booleans");
		ok(!back->warned, "not warned");
		ok(strstr(text, "warned") == NULL, "warned omitted when false");
		ok(!back->held, "not held when the line is absent");
	}
	envelope_free(back);
	free(text);
	envelope_free(env);

	/* A NULL sender in memory is written as the null sender. */
	env = envelope_new();
	strlcpy_(env->id, "AB", sizeof(env->id));
	envelope_add_rcpt(env, "x@y");
	text = envelope_to_text(env, &len);
	back = envelope_from_text(text, len, &err);
	ok(back != NULL && strcmp(back->sender, "") == 0,
	    "NULL sender becomes empty");
	envelope_free(back);
	free(text);
	envelope_free(env);
}

#define HEAD	"smarthostd-envelope 1\nid 00AA\ncreated 5\nsender a@b\n" \
		"size 10\n"
#define RCPT	"rcpt pending\tx@y\t\t\n"

static void
bad(const char *text, size_t len, const char *want, const char *name)
{
	struct envelope	*env;
	const char	*err = NULL;

	env = envelope_from_text(text, len, &err);
	ok(env == NULL, name);
	if (want != NULL)
		is_str(err, want, name);
	else
		ok(err != NULL, name);
	envelope_free(env);
}

#define BAD(s, want, name)	bad((s), sizeof(s) - 1, (want), (name))

static void
test_malformed(void)
{
	const char	 good[] = HEAD RCPT "end\n";
	struct envelope	*env;
	const char	*err;
	size_t		 i;
	int		 rejected = 0;

	env = envelope_from_text(good, sizeof(good) - 1, &err);
	ok(env != NULL, "the base of the bad cases is good");
	envelope_free(env);

	BAD("", "empty envelope", "empty");
	BAD("garbage\n", "not an envelope", "no version line");
	BAD("smarthostd-envelope 2\nid 00AA\nend\n",
	    "unsupported envelope version", "future version");
	BAD(HEAD RCPT, "truncated envelope (no end line)", "no end line");
	BAD(HEAD "rcpt pend", "truncated envelope (no final newline)",
	    "cut mid-line");
	BAD("smarthostd-envelope 1\ncreated 5\nsender a@b\nsize 1\n" RCPT
	    "end\n", "missing id", "missing id");
	BAD("smarthostd-envelope 1\nid 00AA\nsender a@b\nsize 1\n" RCPT
	    "end\n", "missing created", "missing created");
	BAD("smarthostd-envelope 1\nid 00AA\ncreated 1\nsize 1\n" RCPT
	    "end\n", "missing sender", "missing sender");
	BAD(HEAD "end\n", "no recipients", "no recipients");
	BAD(HEAD "attempts -1\n" RCPT "end\n", "bad attempts", "negative");
	BAD(HEAD "attempts 99999999999\n" RCPT "end\n", "bad attempts",
	    "attempts overflow");
	BAD("smarthostd-envelope 1\nid 00AA\ncreated 5\nsender a@b\n"
	    "size 18446744073709551616\n" RCPT "end\n", "bad size",
	    "size overflow");
	BAD("smarthostd-envelope 1\nid 00AA\ncreated 5x\nsender a@b\n"
	    "size 1\n" RCPT "end\n", "bad created time", "trailing junk");
	BAD("smarthostd-envelope 1\nid 00AA\ncreated  5\nsender a@b\n"
	    "size 1\n" RCPT "end\n", "bad created time", "extra blank");
	BAD(HEAD "next_attempt \n" RCPT "end\n", "bad next_attempt time",
	    "empty number");
	BAD(HEAD "colour blue\n" RCPT "end\n", "unknown key", "unknown key");
	BAD(HEAD "size 11\n" RCPT "end\n", "duplicate key", "duplicate");
	BAD("smarthostd-envelope 1\nid ../etc\ncreated 5\nsender a@b\n"
	    "size 1\n" RCPT "end\n", "bad id", "id with a path");
	BAD("smarthostd-envelope 1\nid 0123456789ABCDEF0123456789\n"
	    "created 5\nsender a@b\nsize 1\n" RCPT "end\n", "bad id",
	    "id too long");
	BAD(HEAD "rcpt pending\tx@y\t\n" "end\n",
	    "recipient line with too few fields", "rcpt too few fields");
	BAD(HEAD "rcpt pending\tx@y\t\t\t\n" "end\n",
	    "recipient line with a wrong number of fields",
	    "rcpt five fields");
	BAD(HEAD "rcpt pending\tx@y\t\t\tNEVER\t\tdelivered\t\n" "end\n",
	    "recipient line with a wrong number of fields",
	    "rcpt eight fields");
	BAD(HEAD "rcpt pending\tx@y\t\t\tNEVER,SUCCESS\t\tdelivered\n"
	    "end\n", "bad recipient NOTIFY", "NEVER with SUCCESS");
	BAD(HEAD "rcpt pending\tx@y\t\t\tSOMETIMES\t\tdelivered\n" "end\n",
	    "bad recipient NOTIFY", "unknown NOTIFY");
	BAD(HEAD "rcpt pending\tx@y\t\t\t\trfc822;a b\tdelivered\n"
	    "end\n", "bad recipient ORCPT", "ORCPT with a blank");
	BAD(HEAD "rcpt pending\tx@y\t\t\t\trfc822;+41\tdelivered\n"
	    "end\n", "bad recipient ORCPT", "ORCPT not canonical");
	BAD(HEAD "rcpt pending\tx@y\t\t\t\trfc822\tdelivered\n"
	    "end\n", "bad recipient ORCPT", "ORCPT without type");
	BAD(HEAD "rcpt pending\tx@y\t\t\tNEVER\t\tlost\n" "end\n",
	    "unknown recipient DSN outcome", "unknown outcome");
	BAD(HEAD "ret SOME\n" RCPT "end\n", "bad ret", "bad ret");
	BAD(HEAD "envid a b\n" RCPT "end\n", "bad envid", "envid blank");
	BAD(HEAD "envid a+0d\n" RCPT "end\n", "bad envid",
	    "envid lower-case hex");
	BAD(HEAD "envid \n" RCPT "end\n", "bad envid", "empty envid");
	BAD(HEAD "rcpt lost\tx@y\t\t\n" "end\n", "unknown recipient state",
	    "rcpt bad state");
	BAD(HEAD "rcpt pending\t\t\t\n" "end\n", "empty recipient address",
	    "rcpt empty address");
	BAD(HEAD "rcpt pending\tx@y\t\tsome\rthing\n" "end\n",
	    "control character in recipient line", "CR in rcpt");
	BAD(HEAD "helo a\rb\n" RCPT "end\n", "control character in value",
	    "CR in value (CRLF file)");
	BAD(HEAD "smtputf8 yes\n" RCPT "end\n", "bad boolean", "bad boolean");
	BAD(HEAD "held 2\n" RCPT "end\n", "bad boolean", "held 2: bad boolean");
	BAD(HEAD "held 1\nheld 1\n" RCPT "end\n", "duplicate key",
	    "held twice");
	BAD(HEAD RCPT "end\nrcpt pending\tz@y\t\t\n", "data after end line",
	    "data after end");
	BAD(HEAD "helo\n" RCPT "end\n", "line without value", "bare key");
	BAD(HEAD "\n" RCPT "end\n", "line without value", "blank line");
	BAD("smarthostd-envelope 1\nid 00AA\0\n", "NUL byte in envelope",
	    "NUL byte");
	bad(NULL, 0, "empty envelope", "NULL text");

	/* Every truncation of a good envelope is rejected. */
	for (i = 0; i < sizeof(good) - 1; i++) {
		env = envelope_from_text(good, i, &err);
		if (env == NULL && err != NULL)
			rejected++;
		envelope_free(env);
	}
	is_int(rejected, sizeof(good) - 1, "every prefix rejected");

	/* Single-byte damage never crashes (ASan watches) and never yields
	 * an envelope with a damaged id. */
	{
		char	 buf[sizeof(good)];
		int	 c, bad_id = 0;

		for (i = 0; i < sizeof(good) - 1; i++) {
			for (c = 0; c < 256; c += 7) {
				memcpy(buf, good, sizeof(good));
				buf[i] = (char)c;
				env = envelope_from_text(buf,
				    sizeof(good) - 1, &err);
				if (env != NULL &&
				    strcmp(env->id, "00AA") != 0 &&
				    strspn(env->id, "0123456789ABCDEF") !=
				    strlen(env->id))
					bad_id++;
				envelope_free(env);
			}
		}
		is_int(bad_id, 0, "mutations never yield a malformed id");
	}
}

/* DSN fields: a round trip, their absence, and what cannot get in. */
static void
test_dsn(void)
{
	struct envelope	*env = envelope_new(), *back, *dup;
	const char	*err = NULL;
	char		*text, id[] = "AB12";
	size_t		 len;

	strlcpy_(env->id, id, sizeof(env->id));
	env->sender = xstrdup("a@b");
	env->ret = DSN_RET_HDRS;
	env->envid = xstrdup("QQ+2B3+0D+0Aend+20x");
	envelope_add_rcpt(env, "plain@y");
	envelope_add_rcpt(env, "n@y");
	env->rcpts[1].notify = DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY;
	env->rcpts[1].orcpt = xstrdup("rfc822;o+2Bx@y");
	env->rcpts[1].state = RCPT_DELIVERED;
	env->rcpts[1].done = DSN_DONE_RELAYED;
	envelope_add_rcpt(env, "never@y");
	env->rcpts[2].notify = DSN_NOTIFY_NEVER;
	text = envelope_to_text(env, &len);
	ok(strstr(text, "\nret HDRS\nenvid QQ+2B3+0D+0Aend+20x\n") != NULL,
	    "ret and envid lines (xtext, no CR/LF)");
	ok(strstr(text, "\nrcpt pending\tplain@y\t\t\n") != NULL,
	    "a recipient without DSN: the old four fields");
	ok(strstr(text, "\nrcpt delivered\tn@y\t\t\tSUCCESS,DELAY\t"
	    "rfc822;o+2Bx@y\trelayed\n") != NULL, "a recipient with DSN");
	ok(strstr(text, "\tNEVER\t\tdelivered\n") != NULL, "NEVER, no ORCPT");
	back = envelope_from_text(text, len, &err);
	ok(back != NULL, "DSN envelope parses");
	if (back != NULL) {
		is_int(back->ret, DSN_RET_HDRS, "ret round trip");
		is_str(back->envid, "QQ+2B3+0D+0Aend+20x", "envid round trip");
		is_int(back->rcpts[0].notify, 0, "no NOTIFY");
		ok(back->rcpts[0].orcpt == NULL, "no ORCPT");
		is_int(back->rcpts[1].notify,
		    DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY, "NOTIFY round trip");
		is_str(back->rcpts[1].orcpt, "rfc822;o+2Bx@y",
		    "ORCPT round trip");
		is_int(back->rcpts[1].done, DSN_DONE_RELAYED,
		    "outcome round trip");
		is_int(back->rcpts[2].notify, DSN_NOTIFY_NEVER, "NEVER");
		dup = envelope_dup(back);
		ok(dup->envid != back->envid &&
		    dup->rcpts[1].orcpt != back->rcpts[1].orcpt &&
		    dup->rcpts[1].notify == back->rcpts[1].notify,
		    "dup copies the DSN fields");
		envelope_free(dup);
	}
	envelope_free(back);
	free(text);
	envelope_free(env);

	/* An envelope written before DSN (no ret/envid, four-field rcpt
	 * lines) still loads. */
	{
		static const char old[] = "smarthostd-envelope 1\nid 00AA\n"
		    "created 5\nsender a@b\nlistener local\nattempts 1\n"
		    "next_attempt 0\nsize 10\nsmtputf8 0\nbody8bit 0\n"
		    "rcpt pending\tx@y\t\t\nrcpt failed\tz@y\tmx\t550 no\n"
		    "end\n";

		back = envelope_from_text(old, sizeof(old) - 1, &err);
		ok(back != NULL && back->ret == DSN_RET_UNSPEC &&
		    back->envid == NULL && back->rcpts[1].notify == 0 &&
		    back->rcpts[1].orcpt == NULL, "a pre-DSN envelope loads");
		envelope_free(back);
	}
}

/* The packed form: one allocation, the same text, a plain copy back. */
static void
test_pack(void)
{
	struct envelope	*env = full_envelope(), *p, *dup, *none;
	char		*text, *text2;
	size_t		 len, len2;
	char		*lo, *hi;

	env->envid = xstrdup("QQ+2B314159");
	env->rcpts[0].orcpt = xstrdup("rfc822;a+2Bb@example.com");
	env->rcpts[0].notify = 3;
	env->one_file = true;
	text = envelope_to_text(env, &len);
	p = envelope_pack(env);
	ok(p->packed && !env->packed, "packed, the original not");
	text2 = envelope_to_text(p, &len2);
	ok(len2 == len && memcmp(text, text2, len) == 0,
	    "packed: the same text");
	free(text2);
	ok(p->one_file && p->n_rcpts == 3 && p->rcpts[2].status != NULL &&
	    p->rcpts[0].status == NULL && p->rcpts[0].notify == 3 &&
	    p->helo != env->helo, "packed: flags, recipients and NULLs kept; "
	    "strings copied");
	/* Every string and the recipients lie inside the one block. */
	lo = (char *)p;
	hi = lo + sizeof(*p) + 3 * sizeof(*p->rcpts) + len;
	ok((char *)p->rcpts == lo + sizeof(*p) && p->sender > lo &&
	    p->sender < hi && p->envid > lo && p->envid < hi &&
	    p->rcpts[1].remote > lo && p->rcpts[1].remote < hi &&
	    p->rcpts[0].orcpt > lo && p->rcpts[0].orcpt < hi,
	    "packed: recipients after the struct, strings inside the block");
	dup = envelope_dup(p);
	ok(!dup->packed && dup->sender != p->sender && dup->rcpts != p->rcpts,
	    "a copy of a packed envelope is a plain one");
	text2 = envelope_to_text(dup, &len2);
	ok(len2 == len && memcmp(text, text2, len) == 0, "and says the same");
	free(text2);
	/* A plain copy can be changed as any envelope. */
	free(dup->rcpts[0].status);
	dup->rcpts[0].status = xstrdup("451 4.4.1 later");
	envelope_free(dup);
	envelope_free(p);	/* one free(): ASan's leak check says if not */
	free(text);
	envelope_free(env);

	none = envelope_new();
	strlcpy_(none->id, "ABCDEF", sizeof(none->id));
	none->sender = xstrdup("");
	p = envelope_pack(none);
	ok(p->packed && p->n_rcpts == 0 && p->rcpts == NULL &&
	    p->sender != NULL && p->sender[0] == '\0' && p->helo == NULL &&
	    strcmp(p->id, "ABCDEF") == 0, "packed: no recipients, null sender");
	envelope_free(p);
	envelope_free(none);
}

int
main(void)
{
	test_dsn();
	test_pack();
	test_round_trip();
	test_minimal();
	test_malformed();
	return done_testing();
}
