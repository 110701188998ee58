/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sts_policy.c — owns the MTA-STS grammar (RFC 8461 3.1, 3.2, 4.1): the
 * TXT record, the policy text, MX pattern matching and the cache file's
 * text.  Everything here comes from the network or the disk and is
 * treated as hostile: lengths are explicit (a NUL octet is just an invalid
 * octet), nothing is read past len, and every error is a return value.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts_policy.h"
#include "util.h"

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 8461's field names: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" /
 * "."); the length of the one at s, or 0. */
static size_t
name_len(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || !is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < len && i < 33; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			break;
	/* A 34th name octet makes it no name at all. */
	if (i == 33 && i < len && (is_alnum((unsigned char)s[i]) ||
	    s[i] == '_' || s[i] == '-' || s[i] == '.'))
		return 0;
	return i;
}

static bool
field_is(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(s, name, n) == 0;
}

/*
 * One candidate record: "v=STSv1" 1*(*WSP ";" *WSP field) [*WSP ";" *WSP],
 * field being "id=" 1*32(ALPHA / DIGIT) or name "=" 1*(%x21-3A / %x3C /
 * %x3E-7E).  The first id is the record's.
 */
static int
txt_one(const char *s, size_t len, char id[STS_ID_MAX + 1], char *err,
    size_t errlen)
{
	size_t	i = 7, n, v, fields = 0;
	bool	have_id = false;

	for (;;) {
		while (i < len && is_wsp((unsigned char)s[i]))
			i++;
		if (i == len)
			break;
		if (s[i] != ';') {
			snprintf(err, errlen, "TXT record: \";\" expected at "
			    "offset %zu", i);
			return -1;
		}
		i++;
		while (i < len && is_wsp((unsigned char)s[i]))
			i++;
		if (i == len)
			break;		/* a trailing delimiter */
		if ((n = name_len(s + i, len - i)) == 0 || i + n >= len ||
		    s[i + n] != '=') {
			snprintf(err, errlen, "TXT record: malformed field at "
			    "offset %zu", i);
			return -1;
		}
		v = i + n + 1;
		if (field_is(s + i, n, "id")) {
			for (i = v; i < len && is_alnum((unsigned char)s[i]);
			    i++)
				;
			if (i == v || i - v > STS_ID_MAX) {
				snprintf(err, errlen, "TXT record: id must be "
				    "1 to %d letters and digits", STS_ID_MAX);
				return -1;
			}
			if (!have_id) {
				memcpy(id, s + v, i - v);
				id[i - v] = '\0';
				have_id = true;
			}
		} else {
			for (i = v; i < len && (unsigned char)s[i] >= 0x21 &&
			    (unsigned char)s[i] <= 0x7e && s[i] != ';' &&
			    s[i] != '='; i++)
				;
			if (i == v) {
				snprintf(err, errlen, "TXT record: empty value "
				    "at offset %zu", v);
				return -1;
			}
		}
		fields++;
	}
	if (fields == 0 || !have_id) {
		snprintf(err, errlen, "TXT record: no id");
		return -1;
	}
	return 1;
}

int
sts_txt_parse(const char *const *txt, const int *len, int n,
    char id[STS_ID_MAX + 1], char *err, size_t errlen)
{
	int	i, found = -1, count = 0;

	for (i = 0; i < n; i++) {
		/* "v=STSv1" then the end, blanks or ";": ours. */
		if (len[i] < 7 || memcmp(txt[i], "v=STSv1", 7) != 0 ||
		    (len[i] > 7 && txt[i][7] != ';' &&
		    !is_wsp((unsigned char)txt[i][7])))
			continue;
		found = i;
		count++;
	}
	if (count == 0)
		return 0;
	if (count > 1) {
		snprintf(err, errlen, "%d v=STSv1 TXT records, not one", count);
		return -1;
	}
	return txt_one(txt[found], (size_t)len[found], id, err, errlen);
}

/* Is s an RFC 5321 Domain (letters, digits and inner hyphens in labels of
 * at most 63, at most 253 in all)?  0 or -1. */
static int
domain_check(const char *s, size_t len)
{
	size_t	i, label = 0;

	if (len == 0 || len > 253)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			/* No empty label, none ending in '-'. */
			if (label == 0 || s[i - 1] == '-')
				return -1;
			label = 0;
			continue;
		}
		if (!is_alnum((unsigned char)s[i]) &&
		    !(s[i] == '-' && label > 0))
			return -1;
		if (++label > 63)
			return -1;
	}
	return label == 0 || s[len - 1] == '-' ? -1 : 0;
}

static void
policy_add_mx(struct sts_policy *p, const char *s, size_t len)
{
	p->mx = xreallocarray(p->mx, p->n_mx + 1, sizeof(*p->mx));
	p->mx[p->n_mx++] = lowercase(xstrndup(s, len));
}

/* max_age: 1*10DIGIT; above a year it counts as a year. */
static int
max_age_parse(const char *s, size_t len, long *out)
{
	long	v = 0;
	size_t	i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v <= STS_MAX_AGE_MAX)
			v = v * 10 + (s[i] - '0');
	}
	*out = v > STS_MAX_AGE_MAX ? STS_MAX_AGE_MAX : v;
	return 0;
}

/* Whether this line is the first of its field (bit in *seen, then set):
 * a field other than mx counts once, the first (RFC 8461 3.2). */
static bool
field_first(unsigned *seen, unsigned bit)
{
	if (*seen & bit)
		return false;
	*seen |= bit;
	return true;
}

/* A policy line's error, "policy line N: what", into err: -1. */
static int
line_err(char *err, size_t errlen, int lineno, const char *what)
{
	snprintf(err, errlen, "policy line %d: %s", lineno, what);
	return -1;
}

/* One "name:" *WSP value line (the line end already cut off). */
static int
policy_line(struct sts_policy *p, const char *s, size_t len, unsigned *seen,
    char *err, size_t errlen, int lineno)
{
	size_t	n, v, vlen, i;

	if ((n = name_len(s, len)) == 0 || n >= len || s[n] != ':') {
		return line_err(err, errlen, lineno, "not \"name: value\"");
	}
	for (v = n + 1; v < len && is_wsp((unsigned char)s[v]); v++)
		;
	for (vlen = len - v; vlen > 0 && is_wsp((unsigned char)s[v +
	    vlen - 1]); vlen--)
		;
	for (i = v; i < v + vlen; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return line_err(err, errlen, lineno, "control "
			    "character in the value");
	if (vlen == 0)
		return line_err(err, errlen, lineno, "empty value");
	s += v;
	if (field_is(s - v, n, "version")) {
		if (!field_first(seen, 1))
			return 0;
		if (vlen != 5 || memcmp(s, "STSv1", 5) != 0)
			return line_err(err, errlen, lineno, "version is not "
			    "STSv1");
	} else if (field_is(s - v, n, "mode")) {
		if (!field_first(seen, 2))
			return 0;
		if (vlen == 7 && memcmp(s, "enforce", 7) == 0)
			p->mode = STS_MODE_ENFORCE;
		else if (vlen == 7 && memcmp(s, "testing", 7) == 0)
			p->mode = STS_MODE_TESTING;
		else if (vlen == 4 && memcmp(s, "none", 4) == 0)
			p->mode = STS_MODE_NONE;
		else
			return line_err(err, errlen, lineno, "mode is not "
			    "enforce, testing or none");
	} else if (field_is(s - v, n, "max_age")) {
		if (!field_first(seen, 4))
			return 0;
		if (max_age_parse(s, vlen, &p->max_age) == -1)
			return line_err(err, errlen, lineno, "max_age is not "
			    "1 to 10 digits");
	} else if (field_is(s - v, n, "mx")) {
		if (domain_check(vlen > 2 && s[0] == '*' && s[1] == '.' ?
		    s + 2 : s, vlen > 2 && s[0] == '*' && s[1] == '.' ?
		    vlen - 2 : vlen) == -1)
			return line_err(err, errlen, lineno, "mx is not a "
			    "host name or \"*.\" and one");
		policy_add_mx(p, s, vlen);
	}
	/* Other fields are extensions: ignored (RFC 8461 3.2). */
	return 0;
}

int
sts_policy_parse(const char *text, size_t len, struct sts_policy *p,
    char *err, size_t errlen)
{
	const char	*line;
	size_t		 llen, off = 0;
	unsigned	 seen = 0;
	int		 lineno = 0;

	memset(p, 0, sizeof(*p));
	if (len > STS_POLICY_MAX) {
		snprintf(err, errlen, "policy over %d octets", STS_POLICY_MAX);
		return -1;
	}
	while (util_line(text, len, &off, &line, &llen)) {
		lineno++;
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		/* Blank lines are tolerated: refusing a policy for one
		 * would only ever weaken the delivery. */
		if (llen == 0)
			continue;
		if (policy_line(p, line, llen, &seen, err, errlen,
		    lineno) == -1)
			goto fail;
	}
	if (!(seen & 1)) {
		snprintf(err, errlen, "policy has no version");
		goto fail;
	}
	if (!(seen & 2)) {
		snprintf(err, errlen, "policy has no mode");
		goto fail;
	}
	if (!(seen & 4)) {
		snprintf(err, errlen, "policy has no max_age");
		goto fail;
	}
	if (p->mode != STS_MODE_NONE && p->n_mx == 0) {
		snprintf(err, errlen, "policy in mode %s has no mx",
		    sts_mode_to_text(p->mode));
		goto fail;
	}
	return 0;

fail:
	sts_policy_clear(p);
	return -1;
}

void
sts_policy_clear(struct sts_policy *p)
{
	strv_free(p->mx, (size_t)p->n_mx);
	memset(p, 0, sizeof(*p));
}

void
sts_policy_copy(struct sts_policy *dst, const struct sts_policy *src)
{
	int	i;

	*dst = *src;
	dst->mx = NULL;
	if (src->n_mx > 0) {
		dst->mx = xcalloc((size_t)src->n_mx, sizeof(*dst->mx));
		for (i = 0; i < src->n_mx; i++)
			dst->mx[i] = xstrdup(src->mx[i]);
	}
}

bool
sts_policy_match(const struct sts_policy *p, const char *host)
{
	const char	*pat, *dot;
	size_t		 hlen = strlen(host);
	int		 i;

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (hlen == 0)
		return false;
	for (i = 0; i < p->n_mx; i++) {
		pat = p->mx[i];
		if (pat[0] == '*' && pat[1] == '.') {
			/* One label, not empty, before the rest. */
			dot = memchr(host, '.', hlen);
			if (dot == NULL || dot == host)
				continue;
			if ((size_t)(host + hlen - dot) == strlen(pat + 1) &&
			    strncasecmp(dot, pat + 1, strlen(pat + 1)) == 0)
				return true;
			continue;
		}
		if (strlen(pat) == hlen && strncasecmp(host, pat, hlen) == 0)
			return true;
	}
	return false;
}

const char *
sts_mode_to_text(enum sts_mode m)
{
	switch (m) {
	case STS_MODE_ENFORCE:
		return "enforce";
	case STS_MODE_TESTING:
		return "testing";
	case STS_MODE_NONE:
		break;
	}
	return "none";
}

char *
sts_cache_text(const struct sts_policy *p, const char *id, time_t fetched)
{
	struct buf	b = { NULL, 0, 0 };
	int		i;

	buf_printf(&b, "id: %s\nfetched: %lld\nversion: STSv1\nmode: %s\n"
	    "max_age: %ld\n", id, (long long)fetched,
	    sts_mode_to_text(p->mode), p->max_age);
	for (i = 0; i < p->n_mx; i++)
		buf_printf(&b, "mx: %s\n", p->mx[i]);
	return b.p;
}

/* The line "name: value\n" at *off: value's extent, *off moved past. */
static int
cache_header(const char *text, size_t len, size_t *off, const char *name,
    const char **val, size_t *vlen)
{
	size_t		 n = strlen(name), llen, start = *off;
	const char	*line;

	if (!util_line(text, len, off, &line, &llen) || llen < n + 2 ||
	    memcmp(line, name, n) != 0 || line[n] != ':' || line[n + 1] != ' ' ||
	    *off - start == llen)		/* no "\n": a cut file */
		return -1;
	*val = line + n + 2;
	*vlen = llen - n - 2;
	return 0;
}

int
sts_cache_text_parse(const char *text, size_t len, struct sts_policy *p,
    char id[STS_ID_MAX + 1], time_t *fetched, char *err, size_t errlen)
{
	const char	*v;
	size_t		 vlen, i, off = 0;
	long long	 t = 0;

	memset(p, 0, sizeof(*p));
	if (cache_header(text, len, &off, "id", &v, &vlen) == -1 ||
	    vlen == 0 || vlen > STS_ID_MAX) {
		snprintf(err, errlen, "cache: no id line");
		return -1;
	}
	for (i = 0; i < vlen; i++)
		if (!is_alnum((unsigned char)v[i])) {
			snprintf(err, errlen, "cache: bad id");
			return -1;
		}
	memcpy(id, v, vlen);
	id[vlen] = '\0';
	if (cache_header(text, len, &off, "fetched", &v, &vlen) == -1 ||
	    vlen == 0 || vlen > 18) {
		snprintf(err, errlen, "cache: no fetched line");
		return -1;
	}
	for (i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9') {
			snprintf(err, errlen, "cache: bad fetched time");
			return -1;
		}
		t = t * 10 + (v[i] - '0');
	}
	*fetched = (time_t)t;
	return sts_policy_parse(text + off, len - off, p, err, errlen);
}
