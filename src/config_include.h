/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_include.h — private to the config module: expanding libconfig's
 * `@include "file"` directives ourselves, so that a relative name is taken
 * relative to the directory of the file that contains it, and so that every
 * line of the expanded text can be traced back to its file and line for
 * "file:line: message" errors.
 */
#ifndef CONFIG_INCLUDE_H
#define CONFIG_INCLUDE_H

#include <stddef.h>

#define INCLUDE_MAX_DEPTH	8	/* nesting of @include */
#define INCLUDE_MAX_FILES	64	/* files in one configuration */

struct include_map;

/*
 * Read the file at path: its bytes (NUL-terminated, len set), or NULL with
 * the reason (such as strerror(errno)) in err.  The only I/O of expansion
 * goes through it.
 */
typedef char *(*include_read_fn)(void *arg, const char *path, size_t *len,
    char *err, size_t errlen);

/*
 * Expand text (the file shown as name, opened as path) and every file it
 * includes, recursively, into one NUL-terminated text of at most maxlen
 * bytes.  Returns it and the line map in *mapp, or NULL with
 * "file:line: message" in err.
 */
char	*include_expand(const char *text, size_t len, const char *name,
	    const char *path, include_read_fn, void *arg, size_t maxlen,
	    struct include_map **mapp, char *err, size_t errlen);

/* The file name (as shown) and line of line `line` of the expanded text. */
const char *include_map_find(const struct include_map *, unsigned line,
	    unsigned *fline);

void	include_map_free(struct include_map *);

#endif /* CONFIG_INCLUDE_H */
