/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_parse-t.c — command lines, paths, mailboxes and MAIL parameters.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_parse.h"
#include "../tap.h"

/* Parse a line given as a C string (no CRLF). */
static int
parse(const char *line, struct smtp_cmd *cmd, const char **reply)
{
	*reply = NULL;
	return smtp_cmd_parse(line, strlen(line), cmd, reply);
}

/* A test name with control octets shown as \xNN, to keep TAP lines whole. */
static const char *
vis(const char *prefix, const char *s)
{
	static char	buf[2048];
	size_t		o;

	o = snprintf(buf, sizeof(buf), "%s \"", prefix);
	for (; *s != '\0' && o < sizeof(buf) - 8; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			o += snprintf(buf + o, sizeof(buf) - o, "\\x%02x",
			    (unsigned char)*s);
		else
			buf[o++] = *s;
	}
	snprintf(buf + o, sizeof(buf) - o, "\"");
	return buf;
}

/* The string field that a verb fills. */
static const char *
field(const struct smtp_cmd *cmd)
{
	switch (cmd->verb) {
	case CMD_EHLO:
	case CMD_HELO:
		return cmd->helo;
	case CMD_MAIL:
	case CMD_RCPT:
		return cmd->addr;
	default:
		return cmd->arg;
	}
}

static const struct {
	const char	*line;
	enum smtp_verb	 verb;
	const char	*field;
} good[] = {
	{ "EHLO mx.example.org", CMD_EHLO, "mx.example.org" },
	{ "ehlo mx.example.org", CMD_EHLO, "mx.example.org" },
	{ "eHlO [192.0.2.1]", CMD_EHLO, "[192.0.2.1]" },
	{ "EHLO [IPv6:2001:db8::1]", CMD_EHLO, "[IPv6:2001:db8::1]" },
	{ "EHLO localhost ", CMD_EHLO, "localhost" },
	{ "EHLO  two-spaces", CMD_EHLO, "two-spaces" },
	{ "EHLO under_score!", CMD_EHLO, "under_score!" },
	{ "HELO x", CMD_HELO, "x" },
	{ "MAIL FROM:<a@b.example>", CMD_MAIL, "a@b.example" },
	{ "mail from:<a@b.example>", CMD_MAIL, "a@b.example" },
	{ "MAIL FROM: <a@b.example>", CMD_MAIL, "a@b.example" },
	{ "MAIL FROM:   <a@b.example>", CMD_MAIL, "a@b.example" },
	{ "MAIL  FROM:<a@b.example>", CMD_MAIL, "a@b.example" },
	{ "MAIL FROM:<>", CMD_MAIL, "" },
	{ "MAIL FROM:<> SIZE=10", CMD_MAIL, "" },
	{ "MAIL FROM:<a@b> ", CMD_MAIL, "a@b" },
	{ "MAIL FROM:<@r1.example,@r2.example:u@d.example>", CMD_MAIL,
	    "u@d.example" },
	{ "MAIL FROM:<@r1.example:u@d.example>", CMD_MAIL, "u@d.example" },
	{ "MAIL FROM:<\"a b\"@d.example>", CMD_MAIL, "\"a b\"@d.example" },
	{ "MAIL FROM:<\"a>b@c\"@d.example>", CMD_MAIL, "\"a>b@c\"@d.example" },
	{ "MAIL FROM:<\"a\\\"b\"@d.example>", CMD_MAIL,
	    "\"a\\\"b\"@d.example" },
	{ "MAIL FROM:<u@[192.0.2.1]>", CMD_MAIL, "u@[192.0.2.1]" },
	{ "MAIL FROM:<u@[IPv6:::1]>", CMD_MAIL, "u@[IPv6:::1]" },
	{ "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc\x63her.example> SMTPUTF8",
	    CMD_MAIL, "j\xc3\xb6rg@b\xc3\xbc\x63her.example" },
	{ "MAIL FROM:<a@b> AUTH=<>", CMD_MAIL, "a@b" },
	{ "MAIL FROM:<a@b> AUTH=x+40y", CMD_MAIL, "a@b" },
	{ "MAIL FROM:<a@b>   SIZE=1   BODY=7BIT  ", CMD_MAIL, "a@b" },
	{ "RCPT TO:<x@y.example>", CMD_RCPT, "x@y.example" },
	{ "rcpt to: <x@y.example>", CMD_RCPT, "x@y.example" },
	{ "RCPT TO:<postmaster>", CMD_RCPT, "postmaster" },
	{ "RCPT TO:<PostMaster>", CMD_RCPT, "postmaster" },
	{ "RCPT TO:<postmaster@y.example>", CMD_RCPT, "postmaster@y.example" },
	{ "RCPT TO:<@a.example:x@y.example>", CMD_RCPT, "x@y.example" },
	{ "DATA", CMD_DATA, "" },
	{ "data", CMD_DATA, "" },
	{ "DATA ", CMD_DATA, "" },
	{ "RSET", CMD_RSET, "" },
	{ "QUIT", CMD_QUIT, "" },
	{ "STARTTLS", CMD_STARTTLS, "" },
	{ "StartTLS", CMD_STARTTLS, "" },
	{ "NOOP", CMD_NOOP, "" },
	{ "NOOP hello there", CMD_NOOP, "hello there" },
	{ "HELP", CMD_HELP, "" },
	{ "HELP MAIL", CMD_HELP, "MAIL" },
	{ "VRFY someone", CMD_VRFY, "someone" },
	{ "VRFY <a@b>", CMD_VRFY, "<a@b>" },
	{ "AUTH PLAIN", CMD_AUTH, "PLAIN" },
	{ "AUTH PLAIN AGFAAGI=", CMD_AUTH, "PLAIN AGFAAGI=" },
	{ "AUTH PLAIN   AGFAAGI=", CMD_AUTH, "PLAIN AGFAAGI=" },
	{ "auth login", CMD_AUTH, "login" },
	{ "AUTH PLAIN =", CMD_AUTH, "PLAIN =" },
	{ "NOOP a\tb", CMD_NOOP, "a\tb" },
};

static const struct {
	const char	*line;
	const char	*reply;
} bad[] = {
	{ "", "500 5.5.1 Command unrecognized" },
	{ " ", "500 5.5.1 Command unrecognized" },
	{ "FOO", "500 5.5.1 Command unrecognized" },
	{ "EHL", "500 5.5.1 Command unrecognized" },
	{ "EHLOX a", "500 5.5.1 Command unrecognized" },
	{ "DATAX", "500 5.5.1 Command unrecognized" },
	{ " DATA", "500 5.5.1 Command unrecognized" },
	{ "MAIL\tFROM:<a@b>", "500 5.5.1 Command unrecognized" },
	{ "ETRN x", "500 5.5.1 Command unrecognized" },
	{ "BURL imap://x LAST", "500 5.5.1 Command unrecognized" },
	{ "EHLO", "501 5.5.4 Syntax: EHLO hostname" },
	{ "EHLO ", "501 5.5.4 Syntax: EHLO hostname" },
	{ "EHLO a b", "501 5.5.4 Syntax: EHLO hostname" },
	{ "EHLO a\tb", "501 5.5.4 Syntax: EHLO hostname" },
	{ "EHLO caf\xc3\xa9", "501 5.5.4 Syntax: EHLO hostname" },
	{ "EHLO a\x7f", "501 5.5.4 Syntax: EHLO hostname" },
	{ "HELO", "501 5.5.4 Syntax: HELO hostname" },
	{ "MAIL", "501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL <a@b>", "501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL FROM", "501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL FROM :<a@b>", "501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL TO:<a@b>", "501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL FROM:   ", "501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL FROM:a@b", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a@b", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a@b>x", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a@b>>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<<a@b>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a@>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<@b>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a@@b>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a@b@c>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a b@c>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<\"a>b\"@c", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<\"ab@c>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<@r.example:>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<@r.example>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<@r.example,u@d>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<@-r:u@d>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<@[1.2.3.4]:u@d>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<r:u@d>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<@a,,@b:u@d>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<postmaster>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a@[1.2.3.999]>", "501 5.1.7 Bad sender address syntax" },
	{ "MAIL FROM:<a@b> SIZE", "501 5.5.4 Bad SIZE parameter" },
	{ "MAIL FROM:<a@b> SIZE=", "501 5.5.4 Bad SIZE parameter" },
	{ "MAIL FROM:<a@b> SIZE=-1", "501 5.5.4 Bad SIZE parameter" },
	{ "MAIL FROM:<a@b> SIZE=1k", "501 5.5.4 Bad SIZE parameter" },
	{ "MAIL FROM:<a@b> SIZE=+1", "501 5.5.4 Bad SIZE parameter" },
	{ "MAIL FROM:<a@b> SIZE=18446744073709551616",
	    "501 5.5.4 Bad SIZE parameter" },
	{ "MAIL FROM:<a@b> SIZE=99999999999999999999999",
	    "501 5.5.4 Bad SIZE parameter" },
	{ "MAIL FROM:<a@b> BODY", "501 5.5.4 Bad BODY parameter" },
	{ "MAIL FROM:<a@b> BODY=", "501 5.5.4 Bad BODY parameter" },
	{ "MAIL FROM:<a@b> BODY=BINARYMIME", "501 5.5.4 Bad BODY parameter" },
	{ "MAIL FROM:<a@b> BODY=8BIT", "501 5.5.4 Bad BODY parameter" },
	{ "MAIL FROM:<a@b> SMTPUTF8=yes", "501 5.5.4 Bad SMTPUTF8 parameter" },
	{ "MAIL FROM:<a@b> AUTH", "501 5.5.4 Bad AUTH parameter" },
	{ "MAIL FROM:<a@b> SIZE=1 SIZE=1", "501 5.5.4 Duplicate parameter" },
	{ "MAIL FROM:<a@b> BODY=7BIT body=7bit",
	    "501 5.5.4 Duplicate parameter" },
	{ "MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8", "501 5.5.4 Duplicate parameter" },
	{ "MAIL FROM:<a@b> NOTIFY=NEVER", "555 5.5.4 Unsupported parameter" },
	{ "MAIL FROM:<a@b> ORCPT=rfc822;a@b",
	    "555 5.5.4 Unsupported parameter" },
	{ "MAIL FROM:<a@b> X-FOO", "555 5.5.4 Unsupported parameter" },
	{ "MAIL FROM:<a@b> SIZE=1 FOO=bar", "555 5.5.4 Unsupported parameter" },
	{ "MAIL FROM:<a@b> SIZES=1", "555 5.5.4 Unsupported parameter" },
	{ "MAIL FROM:<a@b> =x", "501 5.5.4 Syntax error" },
	{ "MAIL FROM:<a@b> -x", "501 5.5.4 Syntax error" },
	{ "MAIL FROM:<a@b> S_IZE=1", "501 5.5.4 Syntax error" },
	{ "RCPT", "501 5.5.4 Syntax: RCPT TO:<address>" },
	{ "RCPT FROM:<a@b>", "501 5.5.4 Syntax: RCPT TO:<address>" },
	{ "RCPT TO", "501 5.5.4 Syntax: RCPT TO:<address>" },
	{ "RCPT TO:", "501 5.5.4 Syntax: RCPT TO:<address>" },
	{ "RCPT TO:<>", "501 5.1.3 Bad recipient address syntax" },
	{ "RCPT TO:x@y", "501 5.1.3 Bad recipient address syntax" },
	{ "RCPT TO:<x>", "501 5.1.3 Bad recipient address syntax" },
	{ "RCPT TO:<postmaster>x", "501 5.1.3 Bad recipient address syntax" },
	{ "RCPT TO:<postmasterx>", "501 5.1.3 Bad recipient address syntax" },
	{ "RCPT TO:<x@y..z>", "501 5.1.3 Bad recipient address syntax" },
	{ "RCPT TO:<x@y> RET=FULL", "555 5.5.4 Unsupported parameter" },
	{ "RCPT TO:<x@y> ENVID=x", "555 5.5.4 Unsupported parameter" },
	{ "RCPT TO:<x@y> SIZE=1", "555 5.5.4 Unsupported parameter" },
	{ "DATA x", "501 5.5.4 Syntax error (no parameters allowed)" },
	{ "RSET now", "501 5.5.4 Syntax error (no parameters allowed)" },
	{ "QUIT please", "501 5.5.4 Syntax error (no parameters allowed)" },
	{ "STARTTLS x", "501 5.5.4 Syntax error (no parameters allowed)" },
	{ "VRFY", "501 5.5.4 Syntax: VRFY address" },
	{ "VRFY   ", "501 5.5.4 Syntax: VRFY address" },
	{ "AUTH", "501 5.5.4 Syntax: AUTH mechanism [initial-response]" },
	{ "AUTH ", "501 5.5.4 Syntax: AUTH mechanism [initial-response]" },
	{ "AUTH PLAIN a b",
	    "501 5.5.4 Syntax: AUTH mechanism [initial-response]" },
	{ "AUTH PLAIN\tx",
	    "501 5.5.4 Syntax: AUTH mechanism [initial-response]" },
	{ "NOOP\r", "501 5.5.4 Syntax error" },
	{ "NOOP a\nb", "501 5.5.4 Syntax error" },
	{ "QUIT\x1b", "501 5.5.4 Syntax error" },
	{ "\x01QUIT", "501 5.5.4 Syntax error" },
	{ "FOO \x7f", "500 5.5.1 Command unrecognized" },
};

static void
test_table(void)
{
	struct smtp_cmd	 cmd;
	const char	*reply;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		rc = parse(good[i].line, &cmd, &reply);
		is_int(rc, 0, vis("accept", good[i].line));
		if (rc != 0)
			printf("#   reply: %s\n", reply);
		is_int(cmd.verb, good[i].verb, "  verb");
		is_str(field(&cmd), good[i].field, "  field");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = parse(bad[i].line, &cmd, &reply);
		is_int(rc, -1, vis("refuse", bad[i].line));
		is_str(reply, bad[i].reply, "  reply");
		is_str(cmd.addr, "", "  no address left behind");
	}
}

static void
test_params(void)
{
	struct smtp_cmd	 cmd;
	const char	*reply;

	is_int(parse("MAIL FROM:<a@b>", &cmd, &reply), 0, "plain MAIL");
	ok(!cmd.has_size && cmd.size == 0, "no SIZE");
	is_int(cmd.body, BODY_UNSPEC, "no BODY");
	ok(!cmd.smtputf8, "no SMTPUTF8");

	is_int(parse("MAIL FROM:<a@b> SIZE=12345 BODY=8BITMIME SMTPUTF8",
	    &cmd, &reply), 0, "MAIL with three parameters");
	ok(cmd.has_size, "SIZE given");
	is_int(cmd.size, 12345, "SIZE value");
	is_int(cmd.body, BODY_8BITMIME, "BODY=8BITMIME");
	ok(cmd.smtputf8, "SMTPUTF8 given");

	is_int(parse("MAIL FROM:<a@b> size=0 body=7bit smtputf8",
	    &cmd, &reply), 0, "parameter keywords are case-insensitive");
	ok(cmd.has_size && cmd.size == 0, "SIZE=0 is given and zero");
	is_int(cmd.body, BODY_7BIT, "body=7bit");
	ok(cmd.smtputf8, "smtputf8");

	is_int(parse("MAIL FROM:<a@b> BODY=8bitMIME", &cmd, &reply), 0,
	    "BODY value is case-insensitive");
	is_int(cmd.body, BODY_8BITMIME, "  8BITMIME");

	is_int(parse("MAIL FROM:<a@b> SIZE=18446744073709551615", &cmd,
	    &reply), 0, "largest SIZE");
	ok(cmd.size == UINT64_MAX, "  is UINT64_MAX");
	is_int(parse("MAIL FROM:<a@b> SIZE=000000000000000000000000000042",
	    &cmd, &reply), 0, "SIZE with leading zeros");
	is_int(cmd.size, 42, "  is 42");

	/* A refused command leaves nothing half-parsed behind. */
	is_int(parse("MAIL FROM:<a@b> SIZE=5 FOO", &cmd, &reply), -1,
	    "unknown parameter after SIZE");
	ok(!cmd.has_size && cmd.size == 0, "  SIZE not left set");
	is_int(cmd.verb, CMD_MAIL, "  verb still known for logs");
}

static void
test_lengths(void)
{
	struct smtp_cmd	 cmd;
	const char	*reply;
	char		 line[2048], local[128], dom[300];
	size_t		 n;

	/* Path limit: 256 octets including the angle brackets. */
	memset(local, 'l', 64);
	local[64] = '\0';
	/* a 63-octet label repeated: "l64@" + domain to reach the limit */
	n = 256 - 2 - 65;	/* octets left for the domain */
	memset(dom, 'd', n);
	dom[n] = '\0';
	dom[60] = dom[121] = dom[182] = '.';
	snprintf(line, sizeof(line), "MAIL FROM:<%s@%s>", local, dom);
	is_int(parse(line, &cmd, &reply), 0, "path of exactly 256 octets");
	is_int(strlen(cmd.addr), 254, "  mailbox of 254 octets");
	snprintf(line, sizeof(line), "RCPT TO:<%s@%s>", local, dom);
	is_int(parse(line, &cmd, &reply), 0, "RCPT path of 256 octets");
	snprintf(line, sizeof(line), "MAIL FROM:<%s@%sx>", local, dom);
	is_int(parse(line, &cmd, &reply), -1, "path of 257 octets");
	is_str(reply, "501 5.1.7 Bad sender address syntax", "  sender 501");
	snprintf(line, sizeof(line), "RCPT TO:<%s@%sx>", local, dom);
	is_int(parse(line, &cmd, &reply), -1, "RCPT path of 257 octets");
	is_str(reply, "501 5.1.3 Bad recipient address syntax",
	    "  recipient 501");

	/* Route stripped, but the route counts toward the 256. */
	snprintf(line, sizeof(line), "MAIL FROM:<@r:%s@%s>", local, dom);
	is_int(parse(line, &cmd, &reply), -1, "route pushes path past 256");

	/* EHLO argument up to 255 octets. */
	memset(dom, 'h', 255);
	dom[255] = '\0';
	snprintf(line, sizeof(line), "EHLO %s", dom);
	is_int(parse(line, &cmd, &reply), 0, "EHLO with 255 octets");
	is_int(strlen(cmd.helo), 255, "  helo kept whole");
	snprintf(line, sizeof(line), "EHLO %sh", dom);
	is_int(parse(line, &cmd, &reply), -1, "EHLO with 256 octets");
	is_str(reply, "501 5.5.4 Syntax: EHLO hostname", "  501");

	/* Longest line: 510 octets plus CRLF. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "NOOP ", 5);
	is_int(smtp_cmd_parse(line, 510, &cmd, &reply), 0, "510-octet NOOP");
	is_int(strlen(cmd.arg), 505, "  text kept whole");
	is_int(smtp_cmd_parse(line, 511, &cmd, &reply), -1, "511 octets");
	is_str(reply, "500 5.5.2 Line too long", "  500 5.5.2");
	is_int(smtp_cmd_parse(line, sizeof(line), &cmd, &reply), -1,
	    "2048 octets");
}

static void
test_bytes(void)
{
	struct smtp_cmd	 cmd;
	const char	*reply;
	char		*p;

	/* NUL inside the given length. */
	is_int(smtp_cmd_parse("QUIT\0", 5, &cmd, &reply), -1, "NUL after QUIT");
	is_str(reply, "501 5.5.4 Syntax error", "  501 5.5.4");
	is_int(smtp_cmd_parse("MAIL FROM:<a\0@b>", 16, &cmd, &reply), -1,
	    "NUL inside an address");
	is_str(reply, "501 5.5.4 Syntax error", "  501 5.5.4");
	is_int(smtp_cmd_parse("\0", 1, &cmd, &reply), -1, "lone NUL");

	/*
	 * Not NUL-terminated: an exact-size heap copy lets AddressSanitizer
	 * catch any read past len; the octets after len must be ignored.
	 */
	p = malloc(4);
	memcpy(p, "QUIT", 4);
	is_int(smtp_cmd_parse(p, 4, &cmd, &reply), 0, "QUIT without NUL");
	is_int(cmd.verb, CMD_QUIT, "  QUIT");
	free(p);
	p = malloc(23);
	memcpy(p, "RCPT TO:<x@y.example>", 21);
	is_int(smtp_cmd_parse(p, 21, &cmd, &reply), 0, "RCPT without NUL");
	is_str(cmd.addr, "x@y.example", "  address");
	memcpy(p, "RCPT TO:<x@y.example> Z", 23);
	is_int(smtp_cmd_parse(p, 21, &cmd, &reply), 0,
	    "octets past len are not read");
	free(p);
	p = malloc(15);
	memcpy(p, "MAIL FROM:<a@b", 14);
	is_int(smtp_cmd_parse(p, 14, &cmd, &reply), -1, "unclosed path");
	memcpy(p, "MAIL FROM:<\"ab", 14);
	is_int(smtp_cmd_parse(p, 14, &cmd, &reply), -1, "unclosed quote");
	memcpy(p, "MAIL FROM:<\"a\\", 14);
	is_int(smtp_cmd_parse(p, 14, &cmd, &reply), -1, "backslash at end");
	free(p);
	is_int(smtp_cmd_parse("QUITX", 4, &cmd, &reply), 0, "len stops verb");
	is_int(smtp_cmd_parse("", 0, &cmd, &reply), -1, "empty line");
}

static const char *addr_good[] = {
	"a@b",
	"user@example.org",
	"first.last@sub.example.org",
	"!#$%&'*+-/=?^_`{|}~@example.org",
	"a@xn--bcher-kva.example",
	"a@123.example",
	"a@a-b.c-d",
	"\"\"@example.org",
	"\"quoted string\"@example.org",
	"\"a@b\"@example.org",
	"\"a\\\\b\"@example.org",
	"\"a\\ b\"@example.org",
	"\"..\"@example.org",
	"\"j\xc3\xb6rg\"@example.org",
	"j\xc3\xb6rg@example.org",
	"\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a",
	"a@[192.0.2.1]",
	"a@[IPv6:2001:db8::1]",
	"a@[ipv6:::1]",
	"a@[IPv6:::ffff:192.0.2.1]",
	"A@EXAMPLE.ORG",
};

static const char *addr_bad[] = {
	"",
	"a",
	"a@",
	"@b",
	"a@@b",
	"a@b@c",
	".a@b",
	"a.@b",
	"a..b@c",
	"a b@c",
	"a(b)@c",
	"a,b@c",
	"a[b]@c",
	"a\\b@c",
	"a\"b\"@c",
	"\"a\"b@c",
	"\"a\"\"b\"@c",
	"\"ab@c",
	"\"a\tb\"@c",
	"\"a\x01\"@c",
	"\"a\x7f\"@c",
	"\"a\\\x01\"@c",
	"a@b.",
	"a@.b",
	"a@b..c",
	"a@-b",
	"a@b-",
	"a@b-.c",
	"a@b.-c",
	"a@b_c",
	"a@b c",
	"a@b:25",
	"a@[192.0.2.1",
	"a@192.0.2.1]",
	"a@[192.0.2]",
	"a@[192.0.2.256]",
	"a@[IPv6:192.0.2.1]",
	"a@[IPv6:2001:db8::g]",
	"a@[2001:db8::1]",
	"a@[IPv6:]",
	"a@[]",
	"a@[x:y]",
	"a@[192.0.2.1]x",
	"a@b\x7f",
	"\xff@example.org",			/* not UTF-8 */
	"\xc0\xaf@example.org",			/* overlong */
	"\xe0\x80\xaf@example.org",		/* overlong */
	"\xf0\x80\x80\xaf@example.org",		/* overlong */
	"\xed\xa0\x80@example.org",		/* surrogate */
	"\xf4\x90\x80\x80@example.org",		/* past U+10FFFF */
	"\xc3@example.org",			/* truncated */
	"a@b\xc3",
};

static void
test_addr(void)
{
	char	buf[600];
	size_t	i;

	for (i = 0; i < sizeof(addr_good) / sizeof(addr_good[0]); i++) {
		is_int(smtp_addr_valid(addr_good[i]), 0,
		    vis("valid", addr_good[i]));
	}
	for (i = 0; i < sizeof(addr_bad) / sizeof(addr_bad[0]); i++) {
		is_int(smtp_addr_valid(addr_bad[i]), -1,
		    vis("invalid", addr_bad[i]));
	}

	/* Local part: 64 octets, quotes included. */
	memset(buf, 'l', 64);
	strcpy(buf + 64, "@d");
	is_int(smtp_addr_valid(buf), 0, "64-octet local part");
	memset(buf, 'l', 65);
	strcpy(buf + 65, "@d");
	is_int(smtp_addr_valid(buf), -1, "65-octet local part");
	buf[0] = '"';
	memset(buf + 1, 'q', 62);
	strcpy(buf + 63, "\"@d");
	is_int(smtp_addr_valid(buf), 0, "64-octet quoted local part");
	buf[0] = '"';
	memset(buf + 1, 'q', 63);
	strcpy(buf + 64, "\"@d");
	is_int(smtp_addr_valid(buf), -1, "65-octet quoted local part");

	/* Labels: 63 octets; domain: 255. */
	strcpy(buf, "a@");
	memset(buf + 2, 'x', 63);
	strcpy(buf + 65, ".org");
	is_int(smtp_addr_valid(buf), 0, "63-octet label");
	strcpy(buf, "a@");
	memset(buf + 2, 'x', 64);
	strcpy(buf + 66, ".org");
	is_int(smtp_addr_valid(buf), -1, "64-octet label");
	/* Domain: 4 labels of 63 and 3 dots make 255; one more label 256. */
	strcpy(buf, "a@");
	for (i = 0; i < 4; i++) {
		memset(buf + 2 + i * 64, 'x', 63);
		buf[2 + i * 64 + 63] = '.';
	}
	buf[2 + 255] = '\0';
	is_int(smtp_addr_valid(buf), 0, "255-octet domain");
	buf[2 + 255 - 2] = '.';		/* ...x.y: labels 63,63,63,61,1 */
	buf[2 + 255 - 1] = 'y';
	is_int(smtp_addr_valid(buf), 0, "255-octet domain, five labels");
	buf[2 + 255 - 2] = 'x';
	buf[2 + 255 - 1] = '.';		/* labels 63,63,63,62,1 = 256 */
	buf[2 + 255] = 'y';
	buf[2 + 256] = '\0';
	is_int(strlen(buf + 2), 256, "  (domain now 256)");
	is_int(smtp_addr_valid(buf), -1, "256-octet domain");
}

static void
test_domain(void)
{
	is_str(smtp_addr_domain("a@b.example"), "b.example", "domain");
	is_str(smtp_addr_domain("\"a@x\"@b.example"), "b.example",
	    "domain after a quoted @");
	is_str(smtp_addr_domain("\"a\\\"@x\"@b.example"), "b.example",
	    "escaped quote inside quotes");
	is_str(smtp_addr_domain("a@[192.0.2.1]"), "[192.0.2.1]",
	    "address literal");
	ok(smtp_addr_domain("postmaster") == NULL, "no domain: NULL");
	ok(smtp_addr_domain("") == NULL, "empty: NULL");
	ok(smtp_addr_domain("a@") == NULL, "empty domain: NULL");
	ok(smtp_addr_domain("\"a@b\"") == NULL, "@ only inside quotes: NULL");
	is_str(smtp_addr_domain("a@b@c"), "c", "last @ outside quotes");
	ok(smtp_addr_domain("\"a\\") == NULL, "trailing backslash: NULL");
}

static void
test_verbs(void)
{
	is_str(smtp_verb_to_text(CMD_MAIL), "MAIL", "MAIL");
	is_str(smtp_verb_to_text(CMD_STARTTLS), "STARTTLS", "STARTTLS");
	is_str(smtp_verb_to_text(CMD_AUTH), "AUTH", "AUTH");
	is_str(smtp_verb_to_text(CMD_UNKNOWN), "UNKNOWN", "UNKNOWN");
	is_str(smtp_verb_to_text((enum smtp_verb)999), "UNKNOWN",
	    "out of range");
}

/*
 * Every prefix of some nasty lines, each copied to an exact-size heap
 * buffer: no crash, no read past len, and a reply whenever -1.
 */
static void
test_prefixes(void)
{
	static const char *lines[] = {
		("MAIL FROM:<@a.example,@b.example:\"q\\\"x\"@[IPv6:::1]> "
		    "SIZE=123 BODY=8BITMIME SMTPUTF8 AUTH=<>"),
		"RCPT TO:<\"a>b\"@example.org>",
		"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=",
		"EHLO [IPv6:2001:db8::1]",
	};
	struct smtp_cmd	 cmd;
	const char	*reply;
	size_t		 i, n, nbad = 0;
	char		*p;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		for (n = 0; n <= strlen(lines[i]); n++) {
			p = malloc(n ? n : 1);
			memcpy(p, lines[i], n);
			reply = NULL;
			if (smtp_cmd_parse(p, n, &cmd, &reply) == -1 &&
			    (reply == NULL || strlen(reply) < 5))
				nbad++;
			free(p);
		}
		is_int(smtp_cmd_parse(lines[i], strlen(lines[i]), &cmd,
		    &reply), 0, "whole line parses");
	}
	is_int(nbad, 0, "every prefix: success or a reply");
}

/* #19 item 6: source routes hidden in the local part. */
static void
test_routing(void)
{
	ok(!smtp_addr_has_routing("user@accept.test"), "plain: no routing");
	ok(!smtp_addr_has_routing("a.b-c+d@accept.test"), "+ and - are fine");
	ok(smtp_addr_has_routing("user%evil.com@accept.test"), "% routes");
	ok(smtp_addr_has_routing("user!evil.com@accept.test"), "! routes");
	ok(smtp_addr_has_routing("\"user@evil.com\"@accept.test"),
	    "quoted @ routes");
	ok(smtp_addr_has_routing("\"a%b\"@accept.test"), "quoted % routes");
	ok(!smtp_addr_has_routing("user@[192.0.2.1]"), "address literal");
	ok(!smtp_addr_has_routing("user@evil%x.test"),
	    "only the local part counts");
	ok(!smtp_addr_has_routing("postmaster"), "no domain, no routing");
	ok(smtp_addr_has_routing("a!b"), "no domain: the whole is local");
}

static void
bdat_ok(const char *line, uint64_t size, bool last)
{
	struct smtp_cmd	 c;
	const char	*reply = NULL;
	char		 t[160];

	snprintf(t, sizeof(t), "\"%s\" parses", line);
	is_int(smtp_cmd_parse(line, strlen(line), &c, &reply), 0, t);
	snprintf(t, sizeof(t), "\"%s\" is BDAT", line);
	is_int(c.verb, CMD_BDAT, t);
	snprintf(t, sizeof(t), "\"%s\" size", line);
	ok(c.size == size, t);
	snprintf(t, sizeof(t), "\"%s\" LAST", line);
	is_int(c.bdat_last, last, t);
}

static void
bdat_bad(const char *line)
{
	struct smtp_cmd	 c;
	const char	*reply = NULL;
	char		 t[160];

	snprintf(t, sizeof(t), "\"%s\" refused", line);
	is_int(smtp_cmd_parse(line, strlen(line), &c, &reply), -1, t);
	snprintf(t, sizeof(t), "\"%s\": 501 5.5.4, verb kept", line);
	ok(reply != NULL && strncmp(reply, "501 5.5.4", 9) == 0 &&
	    c.verb == CMD_BDAT, t);
}

static void
test_bdat(void)
{
	bdat_ok("BDAT 0 LAST", 0, true);
	bdat_ok("BDAT 1000", 1000, false);
	bdat_ok("bdat 86 last", 86, true);
	bdat_ok("BDAT 5  LAST", 5, true);
	bdat_ok("BDAT 1099511627776", (uint64_t)1 << 40, false);
	bdat_ok("BDAT 007", 7, false);
	bdat_bad("BDAT");
	bdat_bad("BDAT LAST");
	bdat_bad("BDAT -1");
	bdat_bad("BDAT +5");
	bdat_bad("BDAT 5 LASTX");
	bdat_bad("BDAT 5 FIRST");
	bdat_bad("BDAT 5LAST");
	bdat_bad("BDAT 5 LAST LAST");
	bdat_bad("BDAT 1099511627777");
	bdat_bad("BDAT 99999999999999999999999");
	bdat_bad("BDAT 0x10");
	is_str(smtp_verb_to_text(CMD_BDAT), "BDAT", "BDAT verb name");
}

/* A DSN form that parses: the stored values. */
static void
dsn_ok(const char *line, int ret, const char *envid, unsigned notify,
    const char *orcpt)
{
	struct smtp_cmd	 c;
	const char	*reply = NULL;
	char		 t[700];

	snprintf(t, sizeof(t), "%s parses", vis("DSN", line));
	is_int(parse(line, &c, &reply), 0, t);
	snprintf(t, sizeof(t), "%s: RET", vis("DSN", line));
	is_int(c.ret, ret, t);
	snprintf(t, sizeof(t), "%s: ENVID", vis("DSN", line));
	is_str(c.envid, envid, t);
	snprintf(t, sizeof(t), "%s: NOTIFY", vis("DSN", line));
	is_int(c.notify, notify, t);
	snprintf(t, sizeof(t), "%s: ORCPT", vis("DSN", line));
	is_str(c.orcpt, orcpt, t);
}

static void
dsn_bad(const char *line, const char *want)
{
	struct smtp_cmd	 c;
	const char	*reply = NULL;
	char		 t[700];

	snprintf(t, sizeof(t), "%s refused", vis("DSN", line));
	is_int(parse(line, &c, &reply), -1, t);
	snprintf(t, sizeof(t), "%s reply", vis("DSN", line));
	is_str(reply, want, t);
	snprintf(t, sizeof(t), "%s: nothing half-parsed", vis("DSN", line));
	ok(c.envid[0] == '\0' && c.orcpt[0] == '\0' && c.notify == 0 &&
	    c.ret == DSN_RET_UNSPEC, t);
}

#define NOT_ALL	(DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY)

static void
test_dsn(void)
{
	char	line[1024], v[600];

	dsn_ok("MAIL FROM:<a@b> RET=FULL", DSN_RET_FULL, "", 0, "");
	dsn_ok("MAIL FROM:<a@b> ret=hdrs", DSN_RET_HDRS, "", 0, "");
	dsn_ok("MAIL FROM:<> RET=HDRS ENVID=QQ314159", DSN_RET_HDRS,
	    "QQ314159", 0, "");
	dsn_ok("MAIL FROM:<a@b> ENVID=x+2By SIZE=10 RET=FULL", DSN_RET_FULL,
	    "x+2By", 0, "");
	/* Canonical form: "+41" is "A", lower case stays as it is. */
	dsn_ok("MAIL FROM:<a@b> ENVID=+41+20+3D+0D+0A", 0, "A+20+3D+0D+0A", 0,
	    "");
	dsn_ok("RCPT TO:<x@y> NOTIFY=NEVER", 0, "", DSN_NOTIFY_NEVER, "");
	dsn_ok("RCPT TO:<x@y> notify=success", 0, "", DSN_NOTIFY_SUCCESS, "");
	dsn_ok("RCPT TO:<x@y> NOTIFY=DELAY,FAILURE,SUCCESS", 0, "", NOT_ALL,
	    "");
	dsn_ok("RCPT TO:<x@y> NOTIFY=FAILURE,FAILURE", 0, "",
	    DSN_NOTIFY_FAILURE, "");
	dsn_ok("RCPT TO:<x@y> ORCPT=rfc822;x@y NOTIFY=SUCCESS,DELAY", 0, "",
	    DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY, "rfc822;x@y");
	dsn_ok("RCPT TO:<x@y> ORCPT=rfc822;a+2Bb+40c", 0, "", 0,
	    "rfc822;a+2Bb@c");
	dsn_ok("RCPT TO:<x@y> ORCPT=utf-8;caf+C3+A9@x", 0, "", 0,
	    "utf-8;caf+C3+A9@x");
	dsn_ok("RCPT TO:<postmaster> NOTIFY=NEVER ORCPT=RFC822;postmaster", 0,
	    "", DSN_NOTIFY_NEVER, "RFC822;postmaster");

	dsn_bad("MAIL FROM:<a@b> RET=", "501 5.5.4 Bad RET parameter");
	dsn_bad("MAIL FROM:<a@b> RET", "501 5.5.4 Bad RET parameter");
	dsn_bad("MAIL FROM:<a@b> RET=BODY", "501 5.5.4 Bad RET parameter");
	dsn_bad("MAIL FROM:<a@b> RET=FULL RET=HDRS",
	    "501 5.5.4 Duplicate parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID", "501 5.5.4 Bad ENVID parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID=", "501 5.5.4 Bad ENVID parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID=a=b", "501 5.5.4 Bad ENVID parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID=a+2", "501 5.5.4 Bad ENVID parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID=a+2b", "501 5.5.4 Bad ENVID parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID=a+GG", "501 5.5.4 Bad ENVID parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID=a\xc3\xa9",
	    "501 5.5.4 Bad ENVID parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID=a\tb", "501 5.5.4 Bad ENVID parameter");
	dsn_bad("MAIL FROM:<a@b> ENVID=x ENVID=y",
	    "501 5.5.4 Duplicate parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY=", "501 5.5.4 Bad NOTIFY parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY", "501 5.5.4 Bad NOTIFY parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY=NEVER,SUCCESS",
	    "501 5.5.4 Bad NOTIFY parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY=FAILURE,NEVER",
	    "501 5.5.4 Bad NOTIFY parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY=SUCCESS,", "501 5.5.4 Bad NOTIFY parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY=,DELAY", "501 5.5.4 Bad NOTIFY parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY=SUCCESS,,DELAY",
	    "501 5.5.4 Bad NOTIFY parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY=ALWAYS", "501 5.5.4 Bad NOTIFY parameter");
	dsn_bad("RCPT TO:<x@y> NOTIFY=NEVER NOTIFY=NEVER",
	    "501 5.5.4 Duplicate parameter");
	dsn_bad("RCPT TO:<x@y> ORCPT", "501 5.5.4 Bad ORCPT parameter");
	dsn_bad("RCPT TO:<x@y> ORCPT=x@y", "501 5.5.4 Bad ORCPT parameter");
	dsn_bad("RCPT TO:<x@y> ORCPT=;x@y", "501 5.5.4 Bad ORCPT parameter");
	dsn_bad("RCPT TO:<x@y> ORCPT=rfc822;", "501 5.5.4 Bad ORCPT parameter");
	dsn_bad("RCPT TO:<x@y> ORCPT=rfc(822);x@y",
	    "501 5.5.4 Bad ORCPT parameter");
	dsn_bad("RCPT TO:<x@y> ORCPT=rfc822;x=y", "501 5.5.4 Bad ORCPT parameter");
	dsn_bad("RCPT TO:<x@y> ORCPT=rfc822;x+0", "501 5.5.4 Bad ORCPT parameter");
	dsn_bad("RCPT TO:<x@y> ORCPT=rfc822;a ORCPT=rfc822;b",
	    "501 5.5.4 Duplicate parameter");

	/* Lengths: ENVID 100 octets, ORCPT 500 (as given, encoded). */
	memset(v, 'e', 100);
	v[100] = '\0';
	snprintf(line, sizeof(line), "MAIL FROM:<a@b> ENVID=%s", v);
	dsn_ok(line, 0, v, 0, "");
	snprintf(line, sizeof(line), "MAIL FROM:<a@b> ENVID=%se", v);
	dsn_bad(line, "501 5.5.4 Bad ENVID parameter");
	/* ORCPT may be 500 octets, but a command line only 512 (we keep the
	 * RFC 5321 limit): the longest that fits is 510 - 20; dsn-t.c checks
	 * the 500 itself. */
	memcpy(v, "rfc822;", 7);
	memset(v + 7, 'o', 483);
	v[490] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<x@y> ORCPT=%s", v);
	dsn_ok(line, 0, "", 0, v);
	snprintf(line, sizeof(line), "RCPT TO:<x@y> ORCPT=%so", v);
	dsn_bad(line, "500 5.5.2 Line too long");
}

int
main(void)
{
	test_dsn();
	test_bdat();
	test_table();
	test_params();
	test_lengths();
	test_bytes();
	test_addr();
	test_domain();
	test_routing();
	test_verbs();
	test_prefixes();
	return done_testing();
}
