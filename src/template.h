/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * template.h — pure expansion of the %{sender}, %{recipient}, %{local} and
 * %{domain} placeholders (and "%%") in relayer templates: the maildir
 * path and each maildrop argv element.  How a value is added (sanitised as
 * a path piece, refused as an option) is the caller's.
 */
#ifndef SMARTHOSTD_TEMPLATE_H
#define SMARTHOSTD_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Is name[0..len) one of the four placeholder names? */
bool	template_known(const char *name, size_t len);

/*
 * Add one placeholder's value (len octets at v, not NUL-terminated) to out;
 * lower is set for %{domain}, which is compared case-insensitively and
 * stored lower-cased.  Returns 0, or -1 to stop the expansion.
 */
typedef int (*template_put_fn)(struct buf *out, const char *v, size_t len,
    bool lower, void *arg);

/*
 * Expand tmpl for one sender and recipient into out (which then holds at
 * least an empty string): text is copied, "%%" becomes "%", a "%{" with
 * no "}" is text, and each known placeholder's value goes through put.
 * %{local} and %{domain} split rcpt at its last '@'.  Returns 0, or -1 for
 * an unknown placeholder or when put refused a value.
 */
int	template_expand(struct buf *out, const char *tmpl, const char *sender,
	    const char *rcpt, template_put_fn put, void *arg);
/* The same into a new string (the caller frees it), or NULL on -1. */
char	*template_expand_str(const char *tmpl, const char *sender,
	    const char *rcpt, template_put_fn put, void *arg);

#endif
