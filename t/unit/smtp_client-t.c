/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_client-t.c — unit tests for smtp_client.c's pure helpers: reply
 * lines, EHLO keywords, dot-stuffing and the completing line end.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_client.h"
#include "../tap.h"

static void
test_reply_line(void)
{
	int	code = 0;
	bool	more = true;

	is_int(smtp_reply_line("250 ok", 6, &code, &more), 0, "250 ok parses");
	is_int(code, 250, "code 250");
	ok(!more, "last line");
	is_int(smtp_reply_line("250-PIPELINING", 14, &code, &more), 0, "continuation parses");
	ok(more, "continuation flagged");
	is_int(smtp_reply_line("354", 3, &code, &more), 0, "bare code parses");
	is_int(code, 354, "code 354");
	ok(!more, "bare code is last");
	is_int(smtp_reply_line("25", 2, &code, &more), -1, "short line refused");
	is_int(smtp_reply_line("25x ok", 6, &code, &more), -1, "non-digit refused");
	is_int(smtp_reply_line("650 ok", 6, &code, &more), -1, "6xx refused");
	is_int(smtp_reply_line("150 ok", 6, &code, &more), -1, "1xx refused");
	is_int(smtp_reply_line("250:ok", 6, &code, &more), -1, "bad separator refused");
}

static void
test_caps(void)
{
	struct smtp_caps	c;

	memset(&c, 0, sizeof(c));
	smtp_caps_line(&c, "PIPELINING");
	smtp_caps_line(&c, "size 1048576");
	smtp_caps_line(&c, "8BITMIME");
	smtp_caps_line(&c, "SMTPUTF8");
	smtp_caps_line(&c, "STARTTLS");
	smtp_caps_line(&c, "AUTH  CRAM-MD5 login PLAIN");
	smtp_caps_line(&c, "PIPELININGX");
	smtp_caps_line(&c, "DSNX");
	is_int(c.ext, SMTPC_EXT_PIPELINING | SMTPC_EXT_SIZE | SMTPC_EXT_8BITMIME |
	    SMTPC_EXT_SMTPUTF8 | SMTPC_EXT_STARTTLS | SMTPC_EXT_AUTH, "all extensions seen");
	smtp_caps_line(&c, "dsn");
	ok(c.ext & SMTPC_EXT_DSN, "DSN (any case)");
	is_int(c.size, 1048576, "SIZE value");
	is_int(c.auth, SMTPC_AUTH_PLAIN | SMTPC_AUTH_LOGIN, "AUTH mechanisms");
	memset(&c, 0, sizeof(c));
	smtp_caps_line(&c, "AUTH=PLAIN");
	is_int(c.auth, SMTPC_AUTH_PLAIN, "old AUTH= form");
	smtp_caps_line(&c, "SIZE");
	ok((c.ext & SMTPC_EXT_SIZE) && c.size == 0, "SIZE without a value");
	smtp_caps_line(&c, "SIZE 99999999999999999999999");
	is_int(c.size, 0, "SIZE overflow ignored");
	smtp_caps_line(&c, "SIZE 12abc");
	is_int(c.size, 0, "SIZE junk ignored");
	smtp_caps_line(&c, "");
	is_int(c.ext, SMTPC_EXT_AUTH | SMTPC_EXT_SIZE, "empty keyword ignored");
	memset(&c, 0, sizeof(c));
	smtp_caps_line(&c, "CHUNKINGX");
	smtp_caps_line(&c, "CHUNK");
	smtp_caps_line(&c, "BINARYMIME");
	is_int(c.ext, 0, "CHUNKINGX, CHUNK, BINARYMIME are not CHUNKING");
	smtp_caps_line(&c, "chunking");
	is_int(c.ext, SMTPC_EXT_CHUNKING, "chunking (any case) is CHUNKING");
}

static void
stuff(const char *const *chunks, const char *want, const char *name)
{
	char	out[256];
	size_t	n = 0;
	bool	bol = true;

	for (; *chunks != NULL; chunks++)
		n += smtp_dot_stuff(*chunks, strlen(*chunks), out + n, &bol);
	out[n] = '\0';
	is_str(out, want, name);
}

static void
test_dot_stuff(void)
{
	stuff((const char *[]){ ".a\r\nb\r\n.\r\n", NULL }, "..a\r\nb\r\n..\r\n", "leading dots doubled");
	stuff((const char *[]){ "a.b\r\n", NULL }, "a.b\r\n", "inner dot kept");
	stuff((const char *[]){ "ab\r\n", ".c\r\n", NULL }, "ab\r\n..c\r\n", "dot at chunk start after a line end");
	stuff((const char *[]){ "ab", ".c\r\n", NULL }, "ab.c\r\n", "dot at chunk start mid-line kept");
	stuff((const char *[]){ "ab\r", "\n.", "x\r\n", NULL }, "ab\r\n..x\r\n", "CR and LF split across chunks");
	stuff((const char *[]){ "...\r\n", NULL }, "....\r\n", "only one dot added");
	stuff((const char *[]){ "", NULL }, "", "empty");
}

static void
test_line_end_tail(void)
{
	is_str(smtp_line_end_tail(-1), "", "empty message: nothing added");
	is_str(smtp_line_end_tail('\n'), "", "after LF: nothing added");
	is_str(smtp_line_end_tail('\r'), "\n", "after a CR: LF");
	is_str(smtp_line_end_tail('x'), "\r\n", "mid-line: CRLF");
	is_str(smtp_line_end_tail(0), "\r\n", "after NUL: CRLF");
	is_str(smtp_line_end_tail(0xff), "\r\n", "after an 8-bit octet: CRLF");
	is_str(smtp_line_end_tail('.'), "\r\n", "after a dot: CRLF");
}

int
main(void)
{
	test_reply_line();
	test_caps();
	test_dot_stuff();
	test_line_end_tail();
	return done_testing();
}
