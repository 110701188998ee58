/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming-fuzz.c — libFuzzer harness for the incoming/ file header
 * (incoming_env_parse) and the line-end normaliser: a header either is
 * refused with a reason or parses to one whose text form parses again to
 * the same sender and recipients; crlf_feed never writes more than its
 * bound, leaves no bare CR or LF, and gives the same output cut anywhere.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "incoming.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_crlf(const char *in, size_t len)
{
	struct crlf	 a, b;
	char		*o1, *o2;
	size_t		 n1, n2, cut, i;

	o1 = malloc(2 * len + 4);
	o2 = malloc(2 * len + 8);
	crlf_init(&a);
	n1 = crlf_feed(&a, in, len, o1);
	n1 += crlf_finish(&a, o1 + n1);
	if (n1 > 2 * len + 4)
		abort();
	cut = len ? (unsigned char)in[0] % (len + 1) : 0;
	crlf_init(&b);
	n2 = crlf_feed(&b, in, cut, o2);
	n2 += crlf_feed(&b, in + cut, len - cut, o2 + n2);
	n2 += crlf_finish(&b, o2 + n2);
	if (n1 != n2 || memcmp(o1, o2, n1) != 0)
		abort();
	for (i = 0; i < n1; i++) {
		if (o1[i] == '\r' && (i + 1 == n1 || o1[i + 1] != '\n'))
			abort();
		if (o1[i] == '\n' && (i == 0 || o1[i - 1] != '\r'))
			abort();
	}
	free(o1);
	free(o2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct incoming_env	 e, e2;
	const char		*err = NULL;
	char			*copy, *t;
	size_t			 tl = 0;
	int			 i;

	copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	check_crlf(copy, len);
	memset(&e, 0, sizeof(e));
	if (incoming_env_parse(copy, len, &e, &err) == -1) {
		if (err == NULL || *err == '\0' || e.n_rcpts != 0)
			abort();
		incoming_env_clear(&e);
		free(copy);
		return 0;
	}
	free(copy);
	t = incoming_env_to_text(&e, &tl);
	memset(&e2, 0, sizeof(e2));
	if (t == NULL || incoming_env_parse(t, tl, &e2, &err) == -1)
		abort();	/* our own header must parse */
	if (strcmp(e.sender, e2.sender) != 0 || e.n_rcpts != e2.n_rcpts)
		abort();
	for (i = 0; i < e.n_rcpts; i++)
		if (strcmp(e.rcpts[i], e2.rcpts[i]) != 0)
			abort();
	free(t);
	incoming_env_clear(&e);
	incoming_env_clear(&e2);
	return 0;
}
