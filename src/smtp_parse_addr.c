/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_parse_addr.c — owns the syntax of what MAIL and RCPT carry: the
 * reverse-path and forward-path, mailboxes (RFC 5321 section 4.1.2, with
 * the SMTPUTF8 extensions of RFC 6531) and the ESMTP parameters of MAIL
 * and RCPT (the DSN values themselves are dsn.c's).  Pure: bytes in, a
 * struct or a reply out.  The verbs and the other commands' arguments are
 * smtp_parse.c's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "smtp_parse.h"
#include "smtp_parse_int.h"

#define R_SYNTAX	"501 5.5.4 Syntax error"

#define R_MAIL		"501 5.5.4 Syntax: MAIL FROM:<address>"
#define R_RCPT		"501 5.5.4 Syntax: RCPT TO:<address>"
#define R_BADFROM	"501 5.1.7 Bad sender address syntax"
#define R_BADTO		"501 5.1.3 Bad recipient address syntax"
#define R_SIZE		"501 5.5.4 Bad SIZE parameter"
#define R_BODY		"501 5.5.4 Bad BODY parameter"
#define R_UTF8		"501 5.5.4 Bad SMTPUTF8 parameter"
#define R_AUTHP		"501 5.5.4 Bad AUTH parameter"
#define R_DUP		"501 5.5.4 Duplicate parameter"
#define R_RET		"501 5.5.4 Bad RET parameter"
#define R_ENVID		"501 5.5.4 Bad ENVID parameter"
#define R_NOTIFY	"501 5.5.4 Bad NOTIFY parameter"
#define R_ORCPT		"501 5.5.4 Bad ORCPT parameter"
#define R_UNSUPP	"555 5.5.4 Unsupported parameter"
static bool
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext, widened by RFC 6531 to any non-ASCII octet. */
static bool
is_atext(int c)
{
	return is_alnum(c) || c >= 0x80 ||
	    (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * Well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF): SMTPUTF8 promises UTF-8, and anything else would end up in
 * headers and logs as garbage.
 */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t		i = 0, k, need;
	uint32_t	cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			need = 1; cp = s[i] & 0x1f; min = 0x80;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			need = 2; cp = s[i] & 0x0f; min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			need = 3; cp = s[i] & 0x07; min = 0x10000;
		} else
			return false;
		if (n - i - 1 < need)
			return false;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* Length of a quoted-string starting at s[0] == '"', or 0 if malformed. */
static size_t
quoted_len(const char *s, size_t n)
{
	size_t	i;
	int	c;

	for (i = 1; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c == '\\') {
			/* quoted-pairSMTP: backslash and one of %d32-126 */
			if (i + 1 >= n)
				return 0;
			c = (unsigned char)s[++i];
			if (c < 32 || c > 126)
				return 0;
		} else if (c < 32 || c == 127)
			return 0;
	}
	return 0;
}

/* Local-part: Dot-string or Quoted-string.  Returns its length or 0. */
static size_t
local_len(const char *s, size_t n)
{
	size_t	i;
	bool	dot = true;	/* an atom must come next */

	if (n > 0 && s[0] == '"')
		return quoted_len(s, n);
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (dot)
				return 0;
			dot = true;
		} else if (is_atext((unsigned char)s[i]))
			dot = false;
		else
			break;
	}
	return dot ? 0 : i;
}

/* Address literal "[...]", brackets included, checked with inet_pton. */
static bool
literal_valid(const char *s, size_t n)
{
	char		 buf[SMTP_DOMAIN_MAX + 1];
	unsigned char	 bin[sizeof(struct in6_addr)];
	const char	*p;
	size_t		 m;
	int		 af = AF_INET;

	if (n < 3 || n > SMTP_DOMAIN_MAX || s[0] != '[' || s[n - 1] != ']')
		return false;
	p = s + 1;
	m = n - 2;
	if (m > 5 && ncaseeq(p, 5, "IPv6:")) {
		af = AF_INET6;
		p += 5;
		m -= 5;
	}
	memcpy(buf, p, m);
	buf[m] = '\0';
	return inet_pton(af, buf, bin) == 1;
}

/* Domain: dot-separated labels of letters, digits, inner hyphens or
 * non-ASCII octets (U-labels), or an address literal. */
static bool
domain_valid(const char *s, size_t n, bool allow_literal)
{
	size_t	i, label = 0;

	if (n == 0 || n > SMTP_DOMAIN_MAX)
		return false;
	if (s[0] == '[')
		return allow_literal && literal_valid(s, n);
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(c) || c >= 0x80 || c == '-') {
			if (c == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label != 0 && s[n - 1] != '-';
}

int
smtp_addr_valid(const char *addr)
{
	size_t	n = strlen(addr), l;

	if (!utf8_valid((const unsigned char *)addr, n))
		return -1;
	l = local_len(addr, n);
	if (l == 0 || l > SMTP_LOCAL_MAX || l >= n || addr[l] != '@')
		return -1;
	return domain_valid(addr + l + 1, n - l - 1, true) ? 0 : -1;
}

const char *
smtp_addr_domain(const char *addr)
{
	const char	*p, *at = NULL;
	bool		 q = false;

	for (p = addr; *p != '\0'; p++) {
		if (q && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			q = !q;
		else if (!q && *p == '@')
			at = p;
	}
	if (at == NULL || at[1] == '\0')
		return NULL;
	return at + 1;
}

bool
smtp_addr_has_routing(const char *addr)
{
	const char	*dom = smtp_addr_domain(addr), *p, *end;

	end = dom != NULL ? dom - 1 : addr + strlen(addr);
	for (p = addr; p < end; p++)
		if (*p == '%' || *p == '!' || *p == '@')
			return true;
	return false;
}
/*
 * Source route "@a,@b:" (RFC 5321 A-d-l, obsolete but still legal):
 * returns the length up to and including the ':', or 0 if malformed.
 */
static size_t
route_len(const char *s, size_t n)
{
	const char	*colon, *p, *e;

	if ((colon = memchr(s, ':', n)) == NULL)
		return 0;
	for (p = s; p < colon; p = e + 1) {
		if (*p != '@')
			return 0;
		if ((e = memchr(p, ',', colon - p)) == NULL)
			e = colon;
		if (!domain_valid(p + 1, e - p - 1, false))
			return 0;
		if (e == colon)
			break;
	}
	return colon - s + 1;
}

/*
 * Parse "<path>" at s into cmd->addr.  Returns the length of the path
 * including its brackets, or 0 if it is not a valid path.
 */
static size_t
path_parse(const char *s, size_t n, bool rcpt, struct smtp_cmd *cmd)
{
	size_t	i, q, len, r = 0;

	if (n == 0 || s[0] != '<')
		return 0;
	/* The closing '>' is the first one outside a quoted local part. */
	for (i = 1; i < n && s[i] != '>'; i++) {
		if (s[i] == '"') {
			if ((q = quoted_len(s + i, n - i)) == 0)
				return 0;
			i += q - 1;
		}
	}
	if (i >= n || i + 1 > SMTP_ADDR_MAX)
		return 0;
	len = i - 1;		/* between the brackets */
	s++;
	if (len == 0)
		return rcpt ? 0 : 2;	/* <>: the null reverse-path */
	if (s[0] == '@' && (r = route_len(s, len)) == 0)
		return 0;
	if (rcpt && r == 0 && ncaseeq(s, len, "postmaster")) {
		memcpy(cmd->addr, "postmaster", sizeof("postmaster"));
		return len + 2;
	}
	memcpy(cmd->addr, s + r, len - r);
	cmd->addr[len - r] = '\0';
	if (smtp_addr_valid(cmd->addr) == -1)
		return 0;
	return len + 2;
}

/* The parameters, by keyword; a bit each, to refuse a repeated one. */
enum param { P_SIZE, P_BODY, P_UTF8, P_AUTH, P_RET, P_ENVID, P_NOTIFY,
    P_ORCPT, P_MAX };

static const struct {
	const char	*name;
	bool		 rcpt;	/* a RCPT parameter, else a MAIL one */
} params[P_MAX] = {
	[P_SIZE] = { "SIZE", false },
	[P_BODY] = { "BODY", false },
	[P_UTF8] = { "SMTPUTF8", false },
	[P_AUTH] = { "AUTH", false },
	[P_RET] = { "RET", false },
	[P_ENVID] = { "ENVID", false },
	[P_NOTIFY] = { "NOTIFY", true },
	[P_ORCPT] = { "ORCPT", true },
};

/* One parameter, KEYWORD[=VALUE]; seen remembers which were given. */
static const char *
esmtp_param(const char *s, size_t n, bool rcpt, struct smtp_cmd *cmd,
    unsigned *seen)
{
	const char	*eq, *v;
	size_t		 k, vn, i;
	unsigned	 p;

	if ((eq = memchr(s, '=', n)) == NULL) {
		k = n;
		v = NULL;
		vn = 0;
	} else {
		k = eq - s;
		v = eq + 1;
		vn = n - k - 1;
	}
	/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	if (k == 0 || !is_alnum((unsigned char)s[0]))
		return R_SYNTAX;
	for (i = 1; i < k; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return R_SYNTAX;

	for (p = 0; p < P_MAX; p++)
		if (params[p].rcpt == rcpt && ncaseeq(s, k, params[p].name))
			break;
	if (p == P_MAX)
		return R_UNSUPP;
	if (*seen & (1u << p))
		return R_DUP;
	*seen |= 1u << p;

	switch (p) {
	case P_SIZE:
		if (v == NULL || vn == 0)
			return R_SIZE;
		cmd->size = 0;
		for (i = 0; i < vn; i++) {
			unsigned d = (unsigned char)v[i] - '0';

			if (d > 9 || cmd->size > (UINT64_MAX - d) / 10)
				return R_SIZE;
			cmd->size = cmd->size * 10 + d;
		}
		cmd->has_size = true;
		break;
	case P_BODY:
		if (v != NULL && ncaseeq(v, vn, "7BIT"))
			cmd->body = BODY_7BIT;
		else if (v != NULL && ncaseeq(v, vn, "8BITMIME"))
			cmd->body = BODY_8BITMIME;
		else
			return R_BODY;
		break;
	case P_UTF8:
		if (v != NULL)
			return R_UTF8;
		cmd->smtputf8 = true;
		break;
	case P_AUTH:
		/* RFC 4954 AUTH=<mailbox>: accepted, not trusted, ignored. */
		if (v == NULL || vn == 0)
			return R_AUTHP;
		break;
	case P_RET:
		if (v == NULL || dsn_ret_parse(v, vn, &cmd->ret) == -1)
			return R_RET;
		break;
	case P_ENVID:
		if (v == NULL || dsn_envid_parse(v, vn, cmd->envid) == -1)
			return R_ENVID;
		break;
	case P_NOTIFY:
		if (v == NULL || dsn_notify_parse(v, vn, &cmd->notify) == -1)
			return R_NOTIFY;
		break;
	case P_ORCPT:
		if (v == NULL || dsn_orcpt_parse(v, vn, cmd->orcpt) == -1)
			return R_ORCPT;
		break;
	}
	return NULL;
}

/* MAIL FROM:<path> [params] or RCPT TO:<path>, args past the verb. */
const char *
smtp_path_cmd(const char *s, size_t n, bool rcpt, struct smtp_cmd *cmd)
{
	const char	*kw = rcpt ? "TO:" : "FROM:";
	const char	*usage = rcpt ? R_RCPT : R_MAIL;
	const char	*bad = rcpt ? R_BADTO : R_BADFROM;
	const char	*e, *r;
	size_t		 k = strlen(kw), p;
	unsigned	 seen = 0;

	if (n < k || !ncaseeq(s, k, kw))
		return usage;
	s += k;
	n -= k;
	/* Many clients send "MAIL FROM: <a@b>". */
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	if (n == 0)
		return usage;
	if ((p = path_parse(s, n, rcpt, cmd)) == 0)
		return bad;
	s += p;
	n -= p;
	if (n > 0 && *s != ' ')
		return bad;
	for (;;) {
		while (n > 0 && *s == ' ') {
			s++;
			n--;
		}
		if (n == 0)
			return NULL;
		if ((e = memchr(s, ' ', n)) == NULL)
			e = s + n;
		if ((r = esmtp_param(s, e - s, rcpt, cmd, &seen)) != NULL)
			return r;
		n -= e - s;
		s = e;
	}
}
