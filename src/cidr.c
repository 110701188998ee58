/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * cidr.c — parsing and matching of the networks in a listener's
 * relay_from.  Pure: no I/O, no globals.
 *
 * A client is "IPv4" when it connects over AF_INET or as an IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d, what a dual-stack "::" listener sees), so
 * the same relay_from entry covers it either way.  An IPv4 client matches
 * an IPv4 entry, or an IPv6 entry lying wholly inside ::ffff:0:0/96; a
 * native IPv6 client matches only IPv6 entries.  "::/0" is therefore every
 * IPv6 client and "0.0.0.0/0" every IPv4 client.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <string.h>

#include "cidr.h"

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Are the bits of addr beyond the first prefix bits all zero? */
static int
host_bits_clear(const uint8_t *addr, int len, int prefix)
{
	int	i;

	for (i = prefix / 8; i < len; i++) {
		uint8_t	keep = 0;

		if (i == prefix / 8 && prefix % 8 != 0)
			keep = (uint8_t)(0xff << (8 - prefix % 8));
		if (addr[i] & (uint8_t)~keep)
			return 0;
	}
	return 1;
}

/* Do the first prefix bits of a and b agree? */
static int
prefix_equal(const uint8_t *a, const uint8_t *b, int prefix)
{
	int	whole = prefix / 8, rest = prefix % 8;
	uint8_t	mask;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

int
cidr_parse(const char *s, struct cidr *out, const char **err)
{
	char		 buf[INET6_ADDRSTRLEN];
	const char	*slash, *p, *dummy;
	struct cidr	 c;
	size_t		 alen;
	int		 max, prefix;

	if (err == NULL)
		err = &dummy;
	if (s == NULL || *s == '\0') {
		*err = "empty network";
		return -1;
	}
	memset(&c, 0, sizeof(c));

	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0) {
		*err = "missing address";
		return -1;
	}
	if (alen >= sizeof(buf)) {
		*err = "invalid address";
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';

	/* inet_pton() refuses spaces, zones, leading zeros and short forms. */
	if (memchr(buf, ':', alen) != NULL) {
		c.family = AF_INET6;
		max = 128;
	} else {
		c.family = AF_INET;
		max = 32;
	}
	if (inet_pton(c.family, buf, c.addr) != 1) {
		*err = c.family == AF_INET6 ? "invalid IPv6 address" :
		    "invalid IPv4 address";
		return -1;
	}

	if (slash == NULL)
		prefix = max;
	else {
		p = slash + 1;
		if (*p == '\0') {
			*err = "missing prefix length after '/'";
			return -1;
		}
		prefix = 0;
		for (; *p != '\0'; p++) {
			if (*p < '0' || *p > '9') {
				*err = "invalid prefix length";
				return -1;
			}
			prefix = prefix * 10 + (*p - '0');
			if (prefix > max)
				break;
		}
		if (prefix > max) {
			*err = max == 32 ? "prefix length out of range (0-32)" :
			    "prefix length out of range (0-128)";
			return -1;
		}
	}
	if (!host_bits_clear(c.addr, max / 8, prefix)) {
		*err = "address has bits set beyond the prefix length";
		return -1;
	}
	c.prefix = prefix;
	*out = c;
	return 0;
}

int
cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	uint8_t			 v4[4], v6[16];
	int			 is_v4;

	if (c == NULL || sa == NULL)
		return 0;
	/* Copies, as the caller's storage need not be aligned for them. */
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		memcpy(v4, &sin.sin_addr, 4);
		is_v4 = 1;
		break;
	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		memcpy(v6, &sin6.sin6_addr, 16);
		is_v4 = memcmp(v6, v4mapped, sizeof(v4mapped)) == 0;
		if (is_v4)
			memcpy(v4, v6 + 12, 4);
		break;
	default:
		return 0;
	}

	if (c->family == AF_INET) {
		if (!is_v4 || c->prefix < 0 || c->prefix > 32)
			return 0;
		return prefix_equal(c->addr, v4, c->prefix);
	}
	if (c->family != AF_INET6 || c->prefix < 0 || c->prefix > 128)
		return 0;
	if (is_v4) {
		/* Only an entry inside ::ffff:0:0/96 speaks for IPv4. */
		if (c->prefix < 96 ||
		    memcmp(c->addr, v4mapped, sizeof(v4mapped)) != 0)
			return 0;
		return prefix_equal(c->addr + 12, v4, c->prefix - 96);
	}
	return prefix_equal(c->addr, v6, c->prefix);
}

int
cidr_match_any(const struct cidr *c, int n, const struct sockaddr *sa)
{
	int	i;

	if (c == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (cidr_match(&c[i], sa))
			return 1;
	return 0;
}
