/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * units-fuzz.c — libFuzzer harness for durations ("5m") and sizes ("25M")
 * and CIDR ("10.0.0.0/8"): any string either is refused with a reason or
 * gives a value in range; a parsed CIDR has no host bits and matches its
 * own network address.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "units.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_cidr(const char *s)
{
	struct cidr		 c;
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	const char		*err = NULL;
	int			 i, bytes;

	if (cidr_parse(s, &c, &err) != 0) {
		if (err == NULL || *err == '\0')
			abort();
		return;
	}
	bytes = c.family == AF_INET ? 4 : 16;
	if ((c.family != AF_INET && c.family != AF_INET6) || c.prefix < 0 ||
	    c.prefix > bytes * 8)
		abort();
	for (i = c.prefix; i < bytes * 8; i++)
		if (c.addr[i / 8] & (0x80 >> (i % 8)))
			abort();	/* host bits are refused */
	memset(&ss, 0, sizeof(ss));
	if (c.family == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, c.addr, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, c.addr, 16);
	}
	if (!cidr_match(&c, (struct sockaddr *)&ss))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		*s;
	char		 err[UNITS_ERRLEN];
	long		 secs = -1;
	uint64_t	 bytes = 0;

	/* A NUL-terminated exact copy; a NUL inside ends the string. */
	s = malloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	if (duration_parse(s, &secs, err) == 0) {
		if (secs <= 0)
			abort();
	} else if (*err == '\0')
		abort();
	err[0] = '\0';
	if (size_parse(s, &bytes, err) != 0 && *err == '\0')
		abort();
	check_cidr(s);
	free(s);
	return 0;
}
