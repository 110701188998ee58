/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dsn.c — owns the syntax of the DSN parameters (RFC 3461): xtext, RET,
 * NOTIFY, ENVID and ORCPT values, their canonical stored form and the
 * strings passed on to a next hop.  Pure: bytes in, values out.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dsn.h"

static const char hex[] = "0123456789ABCDEF";

/* The n octets at s are the literal, in any case. */
static bool
ncaseeq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* xchar: an octet that stands for itself in xtext. */
static bool
xchar(int c)
{
	return c >= 33 && c <= 126 && c != '+' && c != '=';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;	/* RFC 3461: upper-case hex only */
}

int
dsn_ret_parse(const char *s, size_t n, enum dsn_ret *ret)
{
	if (ncaseeq(s, n, "FULL"))
		*ret = DSN_RET_FULL;
	else if (ncaseeq(s, n, "HDRS"))
		*ret = DSN_RET_HDRS;
	else
		return -1;
	return 0;
}

const char *
dsn_ret_to_text(enum dsn_ret ret)
{
	return ret == DSN_RET_FULL ? "FULL" : ret == DSN_RET_HDRS ? "HDRS" :
	    "";
}

static const struct {
	const char	*name;
	unsigned	 bit;
} notify_names[] = {
	{ "SUCCESS",	DSN_NOTIFY_SUCCESS },
	{ "FAILURE",	DSN_NOTIFY_FAILURE },
	{ "DELAY",	DSN_NOTIFY_DELAY },
	{ "NEVER",	DSN_NOTIFY_NEVER },
};
#define NNOTIFY	(sizeof(notify_names) / sizeof(notify_names[0]))

int
dsn_notify_parse(const char *s, size_t n, unsigned *mask)
{
	const char	*e;
	size_t		 i, k;
	unsigned	 m = 0;

	for (;;) {
		e = memchr(s, ',', n);
		k = e == NULL ? n : (size_t)(e - s);
		for (i = 0; i < NNOTIFY; i++)
			if (ncaseeq(s, k, notify_names[i].name))
				break;
		if (i == NNOTIFY)
			return -1;	/* also an empty element */
		m |= notify_names[i].bit;
		if (e == NULL)
			break;
		s = e + 1;
		n -= k + 1;
	}
	/* NEVER stands alone (RFC 3461 4.1). */
	if ((m & DSN_NOTIFY_NEVER) && m != DSN_NOTIFY_NEVER)
		return -1;
	*mask = m;
	return 0;
}

void
dsn_notify_to_text(unsigned mask, char *buf, size_t size)
{
	size_t	i, len = 0;
	int	n;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < NNOTIFY; i++) {
		if (!(mask & notify_names[i].bit))
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len > 0 ? "," : "",
		    notify_names[i].name);
		if (n < 0 || (size_t)n >= size - len) {
			buf[len] = '\0';	/* no half word */
			return;
		}
		len += (size_t)n;
	}
}

int
dsn_xtext_canon(const char *s, size_t n, char *buf, size_t size)
{
	size_t	i, o = 0;
	int	c, hi, lo;

	if (n == 0 || size < n + 1)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			if (n - i < 3 || (hi = hexval(s[i + 1])) == -1 ||
			    (lo = hexval(s[i + 2])) == -1)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		} else if (!xchar(c))
			return -1;
		if (xchar(c))
			buf[o++] = (char)c;
		else {
			buf[o++] = '+';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}

char *
dsn_xtext_decode(const char *s, char *buf, size_t size)
{
	size_t	o = 0;
	int	c, hi, lo;

	if (size == 0)
		return buf;
	for (; *s != '\0' && o + 1 < size; s++) {
		c = (unsigned char)*s;
		if (c == '+' && (hi = hexval(s[1])) != -1 &&
		    (lo = hexval(s[2])) != -1) {
			c = hi * 16 + lo;
			s += 2;
		}
		buf[o++] = c == 0 ? ' ' : (char)c;
	}
	buf[o] = '\0';
	return buf;
}

int
dsn_envid_parse(const char *s, size_t n, char *buf)
{
	if (n > DSN_ENVID_MAX)
		return -1;
	return dsn_xtext_canon(s, n, buf, DSN_ENVID_MAX + 1);
}

/* addr-type = atom (RFC 5322 atext, ASCII only). */
static bool
atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int
dsn_orcpt_parse(const char *s, size_t n, char *buf)
{
	const char	*semi;
	size_t		 k, i;

	if (n > DSN_ORCPT_MAX || (semi = memchr(s, ';', n)) == NULL)
		return -1;
	k = (size_t)(semi - s);
	if (k == 0)
		return -1;
	for (i = 0; i < k; i++)
		if (!atext((unsigned char)s[i]))
			return -1;
	memcpy(buf, s, k + 1);
	return dsn_xtext_canon(semi + 1, n - k - 1, buf + k + 1,
	    DSN_ORCPT_MAX + 1 - (k + 1));
}

/* Is s (NUL-terminated) canonical xtext? */
static bool
canonical(const char *s)
{
	char	buf[DSN_ORCPT_MAX + 1];
	size_t	n = strlen(s);

	return n <= DSN_ORCPT_MAX && dsn_xtext_canon(s, n, buf,
	    sizeof(buf)) == 0 && strcmp(buf, s) == 0;
}

bool
dsn_envid_valid(const char *s)
{
	return strlen(s) <= DSN_ENVID_MAX && canonical(s);
}

bool
dsn_orcpt_valid(const char *s)
{
	char	buf[DSN_ORCPT_MAX + 1];
	size_t	n = strlen(s);

	return dsn_orcpt_parse(s, n, buf) == 0 && strcmp(buf, s) == 0;
}

void
dsn_mail_params(enum dsn_ret ret, const char *envid, char *buf,
    size_t size)
{
	snprintf(buf, size, "%s%s%s%s",
	    ret != DSN_RET_UNSPEC ? " RET=" : "", dsn_ret_to_text(ret),
	    envid != NULL ? " ENVID=" : "", envid != NULL ? envid : "");
}

void
dsn_rcpt_params(unsigned notify, const char *orcpt, char *buf,
    size_t size)
{
	char	n[sizeof("SUCCESS,FAILURE,DELAY,NEVER")];

	dsn_notify_to_text(notify, n, sizeof(n));
	snprintf(buf, size, "%s%s%s%s", notify != 0 ? " NOTIFY=" : "", n,
	    orcpt != NULL ? " ORCPT=" : "", orcpt != NULL ? orcpt : "");
}
