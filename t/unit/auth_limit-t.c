/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth_limit-t.c — the per-address limit on failed AUTH (#19 item 5):
 * window, penalty, success not counted, IPv6 per /64, bounded table.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "auth_limit.h"
#include "../tap.h"

int
main(void)
{
	struct auth_limit_conf	 c = { 3, 600, 900 };
	struct auth_limit	*al = auth_limit_new();
	struct sockaddr_in6	 s6;
	struct sockaddr_in	 s4;
	char			 k[AUTH_LIMIT_KEY_MAX], k2[AUTH_LIMIT_KEY_MAX];
	time_t			 t = 1000000;
	int			 i;

	ok(auth_limit_begin(al, &c, "a", t), "1st attempt");
	ok(auth_limit_begin(al, &c, "a", t + 1), "2nd attempt");
	auth_limit_success(al, "a");
	ok(auth_limit_begin(al, &c, "a", t + 2), "3rd: a success is not counted");
	ok(auth_limit_begin(al, &c, "a", t + 3), "4th (3rd failure)");
	ok(!auth_limit_begin(al, &c, "a", t + 4), "then refused");
	is_int(auth_limit_wait(al, &c, "a", t + 4), 900, "penalty 900 s");
	ok(auth_limit_begin(al, &c, "b", t + 4), "another address may try");
	ok(!auth_limit_begin(al, &c, "a", t + 4 + 899), "still in the penalty");
	ok(auth_limit_begin(al, &c, "a", t + 4 + 900), "penalty over");
	is_int(auth_limit_wait(al, &c, "a", t + 904), 0, "no wait after it");

	ok(auth_limit_begin(al, &c, "w", t), "window: 1");
	ok(auth_limit_begin(al, &c, "w", t + 1), "window: 2");
	ok(auth_limit_begin(al, &c, "w", t + 700), "window over: counts again");
	ok(auth_limit_begin(al, &c, "w", t + 701), "window: 2 in the new one");

	c.max = 0;
	for (i = 0; i < 100; i++)
		if (!auth_limit_begin(al, &c, "z", t))
			break;
	is_int(i, 100, "max = 0: no limit");
	c.max = 3;

	/* More addresses than the table holds: bounded, still works. */
	for (i = 0; i < AUTH_LIMIT_ENTRIES + 10; i++) {
		snprintf(k, sizeof(k), "10.%d.%d.%d", i >> 16 & 255,
		    i >> 8 & 255, i & 255);
		auth_limit_begin(al, &c, k, t + 2000 + i);
	}
	ok(auth_limit_begin(al, &c, "new", t + 99999), "table full: a new one fits");

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1:2:aaaa::1", &s6.sin6_addr);
	auth_limit_key((struct sockaddr *)&s6, k, sizeof(k));
	inet_pton(AF_INET6, "2001:db8:1:2:bbbb::7", &s6.sin6_addr);
	auth_limit_key((struct sockaddr *)&s6, k2, sizeof(k2));
	is_str(k, "2001:db8:1:2::/64", "IPv6: the /64");
	is_str(k, k2, "IPv6: one key per /64");
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
	auth_limit_key((struct sockaddr *)&s6, k, sizeof(k));
	is_str(k, "192.0.2.7", "IPv4-mapped: the IPv4 address");
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.3", &s4.sin_addr);
	auth_limit_key((struct sockaddr *)&s4, k, sizeof(k));
	is_str(k, "198.51.100.3", "IPv4");

	auth_limit_free(al);
	return done_testing();
}
