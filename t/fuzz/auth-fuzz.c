/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth-fuzz.c — libFuzzer harness for the SASL decoding of server AUTH:
 * auth_b64_decode never writes past its bound and its length agrees with
 * the output; PLAIN and LOGIN either refuse or give NUL-free names within
 * their limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char		*in, user[AUTH_NAME_MAX + 1], pass[AUTH_PASS_MAX + 1];
	unsigned char	*out;
	size_t		 outlen;
	ssize_t		 n;

	if (len == 0)
		return 0;
	/* The first octet picks the output room; the rest is the input. */
	outlen = data[0];
	in = malloc(len - 1 ? len - 1 : 1);
	memcpy(in, data + 1, len - 1);
	out = malloc(outlen ? outlen : 1);
	n = auth_b64_decode(in, len - 1, out, outlen);
	if (n < -1 || (n >= 0 && (size_t)n > outlen))
		abort();
	free(out);
	if (auth_plain_decode(in, len - 1, user, pass) == 0) {
		if (strlen(user) > AUTH_NAME_MAX || strlen(pass) > AUTH_PASS_MAX)
			abort();
	}
	if (auth_login_decode(in, len - 1, user, sizeof(user)) == 0 &&
	    strlen(user) >= sizeof(user))
		abort();
	free(in);
	return 0;
}
