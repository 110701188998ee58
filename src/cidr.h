/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * cidr.h — pure CIDR parsing and matching for relay_from.
 */
#ifndef SMARTHOSTD_CIDR_H
#define SMARTHOSTD_CIDR_H

#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int	family;		/* AF_INET or AF_INET6 */
	uint8_t	addr[16];	/* network byte order, 4 or 16 bytes used */
	int	prefix;		/* 0..32 or 0..128 */
};

/*
 * Parse "a.b.c.d/n", "x::y/n", or a bare address (full-length prefix).
 * Host bits beyond the prefix are an error ("10.0.0.1/8" is rejected, as a
 * likely typo).  Returns 0, or -1 with a reason in *err.
 */
int	cidr_parse(const char *s, struct cidr *out, const char **err);

/*
 * Does the socket address match?  An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is matched as its IPv4 address.
 */
int	cidr_match(const struct cidr *, const struct sockaddr *);

/* Match against any of n entries. */
int	cidr_match_any(const struct cidr *, int n, const struct sockaddr *);

#endif
