/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * ratelimit-fuzz.c — libFuzzer harness for rate_parse() ("N/s", "N/m",
 * "N/h"): any string is refused with a reason or gives 1..1000000 per a
 * period of 1, 60 or 3600 seconds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rate_spec	 r;
	const char		*err = NULL;
	char			*s;

	s = malloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	if (rate_parse(s, &r, &err) == 0) {
		if (r.count < 1 || r.count > 1000000 ||
		    (r.period != 1 && r.period != 60 && r.period != 3600))
			abort();
	} else if (err == NULL || *err == '\0')
		abort();
	free(s);
	return 0;
}
