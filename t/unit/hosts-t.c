/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * hosts-t.c — unit tests for hosts.c: the hosts(5) format (comments,
 * aliases, blanks and tabs, CRLF, bad lines skipped), lookups that are
 * case-insensitive, ignore a final dot, give IPv4 before IPv6 in file
 * order without duplicates, and stay within max.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "hosts.h"
#include "../tap.h"

static const char *
text_of(const struct sockaddr_storage *ss)
{
	static char	buf[4][INET6_ADDRSTRLEN];
	static int	k;
	char		*b = buf[k++ % 4];

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    b, INET6_ADDRSTRLEN);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, b,
		    INET6_ADDRSTRLEN);
	else
		snprintf(b, INET6_ADDRSTRLEN, "family %d", ss->ss_family);
	return b;
}

int
main(void)
{
	static const char file[] =
	    "# The hosts file\n"
	    "127.0.0.1\tlocalhost\n"
	    "::1 localhost ip6-localhost ip6-loopback\n"
	    "\n"
	    "   # indented comment\n"
	    "192.168.1.10  nas.lan NAS   # the box in the cupboard\r\n"
	    "192.168.1.11 mail.lan. relay\n"
	    "2001:db8::25 mail.lan\n"
	    "192.168.1.12 mail.lan\n"
	    "192.168.1.11 mail.lan\n"
	    "not-an-address bogus.lan\n"
	    "10.0.0.1\n"
	    "10.0.0.2 bad/name ok.lan\n"
	    "fe80::1%eth0 zoned.lan\n"
	    "10.0.0.3 last.lan";	/* no final newline */
	struct hosts		*h = hosts_parse(file, sizeof(file) - 1);
	struct sockaddr_storage	 a[8];
	int			 n;

	n = hosts_lookup(h, "localhost", a, 8);
	is_int(n, 2, "localhost: IPv4 and IPv6");
	is_str(text_of(&a[0]), "127.0.0.1", "localhost: IPv4 first");
	is_str(text_of(&a[1]), "::1", "localhost: then IPv6");
	is_int(((struct sockaddr_in *)&a[0])->sin_port, 0, "port 0");

	n = hosts_lookup(h, "NAS.Lan", a, 8);
	is_int(n, 1, "case-insensitive name");
	is_str(text_of(&a[0]), "192.168.1.10", "nas.lan address");
	is_int(hosts_lookup(h, "nas", a, 8), 1, "an alias (NAS) is a name");
	is_int(hosts_lookup(h, "cupboard", a, 8), 0,
	    "a word in a comment is not a name");

	n = hosts_lookup(h, "mail.lan.", a, 8);
	is_int(n, 3, "mail.lan: three addresses, the repeated one once");
	is_str(text_of(&a[0]), "192.168.1.11", "file order: first");
	is_str(text_of(&a[1]), "192.168.1.12", "file order: second");
	is_str(text_of(&a[2]), "2001:db8::25", "IPv6 after IPv4");
	is_int(hosts_lookup(h, "mail.lan", a, 2), 2, "at most max");
	is_int(hosts_lookup(h, "relay", a, 8), 1, "alias after a dotted name");

	is_int(hosts_lookup(h, "bogus.lan", a, 8), 0,
	    "a line with a bad address is skipped");
	is_int(hosts_lookup(h, "bad/name", a, 8), 0, "a bad name is skipped");
	is_int(hosts_lookup(h, "ok.lan", a, 8), 1,
	    "the good names of that line are kept");
	is_int(hosts_lookup(h, "zoned.lan", a, 8), 0,
	    "an address with a zone is skipped");
	is_int(hosts_lookup(h, "last.lan", a, 8), 1, "last line without newline");
	is_int(hosts_lookup(h, "unknown.lan", a, 8), 0, "unknown name");
	is_int(hosts_lookup(h, "", a, 8), 0, "empty name");
	is_int(hosts_lookup(h, ".", a, 8), 0, "just a dot");
	is_int(hosts_lookup(NULL, "localhost", a, 8), 0, "no table");
	hosts_free(h);

	/* Empty, NULs, an overlong line. */
	h = hosts_parse("", 0);
	is_int(hosts_lookup(h, "localhost", a, 8), 0, "empty file");
	hosts_free(h);
	{
		static const char nul[] = "10.1.1.1 a.lan\0 b.lan\n10.1.1.2 c.lan\n";
		char	 big[9000];

		h = hosts_parse(nul, sizeof(nul) - 1);
		is_int(hosts_lookup(h, "a.lan", a, 8), 1, "NUL: before it kept");
		is_int(hosts_lookup(h, "b.lan", a, 8), 0, "NUL ends the line");
		is_int(hosts_lookup(h, "c.lan", a, 8), 1, "next line read");
		hosts_free(h);
		memset(big, 'x', sizeof(big));
		memcpy(big, "10.1.1.3 ", 9);
		memcpy(big + sizeof(big) - 20, "\n10.1.1.4 long.lan\n", 19);
		h = hosts_parse(big, sizeof(big) - 1);
		is_int(hosts_lookup(h, "long.lan", a, 8), 1,
		    "after an overlong line");
		hosts_free(h);
	}
	hosts_free(NULL);
	return done_testing();
}
