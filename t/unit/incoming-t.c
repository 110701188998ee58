/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming-t.c — the pure half of incoming.c: the envelope header of an
 * incoming/ file (written, read back, refused when wrong) and the
 * line-end normaliser, fed whole and one octet at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incoming.h"
#include "../tap.h"
#include "util.h"

static int
parse(const char *text, struct incoming_env *e, const char **err)
{
	return incoming_env_parse(text, strlen(text), e, err);
}

/* Refused, with this reason. */
static void
refused(const char *text, const char *why, const char *name)
{
	struct incoming_env	 e;
	const char		*err = NULL;
	int			 r;

	r = parse(text, &e, &err);
	is_int(r, -1, name);
	is_str(err ? err : "(none)", why, name);
	ok(e.sender == NULL && e.n_rcpts == 0, name);
}

/* Normalise in, either at once or an octet at a time. */
static char *
norm(const char *in, int bytewise)
{
	struct crlf	 c;
	size_t		 len = strlen(in), o = 0, i;
	char		*out = xmalloc(2 * len + 4);

	crlf_init(&c);
	if (bytewise)
		for (i = 0; i < len; i++)
			o += crlf_feed(&c, in + i, 1, out + o);
	else
		o = crlf_feed(&c, in, len, out);
	o += crlf_finish(&c, out + o);
	out[o] = '\0';
	return out;
}

static void
crlf_case(const char *in, const char *want, const char *name)
{
	char	*a = norm(in, 0), *b = norm(in, 1);

	is_str(a, want, name);
	is_str(b, want, name);
	free(a);
	free(b);
}

int
main(void)
{
	struct incoming_env	 e, back;
	const char		*err;
	char			*text, *rcpts[] = { "a@b.test", "\"x y\"@c.test" };
	size_t			 len;
	char			 big[64];
	int			 i;

	/* Round trip. */
	memset(&e, 0, sizeof(e));
	e.sender = "s@src.test";
	e.rcpts = rcpts;
	e.n_rcpts = 2;
	text = incoming_env_to_text(&e, &len);
	is_str(text, "smarthostd-incoming 1\nsender s@src.test\n"
	    "rcpt a@b.test\nrcpt \"x y\"@c.test\n\n", "to_text");
	is_int((int)len, (int)strlen(text), "to_text length");
	is_int(incoming_env_parse(text, len, &back, &err), 0, "parses back");
	is_str(back.sender, "s@src.test", "sender back");
	is_int(back.n_rcpts, 2, "two recipients back");
	if (back.n_rcpts == 2) {
		is_str(back.rcpts[0], "a@b.test", "rcpt 1");
		is_str(back.rcpts[1], "\"x y\"@c.test", "rcpt 2 (quoted)");
	}
	incoming_env_clear(&back);
	free(text);

	/* DSN lines (smarthost-sendmail -R, -V, -N), only when given. */
	e.ret = DSN_RET_HDRS;
	e.envid = "QQ+2B1";
	e.notify = DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE;
	text = incoming_env_to_text(&e, &len);
	is_str(text, "smarthostd-incoming 1\nsender s@src.test\n"
	    "rcpt a@b.test\nrcpt \"x y\"@c.test\nret HDRS\nenvid QQ+2B1\n"
	    "notify SUCCESS,FAILURE\n\n", "to_text with DSN");
	is_int((int)len, (int)strlen(text), "  length");
	is_int(incoming_env_parse(text, len, &back, &err), 0, "  parses back");
	is_int(back.ret, DSN_RET_HDRS, "  ret");
	is_str(back.envid, "QQ+2B1", "  envid");
	is_int(back.notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE,
	    "  notify");
	incoming_env_clear(&back);
	free(text);
	e.ret = DSN_RET_UNSPEC;
	e.envid = NULL;
	e.notify = 0;
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n"
	    "ret FULL\nret HDRS\n\n", "ret given twice", "two rets");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n"
	    "ret ALL\n\n", "bad ret", "bad ret");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n"
	    "envid a b\n\n", "bad envid", "envid with a blank");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n"
	    "envid a\renvid b\n\n", "bad envid", "envid with a CR");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n"
	    "envid a\nenvid b\n\n", "envid given twice", "two envids");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n"
	    "notify NEVER,DELAY\n\n", "bad notify", "NEVER with DELAY");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n"
	    "notify NEVER\nnotify NEVER\n\n", "notify given twice",
	    "two notifys");

	/* The null sender, both ways. */
	e.sender = "";
	e.n_rcpts = 1;
	text = incoming_env_to_text(&e, &len);
	is_int(incoming_env_parse(text, len, &back, &err), 0, "null sender");
	is_str(back.sender ? back.sender : "(null)", "", "null sender back");
	incoming_env_clear(&back);
	free(text);
	is_int(parse("smarthostd-incoming 1\nsender\nrcpt a@b.test\n\n", &back,
	    &err), 0, "\"sender\" alone");
	is_str(back.sender ? back.sender : "(null)", "", "is the null sender");
	incoming_env_clear(&back);

	/* Refusals. */
	refused("", "envelope header does not end with an empty line",
	    "empty");
	refused("smarthostd-incoming 2\nsender a@b.test\nrcpt c@d.test\n\n",
	    "not an incoming file (bad first line)", "other version");
	refused("smarthostd-incoming 1\nrcpt c@d.test\n\n", "no sender",
	    "no sender");
	refused("smarthostd-incoming 1\nsender a@b.test\n\n", "no recipient",
	    "no recipient");
	refused("smarthostd-incoming 1\nsender a@b.test\nsender a@b.test\n"
	    "rcpt c@d.test\n\n", "sender given twice", "two senders");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c\n\n",
	    "bad recipient address", "recipient without domain");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt <c@d.test>\n\n",
	    "bad recipient address", "recipient in brackets");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\r\n\n",
	    "bad recipient address", "CR in an address");
	refused("smarthostd-incoming 1\nsender a@@b.test\nrcpt c@d.test\n\n",
	    "bad sender address", "bad sender");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n"
	    "size 12\n\n", "unknown line in the envelope header",
	    "unknown key");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n\nx",
	    "envelope header does not end with an empty line",
	    "message octets in the header");
	refused("smarthostd-incoming 1\nsender a@b.test\nrcpt c@d.test\n\n\n",
	    "data after the envelope header", "two empty lines");
	is_int(incoming_env_parse("smarthostd-incoming 1\nsender a@b.test\n"
	    "rcpt c@d\0.test\n\n", 44, &back, &err), -1, "NUL refused");

	/* Too many recipients. */
	{
		size_t	 cap = 64 + (INCOMING_RCPT_MAX + 1) * 20, n;
		char	*t = xmalloc(cap);

		n = (size_t)sprintf(t, "smarthostd-incoming 1\nsender a@b.test\n");
		for (i = 0; i <= INCOMING_RCPT_MAX; i++)
			n += (size_t)sprintf(t + n, "rcpt r%d@d.test\n", i);
		t[n++] = '\n';
		is_int(incoming_env_parse(t, n, &back, &err), -1,
		    "one recipient too many");
		is_str(err ? err : "", "too many recipients", "says so");
		free(t);
	}
	/* An address longer than SMTP allows. */
	memset(big, 'a', 63);
	big[63] = '\0';
	text = xasprintf("smarthostd-incoming 1\nsender a@b.test\nrcpt x@%s.%s."
	    "%s.%s.%s\n\n", big, big, big, big, big);
	is_int(parse(text, &back, &err), -1, "an address over 256 octets");
	free(text);

	/* Line ends. */
	crlf_case("", "", "empty stays empty");
	crlf_case("a\r\nb\r\n", "a\r\nb\r\n", "CRLF kept");
	crlf_case("a\nb\n", "a\r\nb\r\n", "LF to CRLF");
	crlf_case("a\rb\r", "a\r\nb\r\n", "bare CR to CRLF");
	crlf_case("a\r\rb", "a\r\n\r\nb\r\n", "CR CR: two line ends");
	crlf_case("a\n\r\nb", "a\r\n\r\nb\r\n", "LF CRLF");
	crlf_case("a\r\n\nb", "a\r\n\r\nb\r\n", "CRLF LF");
	crlf_case("last", "last\r\n", "an unterminated last line is ended");
	crlf_case("\n", "\r\n", "one LF");
	crlf_case("\r", "\r\n", "one CR");

	return done_testing();
}
