/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * proxy_proto-fuzz.c — libFuzzer harness for proxy_parse(): any bytes
 * either ask for more (and then no more than the maximum was seen), are
 * refused with a reason, or give a header no longer than the input whose
 * addresses are of the family they claim; and a header cut anywhere before
 * its end never parses as complete.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy_proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct proxy_hdr	 h;
	const char		*err = NULL;
	size_t			 used = 0, used2;
	unsigned char		*copy;
	enum proxy_status	 st;

	/* An exact-size copy: ASan sees any read past len. */
	copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	st = proxy_parse(copy, len, &h, &used, &err);
	switch (st) {
	case PROXY_ERROR:
		if (err == NULL || *err == '\0')
			abort();
		break;
	case PROXY_MORE:
		if (len >= PROXY_V2_MAX)
			abort();
		break;
	case PROXY_DONE:
		if (used == 0 || used > len)
			abort();
		if (h.version != 1 && h.version != 2)
			abort();
		if (!h.local && (h.src.ss_family != h.dst.ss_family ||
		    (h.src.ss_family != AF_INET && h.src.ss_family != AF_INET6)))
			abort();
		/* The same header alone parses the same; cut short, never. */
		if (proxy_parse(copy, used, &h, &used2, &err) != PROXY_DONE ||
		    used2 != used)
			abort();
		if (proxy_parse(copy, used - 1, &h, &used2, &err) == PROXY_DONE)
			abort();
		break;
	default:
		abort();
	}
	free(copy);
	return 0;
}
