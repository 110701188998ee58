/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * cidr-t.c — cidr_parse(), cidr_match() and cidr_match_any(): both
 * families, bare addresses, host bits, prefix edges and IPv4-mapped clients.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "util.h"
#include "../tap.h"

/* A client address in a sockaddr_storage, as accept() would give it. */
static struct sockaddr_storage *
client(const char *ip, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(12345);
		if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) != 1)
			printf("# BAD TEST ADDRESS %s\n", ip);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(12345);
		if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1)
			printf("# BAD TEST ADDRESS %s\n", ip);
	}
	return ss;
}

static void
parse_ok(const char *s, int family, int prefix, const char *addr)
{
	struct cidr	 c;
	const char	*err = NULL;
	uint8_t		 want[16];
	char		 name[160];
	int		 r;

	memset(&c, 0xa5, sizeof(c));
	memset(want, 0, sizeof(want));
	inet_pton(family, addr, want);
	r = cidr_parse(s, &c, &err);
	snprintf(name, sizeof(name), "parse \"%s\"", s);
	is_int(r, 0, name);
	if (r != 0)
		printf("#   err: %s\n", err ? err : "(null)");
	snprintf(name, sizeof(name), "\"%s\" family", s);
	is_int(c.family, family, name);
	snprintf(name, sizeof(name), "\"%s\" prefix", s);
	is_int(c.prefix, prefix, name);
	snprintf(name, sizeof(name), "\"%s\" address", s);
	ok(memcmp(c.addr, want, family == AF_INET ? 4 : 16) == 0, name);
}

static void
parse_bad(const char *s, const char *want_err)
{
	struct cidr	 c, before;
	const char	*err = NULL;
	char		 name[160];

	memset(&c, 0xa5, sizeof(c));
	before = c;
	snprintf(name, sizeof(name), "reject \"%s\"", s ? s : "NULL");
	is_int(cidr_parse(s, &c, &err), -1, name);
	snprintf(name, sizeof(name), "\"%s\" error", s ? s : "NULL");
	is_str(err, want_err, name);
	snprintf(name, sizeof(name), "\"%s\" leaves output alone",
	    s ? s : "NULL");
	ok(memcmp(&c, &before, sizeof(c)) == 0, name);
}

/* Parse net (must succeed) and match ip against it. */
static void
match(const char *net, const char *ip, int want)
{
	struct sockaddr_storage	 ss;
	struct cidr		 c;
	const char		*err;
	char			 name[160];

	if (cidr_parse(net, &c, &err) != 0) {
		snprintf(name, sizeof(name), "test network %s parses", net);
		ok(0, name);
		return;
	}
	snprintf(name, sizeof(name), "%s %s %s", ip,
	    want ? "in" : "not in", net);
	is_int(cidr_match(&c, (struct sockaddr *)client(ip, &ss)), want, name);
}

int
main(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	 sun;
	struct cidr		 list[3];
	const char		*err;

	/* Parsing. */
	parse_ok("127.0.0.0/8", AF_INET, 8, "127.0.0.0");
	parse_ok("192.168.1.0/24", AF_INET, 24, "192.168.1.0");
	parse_ok("::1/128", AF_INET6, 128, "::1");
	parse_ok("::1", AF_INET6, 128, "::1");
	parse_ok("10.1.2.3", AF_INET, 32, "10.1.2.3");
	parse_ok("10.1.2.3/32", AF_INET, 32, "10.1.2.3");
	parse_ok("0.0.0.0/0", AF_INET, 0, "0.0.0.0");
	parse_ok("::/0", AF_INET6, 0, "::");
	parse_ok("2001:db8::/32", AF_INET6, 32, "2001:db8::");
	parse_ok("2001:DB8:0:FF00::/56", AF_INET6, 56, "2001:db8:0:ff00::");
	parse_ok("fe80::/10", AF_INET6, 10, "fe80::");
	parse_ok("10.128.0.0/9", AF_INET, 9, "10.128.0.0");
	parse_ok("172.16.0.0/12", AF_INET, 12, "172.16.0.0");
	parse_ok("::ffff:10.0.0.0/104", AF_INET6, 104, "::ffff:10.0.0.0");
	parse_ok("::ffff:0:0/96", AF_INET6, 96, "::ffff:0:0");

	parse_bad("", "empty network");
	parse_bad(NULL, "empty network");
	parse_bad("/8", "missing address");
	parse_bad("10.0.0.1/8", "address has bits set beyond the prefix length");
	parse_bad("192.168.1.1/24",
	    "address has bits set beyond the prefix length");
	parse_bad("10.128.0.0/8",
	    "address has bits set beyond the prefix length");
	parse_bad("10.192.0.0/9",
	    "address has bits set beyond the prefix length");
	parse_bad("1.0.0.0/0", "address has bits set beyond the prefix length");
	parse_bad("::1/127", "address has bits set beyond the prefix length");
	parse_bad("2001:db8::1/64",
	    "address has bits set beyond the prefix length");
	parse_bad("10.0.0.0/", "missing prefix length after '/'");
	parse_bad("::/", "missing prefix length after '/'");
	parse_bad("10.0.0.0/33", "prefix length out of range (0-32)");
	parse_bad("10.0.0.0/99999999999999999999",
	    "prefix length out of range (0-32)");
	parse_bad("::/129", "prefix length out of range (0-128)");
	parse_bad("10.0.0.0/-1", "invalid prefix length");
	parse_bad("10.0.0.0/8x", "invalid prefix length");
	parse_bad("10.0.0.0/ 8", "invalid prefix length");
	parse_bad("10.0.0.0/8/8", "invalid prefix length");
	parse_bad("10.0.0.0/0x8", "invalid prefix length");
	parse_bad("10.0.0/8", "invalid IPv4 address");
	parse_bad("10.0.0.256", "invalid IPv4 address");
	parse_bad("256.0.0.0/8", "invalid IPv4 address");
	parse_bad(" 10.0.0.0/8", "invalid IPv4 address");
	parse_bad("10.0.0.0 /8", "invalid IPv4 address");
	parse_bad("localhost", "invalid IPv4 address");
	parse_bad("garbage/8", "invalid IPv4 address");
	parse_bad("1:2:3:4:5:6:7:8:9", "invalid IPv6 address");
	parse_bad("::g", "invalid IPv6 address");
	parse_bad("fe80::1%eth0", "invalid IPv6 address");
	parse_bad("2001:db8:::/48", "invalid IPv6 address");
	parse_bad("[::1]", "invalid IPv6 address");
	parse_bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/8",
	    "invalid address");
	is_int(cidr_parse("1.2.3.4/33", &list[0], NULL), -1,
	    "NULL err tolerated");

	/* IPv4. */
	match("127.0.0.0/8", "127.0.0.1", 1);
	match("127.0.0.0/8", "127.255.255.255", 1);
	match("127.0.0.0/8", "128.0.0.1", 0);
	match("127.0.0.0/8", "126.255.255.255", 0);
	match("192.168.1.0/24", "192.168.1.77", 1);
	match("192.168.1.0/24", "192.168.2.77", 0);
	match("10.128.0.0/9", "10.200.0.1", 1);
	match("10.128.0.0/9", "10.127.255.255", 0);
	match("10.1.2.3", "10.1.2.3", 1);
	match("10.1.2.3", "10.1.2.4", 0);
	match("0.0.0.0/0", "1.2.3.4", 1);
	match("0.0.0.0/0", "255.255.255.255", 1);
	match("0.0.0.0/0", "::1", 0);
	match("0.0.0.0/0", "2001:db8::1", 0);

	/* IPv6. */
	match("::1/128", "::1", 1);
	match("::1/128", "::2", 0);
	match("::1", "::1", 1);
	match("2001:db8::/32", "2001:db8:ffff::1", 1);
	match("2001:db8::/32", "2001:db9::1", 0);
	match("fe80::/10", "febf::1", 1);
	match("fe80::/10", "fec0::1", 0);
	match("::/0", "2001:db8::1", 1);
	match("::/0", "::1", 1);
	match("::1/128", "127.0.0.1", 0);
	match("::/0", "10.0.0.1", 0);

	/* IPv4-mapped clients are IPv4. */
	match("127.0.0.0/8", "::ffff:127.0.0.1", 1);
	match("192.168.1.0/24", "::ffff:192.168.1.5", 1);
	match("192.168.1.0/24", "::ffff:192.168.9.5", 0);
	match("0.0.0.0/0", "::ffff:8.8.8.8", 1);
	match("::/0", "::ffff:8.8.8.8", 0);
	match("::1/128", "::ffff:0.0.0.1", 0);
	/* IPv4-compatible (::a.b.c.d) is not mapped: stays IPv6. */
	match("1.2.3.4", "::1.2.3.4", 0);
	/* Mapped entries speak for IPv4 clients of both kinds. */
	match("::ffff:10.0.0.0/104", "10.9.8.7", 1);
	match("::ffff:10.0.0.0/104", "11.9.8.7", 0);
	match("::ffff:10.0.0.0/104", "::ffff:10.9.8.7", 1);
	match("::ffff:0:0/96", "203.0.113.9", 1);
	match("::ffff:10.1.2.3", "10.1.2.3", 1);
	match("::ffff:10.1.2.3", "10.1.2.4", 0);
	/* A wider IPv6 entry is not a mapped one. */
	match("::fffe:0:0/95", "203.0.113.9", 0);
	match("::fffe:0:0/95", "::ffff:203.0.113.9", 0);
	match("::fffe:0:0/95", "::fffe:1:1", 1);

	/* A hand-built IPv6 entry wider than /96 over the mapped range is
	 * not a mapped entry (cidr_parse() cannot produce one). */
	memset(&list[0], 0, sizeof(list[0]));
	list[0].family = AF_INET6;
	list[0].prefix = 80;
	list[0].addr[10] = list[0].addr[11] = 0xff;
	is_int(cidr_match(&list[0], (struct sockaddr *)client("1.2.3.4", &ss)),
	    0, "hand-built ::ffff:0:0/80 does not speak for IPv4");
	is_int(cidr_match(&list[0], (struct sockaddr *)client("::1", &ss)),
	    1, "hand-built ::ffff:0:0/80 matches ::1 (first 80 bits zero)");
	list[0].prefix = 129;
	is_int(cidr_match(&list[0], (struct sockaddr *)client("::1", &ss)),
	    0, "hand-built prefix 129 matches nothing");
	list[0].family = AF_INET;
	list[0].prefix = -1;
	is_int(cidr_match(&list[0], (struct sockaddr *)client("1.2.3.4", &ss)),
	    0, "hand-built prefix -1 matches nothing");

	/* Other families and NULLs never match. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	cidr_parse("0.0.0.0/0", &list[0], &err);
	is_int(cidr_match(&list[0], (struct sockaddr *)&sun), 0,
	    "AF_UNIX never matches");
	is_int(cidr_match(&list[0], NULL), 0, "NULL address never matches");
	is_int(cidr_match(NULL, (struct sockaddr *)client("1.2.3.4", &ss)), 0,
	    "NULL entry never matches");

	/* Any of a list. */
	cidr_parse("127.0.0.0/8", &list[0], &err);
	cidr_parse("::1/128", &list[1], &err);
	cidr_parse("192.168.1.0/24", &list[2], &err);
	is_int(cidr_match_any(list, 3, (struct sockaddr *)client("127.0.0.1",
	    &ss)), 1, "any: first entry");
	is_int(cidr_match_any(list, 3, (struct sockaddr *)client("::1",
	    &ss)), 1, "any: second entry");
	is_int(cidr_match_any(list, 3, (struct sockaddr *)client(
	    "192.168.1.200", &ss)), 1, "any: third entry");
	is_int(cidr_match_any(list, 3, (struct sockaddr *)client(
	    "::ffff:192.168.1.200", &ss)), 1, "any: mapped third entry");
	is_int(cidr_match_any(list, 3, (struct sockaddr *)client("10.0.0.1",
	    &ss)), 0, "any: none");
	is_int(cidr_match_any(list, 2, (struct sockaddr *)client(
	    "192.168.1.200", &ss)), 0, "any: n limits the list");
	is_int(cidr_match_any(list, 0, (struct sockaddr *)client("127.0.0.1",
	    &ss)), 0, "any: empty list matches nothing");
	is_int(cidr_match_any(NULL, 0, (struct sockaddr *)client("127.0.0.1",
	    &ss)), 0, "any: NULL list matches nothing");

	/* The address as text, for logs and names (util.c's addr_text). */
	{
		char	txt[INET6_ADDRSTRLEN];

		is_int(addr_text((struct sockaddr *)client("192.0.2.1", &ss),
		    txt, sizeof(txt), false), AF_INET, "text: IPv4 family");
		is_str(txt, "192.0.2.1", "text: IPv4");
		is_int(addr_text((struct sockaddr *)client("2001:db8::1", &ss),
		    txt, sizeof(txt), true), AF_INET6, "text: IPv6 family");
		is_str(txt, "2001:db8::1", "text: IPv6");
		is_int(addr_text((struct sockaddr *)client("::ffff:192.0.2.7",
		    &ss), txt, sizeof(txt), false), AF_INET6,
		    "text: mapped, kept: IPv6 family");
		is_str(txt, "::ffff:192.0.2.7", "text: mapped, kept");
		is_int(addr_text((struct sockaddr *)client("::ffff:192.0.2.7",
		    &ss), txt, sizeof(txt), true), AF_INET,
		    "text: mapped, unmapped: IPv4 family");
		is_str(txt, "192.0.2.7", "text: mapped, unmapped");
		is_int(addr_text((struct sockaddr *)&sun, txt, sizeof(txt),
		    true), AF_UNSPEC, "text: AF_UNIX is no address");
		is_str(txt, "unknown", "text: AF_UNIX is unknown");
		is_int(addr_text((struct sockaddr *)client("2001:db8::1", &ss),
		    txt, 4, false), AF_UNSPEC, "text: too small a buffer");
		is_str(txt, "unk", "text: too small a buffer, cut");
	}

	return done_testing();
}
