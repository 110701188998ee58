/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_include-fuzz.c — libFuzzer harness for config_include.c: any text
 * either expands within the size bound, with every line of the result
 * mapped to a file and a line >= 1, or is refused with "file:line: ...";
 * never a crash, a leak or a read past len.  Every @include names the
 * input itself, so nesting and the depth and size bounds are exercised.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_include.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	*input;
static size_t		 input_len;

static char *
fuzz_read(void *arg, const char *path, size_t *len, char *err, size_t errlen)
{
	char	*copy;

	if (strstr(path, "missing") != NULL) {
		snprintf(err, errlen, "No such file or directory");
		return NULL;
	}
	copy = xmalloc(input_len + 1);
	memcpy(copy, input, input_len);
	copy[input_len] = '\0';
	*len = input_len;
	return copy;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct include_map *map;
	char		 err[512], *copy, *out;
	unsigned	 i, lines, fl;
	const char	*f;

	if (memchr(data, '\0', len) != NULL)
		return 0;	/* the reader refuses NUL bytes */
	input = data;
	input_len = len;
	/* An exact-size copy: ASan sees any read past len. */
	copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	err[0] = '\0';
	out = include_expand(copy, len, "dir/m.conf", "/etc/dir/m.conf",
	    fuzz_read, NULL, 65536, &map, err, sizeof(err));
	if (out == NULL) {
		if (map != NULL || err[0] == '\0')
			abort();
	} else {
		if (strlen(out) > 65536)
			abort();
		for (lines = 1, i = 0; out[i] != '\0'; i++)
			lines += out[i] == '\n';
		for (i = 1; i <= lines; i++) {
			f = include_map_find(map, i, &fl);
			if (f == NULL || f[0] == '\0' || fl < 1)
				abort();
		}
		free(out);
		include_map_free(map);
	}
	free(copy);
	return 0;
}
