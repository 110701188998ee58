/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_parse.c — owns the syntax of SMTP command lines: the verbs, the
 * line's length and characters, and the arguments of every command but
 * MAIL and RCPT, whose paths, mailboxes and ESMTP parameters are
 * smtp_parse_addr.c's.  Pure: bytes in, a struct or a reply out.  Whether
 * a command is allowed now (order, policy, limits) is the session's call.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "smtp_parse.h"
#include "smtp_parse_int.h"

#define R_UNKNOWN	"500 5.5.1 Command unrecognized"
#define R_TOOLONG	"500 5.5.2 Line too long"
#define R_SYNTAX	"501 5.5.4 Syntax error"
#define R_NOPARAM	"501 5.5.4 Syntax error (no parameters allowed)"
#define R_EHLO		"501 5.5.4 Syntax: EHLO hostname"
#define R_HELO		"501 5.5.4 Syntax: HELO hostname"
#define R_VRFY		"501 5.5.4 Syntax: VRFY address"
#define R_AUTH \
	"501 5.5.4 Syntax: AUTH mechanism [initial-response]"

/* What a verb takes after it; the session table decides the rest. */
enum arg_kind {
	ARG_HELO,	/* one token, required */
	ARG_MAIL,	/* FROM:<path> [params] */
	ARG_RCPT,	/* TO:<path> */
	ARG_NONE,	/* nothing at all */
	ARG_TEXT,	/* optional free text */
	ARG_VRFY,	/* required free text */
	ARG_AUTH,	/* mechanism [initial-response] */
	ARG_BDAT	/* chunk-size [LAST] */
};

/* The names in place, not pointers: 11 bytes an entry and no relocated
 * data in a PIE. */
static const struct {
	char		 name[9];	/* "STARTTLS" and its NUL */
	unsigned char	 verb;		/* enum smtp_verb */
	unsigned char	 arg;		/* enum arg_kind */
} verbs[] = {
	{ "EHLO",	CMD_EHLO,	ARG_HELO },
	{ "HELO",	CMD_HELO,	ARG_HELO },
	{ "MAIL",	CMD_MAIL,	ARG_MAIL },
	{ "RCPT",	CMD_RCPT,	ARG_RCPT },
	{ "DATA",	CMD_DATA,	ARG_NONE },
	{ "RSET",	CMD_RSET,	ARG_NONE },
	{ "NOOP",	CMD_NOOP,	ARG_TEXT },
	{ "QUIT",	CMD_QUIT,	ARG_NONE },
	{ "HELP",	CMD_HELP,	ARG_TEXT },
	{ "VRFY",	CMD_VRFY,	ARG_VRFY },
	{ "STARTTLS",	CMD_STARTTLS,	ARG_NONE },
	{ "AUTH",	CMD_AUTH,	ARG_AUTH },
	{ "BDAT",	CMD_BDAT,	ARG_BDAT },
};
#define NVERBS	(sizeof(verbs) / sizeof(verbs[0]))

const char *
smtp_verb_to_text(enum smtp_verb v)
{
	size_t	i;

	for (i = 0; i < NVERBS; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "UNKNOWN";
}

/* AUTH mechanism [initial-response], kept with a single space between. */
static const char *
auth_args(const char *s, size_t n, struct smtp_cmd *cmd)
{
	const char	*sp, *resp;
	size_t		 m, rn;

	if (n == 0)
		return R_AUTH;
	if ((sp = memchr(s, ' ', n)) == NULL)
		m = n;
	else
		m = sp - s;
	resp = s + m;
	rn = n - m;
	while (rn > 0 && *resp == ' ') {
		resp++;
		rn--;
	}
	if (memchr(resp, ' ', rn) != NULL || memchr(s, '\t', n) != NULL)
		return R_AUTH;
	memcpy(cmd->arg, s, m);
	if (rn > 0) {
		cmd->arg[m++] = ' ';
		memcpy(cmd->arg + m, resp, rn);
		m += rn;
	}
	cmd->arg[m] = '\0';
	return NULL;
}

#define R_BDAT	"501 5.5.4 Syntax: BDAT chunk-size [LAST]"

/* "BDAT" SP chunk-size [SP "LAST"] (RFC 3030): 1*DIGIT, no sign. */
static const char *
bdat_args(const char *a, size_t alen, struct smtp_cmd *cmd)
{
	size_t		i = 0;
	uint64_t	v = 0;

	for (; i < alen && a[i] >= '0' && a[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(a[i] - '0');
		if (v > SMTP_BDAT_MAX)
			return R_BDAT;
	}
	if (i == 0)
		return R_BDAT;
	cmd->size = v;
	cmd->has_size = true;
	if (i == alen)
		return NULL;
	if (a[i] != ' ')
		return R_BDAT;
	while (i < alen && a[i] == ' ')
		i++;
	if (!ncaseeq(a + i, alen - i, "LAST"))
		return R_BDAT;
	cmd->bdat_last = true;
	return NULL;
}

static const char *
parse(const char *line, size_t len, struct smtp_cmd *cmd)
{
	const char	*a;
	size_t		 i, vlen, alen;
	enum arg_kind	 kind = ARG_NONE;

	if (len > SMTP_LINE_MAX - 2)
		return R_TOOLONG;
	for (i = 0; i < len; i++) {
		unsigned char c = line[i];

		if (c < 0x20 && c != '\t')
			return R_SYNTAX;
	}
	/* Trailing blanks are noise that some clients add. */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;

	a = memchr(line, ' ', len);
	vlen = a == NULL ? len : (size_t)(a - line);
	for (i = 0; i < NVERBS; i++) {
		if (ncaseeq(line, vlen, verbs[i].name)) {
			cmd->verb = verbs[i].verb;
			kind = verbs[i].arg;
			break;
		}
	}
	if (i == NVERBS)
		return R_UNKNOWN;
	a = line + vlen;
	alen = len - vlen;
	while (alen > 0 && *a == ' ') {
		a++;
		alen--;
	}

	switch (kind) {
	case ARG_HELO:
		if (alen == 0 || alen > SMTP_DOMAIN_MAX)
			return cmd->verb == CMD_EHLO ? R_EHLO : R_HELO;
		for (i = 0; i < alen; i++)
			if ((unsigned char)a[i] <= 0x20 ||
			    (unsigned char)a[i] >= 0x7f)
				return cmd->verb == CMD_EHLO ? R_EHLO : R_HELO;
		memcpy(cmd->helo, a, alen);
		cmd->helo[alen] = '\0';
		return NULL;
	case ARG_MAIL:
	case ARG_RCPT:
		return smtp_path_cmd(a, alen, kind == ARG_RCPT, cmd);
	case ARG_NONE:
		return alen == 0 ? NULL : R_NOPARAM;
	case ARG_VRFY:
		if (alen == 0)
			return R_VRFY;
		/* FALLTHROUGH */
	case ARG_TEXT:
		memcpy(cmd->arg, a, alen);
		cmd->arg[alen] = '\0';
		return NULL;
	case ARG_AUTH:
		return auth_args(a, alen, cmd);
	case ARG_BDAT:
		return bdat_args(a, alen, cmd);
	}
	return R_UNKNOWN;
}

int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
    const char **reply)
{
	const char	*r;
	enum smtp_verb	 verb;

	memset(cmd, 0, sizeof(*cmd));
	if ((r = parse(line, len, cmd)) == NULL)
		return 0;
	*reply = r;
	/* Keep only the verb (for logs): no half-parsed fields survive. */
	verb = cmd->verb;
	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = verb;
	return -1;
}
