/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * hosts-fuzz.c — libFuzzer harness for hosts.c: any text parses into a
 * table, and a lookup of any name (the input's first line) returns at most
 * max addresses, each IPv4 or IPv6; never a crash or a read past len.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sockaddr_storage	 a[4];
	struct hosts		*h;
	char			*copy, name[256];
	size_t			 nl;
	int			 n;

	/* An exact-size copy: ASan sees any read past len. */
	copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	h = hosts_parse(copy, len);
	for (nl = 0; nl < len && nl < sizeof(name) - 1 && copy[nl] != '\n'; nl++)
		name[nl] = copy[nl];
	name[nl] = '\0';
	n = hosts_lookup(h, name, a, 4);
	if (n < 0 || n > 4)
		abort();
	for (int i = 0; i < n; i++)
		if (a[i].ss_family != AF_INET && a[i].ss_family != AF_INET6)
			abort();
	hosts_free(h);
	free(copy);
	return 0;
}
