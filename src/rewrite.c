/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * rewrite.c — address rewriting patterns and rules, for the envelope and
 * for the address header fields.  See rewrite.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addrlist.h"
#include "rewrite.h"
#include "smtp_parse.h"
#include "util.h"

/* Split addr into local part and domain (NULL when there is none). */
static void
split(const char *addr, size_t *llen, const char **dom)
{
	const char	*d = smtp_addr_domain(addr);

	if (d == NULL) {
		*llen = strlen(addr);
		*dom = NULL;
	} else {
		*llen = (size_t)(d - 1 - addr);
		*dom = d;
	}
}

/* Is d (len octets) the domain pattern dp? */
static bool
domain_match(const char *dp, size_t dplen, const char *d, size_t dlen)
{
	if (dplen == 1 && dp[0] == '*')
		return true;
	if (dplen >= 2 && dp[0] == '*' && dp[1] == '.') {
		/* subdomains only: d ends in ".suffix" with a label before */
		dp++;
		dplen--;
		return dlen > dplen &&
		    strncasecmp(d + dlen - dplen, dp, dplen) == 0;
	}
	return dplen == dlen && strncasecmp(dp, d, dlen) == 0;
}

bool
rewrite_match(const char *pat, const char *addr, const char *hostname)
{
	const char	*pd, *ad;
	size_t		 plen, alen, adlen;

	if (addr[0] == '\0')
		return false;
	split(pat, &plen, &pd);
	split(addr, &alen, &ad);
	if (!(plen == 1 && pat[0] == '*') &&
	    (plen != alen || strncasecmp(pat, addr, alen) != 0))
		return false;
	if (pd == NULL) {
		/* bare local part: no domain, localhost or our hostname */
		return ad == NULL || strcaseeq(ad, "localhost") ||
		    strcaseeq(ad, hostname);
	}
	if (ad == NULL)
		ad = hostname;
	adlen = strlen(ad);
	return domain_match(pd, strlen(pd), ad, adlen);
}

char *
rewrite_addr(const struct rewrite_rule *r, int n, const char *addr,
    const char *hostname)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*p, *ad;
	size_t		 alen;
	int		 i;

	if (addr[0] == '\0')
		return NULL;
	for (i = 0; i < n; i++)
		if (rewrite_match(r[i].from, addr, hostname))
			break;
	if (i == n)
		return NULL;
	split(addr, &alen, &ad);
	for (p = r[i].to; *p != '\0'; p++) {
		if (*p == '@') {
			buf_str(&b, p);
			break;
		}
		if (*p == '*')
			buf_add(&b, addr, alen);
		else
			buf_add(&b, p, 1);
	}
	if (b.p == NULL || b.len > SMTP_ADDR_MAX - 2 ||
	    smtp_addr_valid(b.p) != 0) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

const char *
rewrite_check_from(const char *pat)
{
	const char	*at, *p;

	if (pat[0] == '\0')
		return "empty pattern";
	for (p = pat; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' ||
		    *p == '<' || *p == '>' || *p == '(' || *p == ')' ||
		    *p == ',')
			return "invalid character in pattern";
	at = strchr(pat, '@');
	if (at != NULL && strchr(at + 1, '@') != NULL)
		return "more than one @ in pattern";
	if (at == pat || (at != NULL && at[1] == '\0'))
		return "empty local part or domain in pattern";
	/* local part: "*" or no "*" at all */
	for (p = pat; p != at && *p != '\0'; p++)
		if (*p == '*' && !(p == pat && (p[1] == '@' || p[1] == '\0')))
			return "\"*\" in a local part must stand alone";
	if (at == NULL)
		return NULL;
	p = at + 1;
	if (p[0] == '*' && (p[1] == '\0' || (p[1] == '.' && p[2] != '\0')))
		p += p[1] == '\0' ? 1 : 2;
	if (strchr(p, '*') != NULL)
		return "\"*\" in a domain only as \"*\" or \"*.domain\"";
	return NULL;
}

const char *
rewrite_check_to(const char *to)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*at = strchr(to, '@'), *p, *why = NULL;

	if (at == NULL || at == to || at[1] == '\0')
		return "expected local@domain";
	if (strchr(at, '*') != NULL)
		return "\"*\" only in the local part";
	for (p = to; *p != '\0'; p++)
		buf_add(&b, *p == '*' ? "x" : p, 1);
	if (smtp_addr_valid(b.p) != 0 || b.len > SMTP_ADDR_MAX - 2)
		why = "not a valid address";
	free(b.p);
	return why;
}

bool
rewrite_applies(const struct rewrite_conf *rc, const char *listener)
{
	int	 i;

	if (rc->n_sender == 0 && rc->n_recipient == 0)
		return false;
	if (rc->listeners == NULL)
		return true;
	for (i = 0; i < rc->n_listeners; i++)
		if (strcmp(rc->listeners[i], listener) == 0)
			return true;
	return false;
}

char *
rewrite_envelope(const struct rewrite_conf *rc, const char *listener,
    bool is_sender, const char *addr, const char *hostname)
{
	if (!rewrite_applies(rc, listener))
		return NULL;
	if (is_sender)
		return rewrite_addr(rc->sender, rc->n_sender, addr, hostname);
	return rewrite_addr(rc->recipient, rc->n_recipient, addr, hostname);
}

/* Which rules apply to the field named name[0..len): 0 none, 1 sender,
 * 2 recipient. */
static int
field_kind(const char *name, size_t len)
{
	static const struct { const char *n; int kind; } f[] = {
		{ "from", 1 }, { "sender", 1 }, { "reply-to", 1 },
		{ "to", 2 }, { "cc", 2 }
	};
	size_t	 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strlen(f[i].n) == len && strncasecmp(f[i].n, name, len) == 0)
			return f[i].kind;
	return 0;
}

bool
rewrite_header_wanted(const struct rewrite_conf *rc, const char *name,
    size_t len)
{
	switch (field_kind(name, len)) {
	case 1:
		return rc->headers && rc->n_sender > 0;
	case 2:
		return rc->headers && rc->n_recipient > 0;
	default:
		return false;
	}
}

struct map_arg {
	const struct rewrite_rule *r;
	int			 n;
	const char		*hostname;
};

static char *
map(const char *addr, void *arg)
{
	struct map_arg	*m = arg;

	return rewrite_addr(m->r, m->n, addr, m->hostname);
}

int
rewrite_header(const struct rewrite_conf *rc, const char *hostname,
    const char *f, size_t len, struct buf *out)
{
	struct map_arg	 m;
	struct buf	 v = { NULL, 0, 0 };
	const char	*colon;
	size_t		 nlen, vstart, vend;
	int		 rc2;

	if ((colon = memchr(f, ':', len)) == NULL)
		return 0;
	for (nlen = (size_t)(colon - f); nlen > 0 &&
	    (f[nlen - 1] == ' ' || f[nlen - 1] == '\t'); nlen--)
		;
	if (!rewrite_header_wanted(rc, f, nlen))
		return 0;
	m.hostname = hostname;
	if (field_kind(f, nlen) == 1) {
		m.r = rc->sender;
		m.n = rc->n_sender;
	} else {
		m.r = rc->recipient;
		m.n = rc->n_recipient;
	}
	vstart = (size_t)(colon - f) + 1;
	vend = len;
	if (vend >= vstart + 2 && f[vend - 2] == '\r' && f[vend - 1] == '\n')
		vend -= 2;
	rc2 = addrlist_rewrite(f + vstart, vend - vstart, map, &m, &v);
	if (rc2 == 1) {
		buf_add(out, f, vstart);
		buf_add(out, v.p, v.len);
		buf_add(out, f + vend, len - vend);
	}
	free(v.p);
	return rc2 == 1 ? 1 : 0;
}
