/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * template.c — owns the relayer template placeholders: their names (which
 * config.c checks at load) and their expansion (relay_maildir.c,
 * relay_maildrop.c).  Pure: no I/O, no globals.
 */
#include <stdlib.h>
#include <string.h>

#include "template.h"

static const char *const names[] = { "sender", "recipient", "local", "domain" };

enum { T_SENDER, T_RECIPIENT, T_LOCAL, T_DOMAIN, T_NONE };

static int
lookup(const char *name, size_t len)
{
	for (int i = 0; i < T_NONE; i++)
		if (strlen(names[i]) == len && strncmp(name, names[i], len) == 0)
			return i;
	return T_NONE;
}

bool
template_known(const char *name, size_t len)
{
	return lookup(name, len) != T_NONE;
}

int
template_expand(struct buf *out, const char *tmpl, const char *sender,
    const char *rcpt, template_put_fn put, void *arg)
{
	const char	*p, *end, *at = strrchr(rcpt, '@'), *v;
	size_t		 vlen;
	bool		 lower;

	buf_add(out, "", 0);
	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == '%') {
			buf_add(out, "%", 1);
			p++;
			continue;
		}
		if (p[0] != '%' || p[1] != '{' || (end = strchr(p, '}')) == NULL) {
			buf_add(out, p, 1);
			continue;
		}
		lower = false;
		switch (lookup(p + 2, (size_t)(end - (p + 2)))) {
		case T_SENDER:
			v = sender;
			vlen = strlen(sender);
			break;
		case T_RECIPIENT:
			v = rcpt;
			vlen = strlen(rcpt);
			break;
		case T_LOCAL:
			v = rcpt;
			vlen = at != NULL ? (size_t)(at - rcpt) : strlen(rcpt);
			break;
		case T_DOMAIN:
			v = at != NULL ? at + 1 : "";
			vlen = strlen(v);
			lower = true;
			break;
		default:
			return -1;
		}
		if (put(out, v, vlen, lower, arg) == -1)
			return -1;
		p = end;
	}
	return 0;
}

char *
template_expand_str(const char *tmpl, const char *sender, const char *rcpt,
    template_put_fn put, void *arg)
{
	struct buf	 b = { NULL, 0, 0 };

	if (template_expand(&b, tmpl, sender, rcpt, put, arg) == -1) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
