/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * envelope-fuzz.c — libFuzzer harness for the envelope text form: any
 * bytes either are refused with a reason or give an envelope whose text
 * form parses again to the same text (a round trip is a fixed point).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct envelope	*e, *e2;
	const char	*err = NULL;
	char		*copy, *t1, *t2;
	size_t		 l1 = 0, l2 = 0;

	/* An exact-size copy: ASan sees any read past len. */
	copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	e = envelope_from_text(copy, len, &err);
	free(copy);
	if (e == NULL) {
		if (err == NULL || *err == '\0')
			abort();
		return 0;
	}
	t1 = envelope_to_text(e, &l1);
	if (t1 == NULL || strlen(t1) != l1)
		abort();
	if ((e2 = envelope_from_text(t1, l1, &err)) == NULL)
		abort();	/* our own text form must parse */
	t2 = envelope_to_text(e2, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1) != 0)
		abort();	/* and be a fixed point */
	free(t1);
	free(t2);
	envelope_free(e);
	envelope_free(e2);
	return 0;
}
