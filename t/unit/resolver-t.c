/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * resolver-t.c — the pure part of resolver.c: resolver_literal(), which
 * says what the smtp relayer's hosts, mx_list addresses and the mx
 * relayer's domain-literal next hops mean as addresses.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <string.h>

#include "resolver.h"
#include "../tap.h"

/* The address resolver_literal() found, as text, or "no". */
static const char *
lit(const char *s)
{
	static char		 buf[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0xa5, sizeof(ss));
	if (!resolver_literal(s, &ss))
		return ss.ss_family == 0 || ss.ss_family == 0xa5a5 ?
		    "no" : "no, but family set";
	if (ss.ss_family == AF_INET) {
		if (sin->sin_port != 0)
			return "port not 0";
		strcpy(buf, "4 ");
		inet_ntop(AF_INET, &sin->sin_addr, buf + 2, sizeof(buf) - 2);
	} else if (ss.ss_family == AF_INET6) {
		if (sin6->sin6_port != 0)
			return "port not 0";
		strcpy(buf, "6 ");
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf + 2,
		    sizeof(buf) - 2);
	} else
		return "bad family";
	return buf;
}

int
main(void)
{
	char	long_name[300];

	is_str(lit("192.0.2.1"), "4 192.0.2.1", "bare IPv4");
	is_str(lit("2001:db8::1"), "6 2001:db8::1", "bare IPv6");
	is_str(lit("[192.0.2.1]"), "4 192.0.2.1", "IPv4 domain literal");
	is_str(lit("[IPv6:2001:db8::1]"), "6 2001:db8::1",
	    "IPv6 domain literal");
	is_str(lit("[ipv6:2001:DB8::1]"), "6 2001:db8::1",
	    "IPv6 tag in lower case (route.c lower-cases next hops)");
	is_str(lit("[IPV6:::1]"), "6 ::1", "IPv6 tag in upper case");
	is_str(lit("[::1]"), "6 ::1", "bracketed IPv6 without its tag");
	is_str(lit("[IPv6:192.0.2.1]"), "no", "IPv6 tag with an IPv4 address");
	is_str(lit("mx.example.com"), "no", "a host name");
	is_str(lit("[mx.example.com]"), "no", "a bracketed host name");
	is_str(lit("[192.0.2.1"), "no", "no closing bracket");
	is_str(lit("192.0.2.1]"), "no", "no opening bracket");
	is_str(lit("[]"), "no", "empty brackets");
	is_str(lit("[IPv6:]"), "no", "empty IPv6 literal");
	is_str(lit(""), "no", "empty string");
	is_str(lit("[300.1.2.3]"), "no", "octet out of range");
	is_str(lit("[192.0.2.1] "), "no", "trailing space");
	is_str(lit("[ 192.0.2.1]"), "no", "leading space inside");
	is_str(lit("[IPv6:2001:db8::zz]"), "no", "not hex");
	memset(long_name, '1', sizeof(long_name) - 1);
	long_name[0] = '[';
	long_name[sizeof(long_name) - 2] = ']';
	long_name[sizeof(long_name) - 1] = '\0';
	is_str(lit(long_name), "no", "longer than any address");
	return done_testing();
}
