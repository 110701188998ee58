/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * inject.c — the pure part of smarthost-sendmail (see inject.h): address
 * lists, the header fixes, the sender, line splitting.  Nothing here
 * reads, writes or exits; sendmail.c does, and maps the errors returned
 * here to sendmail's exit codes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "incoming.h"
#include "inject.h"
#include "smtp_data.h"
#include "smtp_parse.h"
#include "util.h"

int
inject_rcpts_add(struct inject_rcpts *r, const char *addr)
{
	int	i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i], addr) == 0)
			return INJECT_OK;
	if (r->n >= INCOMING_RCPT_MAX)
		return INJECT_TOOMANY;
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	r->v[r->n++] = xstrdup(addr);
	return INJECT_OK;
}

void
inject_rcpts_clear(struct inject_rcpts *r)
{
	int	i;

	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

char *
inject_qualify(const char *addr, const char *hostname)
{
	char	*a;

	if (smtp_addr_domain(addr) == NULL && strchr(addr, '@') == NULL)
		a = xasprintf("%s@%s", addr, hostname);
	else
		a = xstrdup(addr);
	if (strlen(a) > SMTP_ADDR_MAX || smtp_addr_valid(a) == -1) {
		free(a);
		return NULL;
	}
	return a;
}

static int
add_mailbox(struct inject_rcpts *r, const char *text, size_t len,
    const char *hostname, char **bad)
{
	char	*raw, *a;
	size_t	 i;
	int	 ret;
	bool	 ctl = false;

	if (len == 0)
		return INJECT_OK;
	raw = xstrndup(text, len);
	if (raw[0] == '@' && (a = strchr(raw, ':')) != NULL)
		memmove(raw, a + 1, strlen(a + 1) + 1);	/* source route */
	/* A control character is refused, and shown as '?' in the error:
	 * turned into '?' (which is atext) it would make another address. */
	for (i = 0; raw[i] != '\0'; i++)
		if ((unsigned char)raw[i] < 0x20 || raw[i] == 0x7f) {
			raw[i] = '?';
			ctl = true;
		}
	if (ctl || (a = inject_qualify(raw, hostname)) == NULL) {
		*bad = raw;
		return INJECT_BAD;
	}
	ret = inject_rcpts_add(r, a);
	free(a);
	free(raw);
	return ret;
}

int
inject_addr_list(struct inject_rcpts *r, const char *s, const char *hostname,
    char **bad)
{
	char	*cur, *angle;
	size_t	 nc = 0, na = 0, len = strlen(s);
	int	 depth, ret = INJECT_OK;
	bool	 in_angle = false, have_angle = false, q;

	*bad = NULL;
	cur = xmalloc(len + 1);
	angle = xmalloc(len + 1);
	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == '(') {				/* comment */
			for (depth = 1, s++; *s != '\0' && depth > 0; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				else if (*s == '(')
					depth++;
				else if (*s == ')')
					depth--;
			}
			s--;
			continue;
		}
		if (c == '"') {				/* quoted string */
			char *b = in_angle ? angle : cur;
			size_t *n = in_angle ? &na : &nc;

			b[(*n)++] = c;
			for (q = true, s++; *s != '\0' && q; s++) {
				if (*s == '\\' && s[1] != '\0')
					b[(*n)++] = *s++;
				else if (*s == '"')
					q = false;
				b[(*n)++] = *s;
			}
			s--;
			continue;
		}
		if (in_angle) {
			if (c == '>')
				in_angle = false;
			else if (c != ' ' && c != '\t' && c != '\r' &&
			    c != '\n')
				angle[na++] = c;
			continue;
		}
		switch (c) {
		case '[':	/* a domain literal: "::" is no group */
			for (; *s != '\0' && *s != ']'; s++)
				cur[nc++] = *s;
			if (*s == '\0')
				s--;
			else
				cur[nc++] = *s;
			break;
		case '<':
			in_angle = have_angle = true;
			na = 0;
			break;
		case ':':			/* a group's name */
			nc = 0;
			break;
		case ',':
		case ';':
			ret = add_mailbox(r, have_angle ? angle : cur,
			    have_angle ? na : nc, hostname, bad);
			if (ret != INJECT_OK)
				goto done;
			nc = na = 0;
			have_angle = false;
			break;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			break;
		default:
			cur[nc++] = c;
		}
	}
	ret = add_mailbox(r, have_angle ? angle : cur, have_angle ? na : nc,
	    hostname, bad);
done:
	free(cur);
	free(angle);
	return ret;
}

bool
inject_field_is(const char *p, size_t len, const char *name)
{
	size_t	n = strlen(name), i;

	if (len <= n || strncasecmp(p, name, n) != 0)
		return false;
	for (i = n; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	return i < len && p[i] == ':';
}

/*
 * Bcc: is dropped from what is kept always, not only with -t: a Bcc:
 * header must never reach anybody.
 */
int
inject_filter_headers(const char *hdr, size_t len, bool tflag,
    struct inject_rcpts *r, const char *hostname, char **kept,
    size_t *keptlen, bool *has_from, char **bad)
{
	const char	*end = hdr + len;
	const char	*f, *fend, *nl, *colon;
	char		*out, *val;
	size_t		 flen, vlen, i;
	bool		 bcc, addrs;
	int		 ret;

	*bad = NULL;
	out = xmalloc(len + 1);
	*keptlen = 0;
	*has_from = false;
	for (f = hdr; f < end; f = fend) {
		/* A field: its first line and any continuation lines. */
		for (fend = f; fend < end; ) {
			nl = memchr(fend, '\n', end - fend);
			fend = nl != NULL ? nl + 1 : end;
			if (fend >= end || (*fend != ' ' && *fend != '\t'))
				break;
		}
		flen = fend - f;
		bcc = inject_field_is(f, flen, "bcc");
		addrs = bcc || inject_field_is(f, flen, "to") ||
		    inject_field_is(f, flen, "cc");
		if (inject_field_is(f, flen, "from"))
			*has_from = true;
		if (tflag && addrs && (colon = memchr(f, ':', flen)) != NULL) {
			vlen = fend - colon - 1;
			val = xmalloc(vlen + 1);
			memcpy(val, colon + 1, vlen);
			val[vlen] = '\0';
			/* A NUL would cut the value short: a blank instead. */
			for (i = 0; i < vlen; i++)
				if (val[i] == '\0')
					val[i] = ' ';
			ret = inject_addr_list(r, val, hostname, bad);
			free(val);
			if (ret != INJECT_OK) {
				free(out);
				*kept = NULL;
				*keptlen = 0;
				return ret;
			}
		}
		if (!bcc) {
			memcpy(out + *keptlen, f, flen);
			*keptlen += flen;
		}
	}
	out[*keptlen] = '\0';
	*kept = out;
	return INJECT_OK;
}

char *
inject_phrase(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	char		*out, *p;
	size_t		 len = strlen(name), i;
	bool		 atoms = true, high = false;

	for (i = 0; i < len; i++) {
		if (s[i] >= 0x80)
			high = true;
		else if (!(s[i] == ' ' || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", s[i])))
			atoms = false;
	}
	if (high) {
		p = base64_encode(name, len);
		out = xasprintf("=?UTF-8?B?%s?=", p);
		free(p);
		return out;
	}
	if (atoms)
		return xstrdup(name);
	out = p = xmalloc(2 * len + 3);
	*p++ = '"';
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			*p++ = '\\';
		*p++ = s[i];
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

char *
inject_clean_name(const char *name)
{
	char	*s = xstrdup(name), *e;
	size_t	 i;

	str_ctl_to(s, ' ');
	for (e = s + strlen(s); e > s && e[-1] == ' '; e--)
		e[-1] = '\0';
	for (i = 0; s[i] == ' '; i++)
		;
	memmove(s, s + i, strlen(s + i) + 1);
	if (strlen(s) > 200)
		s[200] = '\0';		/* a name, not a novel */
	return s;
}

char *
inject_gecos_name(const char *gecos)
{
	char	*g, *c;

	if (gecos == NULL || gecos[0] == '\0')
		return NULL;
	g = xstrdup(gecos);
	if ((c = strchr(g, ',')) != NULL)
		*c = '\0';
	return g;
}

char *
inject_sender(const char *given, const char *hostname, char **bad)
{
	char	*s, *a;
	size_t	 n;

	*bad = NULL;
	s = xstrdup(given);
	n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	if (s[0] == '\0')
		return s;
	if ((a = inject_qualify(s, hostname)) == NULL) {
		*bad = s;
		return NULL;
	}
	free(s);
	return a;
}

/* Append add to *buf, freeing add. */
static void
append(char **buf, char *add)
{
	char	*joined;

	joined = xasprintf("%s%s", *buf, add);
	free(add);
	free(*buf);
	*buf = joined;
}

/* As the server adds Message-ID and Date, at the end of the section. */
char *
inject_added_headers(const struct hdr_scan *hs, bool has_from,
    const char *sender, const char *fullname, const char *hostname,
    time_t t, const char *rnd)
{
	char		*out = xstrdup(""), *ph, date[64], stamp[32];
	struct tm	 tm;

	if (!has_from && sender[0] != '\0') {
		if (fullname != NULL && fullname[0] != '\0') {
			ph = inject_phrase(fullname);
			append(&out, xasprintf("From: %s <%s>\r\n", ph,
			    sender));
			free(ph);
		} else
			append(&out, xasprintf("From: %s\r\n", sender));
	}
	if (!hs->has_message_id) {
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		append(&out, xasprintf("Message-ID: <%s.%s@%s>\r\n", stamp,
		    rnd, hostname));
	}
	if (!hs->has_date) {
		rfc5322_date(t, date, sizeof(date));
		append(&out, xasprintf("Date: %s\r\n", date));
	}
	if (hs->need_blank)
		append(&out, xstrdup("\r\n"));
	return out;
}

size_t
inject_line_take(struct inject_line *l, const char *in, size_t len,
    char *seg, size_t segcap, bool *done, bool *eol)
{
	size_t	off = 0;
	char	c;

	*done = *eol = false;
	while (off < len) {
		c = in[off];
		if (l->cr) {
			l->cr = false;
			if (c == '\n') {
				off++;
				continue;
			}
		}
		off++;
		if (c == '\r' || c == '\n') {
			l->cr = c == '\r';
			*done = *eol = true;
			return off;
		}
		seg[l->n++] = c;
		if (l->n >= segcap) {
			*done = true;
			return off;
		}
	}
	return off;
}

bool
inject_lone_dot(bool iflag, bool at_bol, const char *seg, size_t n, bool eol)
{
	return !iflag && at_bol && eol && n == 1 && seg[0] == '.';
}
