/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * lineend.c — owns the line-end conversions (lineend.h), written once for
 * the pickup of incoming/, BDAT chunks (smtp_data.c), the maildir relayer
 * and the maildrop relayer.
 */
#include "lineend.h"

void
crlf_init(struct crlf *c)
{
	c->cr = false;
	c->bol = true;
	c->bare = 0;
}

size_t
crlf_feed(struct crlf *c, const char *in, size_t len, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < len; i++) {
		char ch = in[i];

		if (c->cr) {
			c->cr = false;
			out[o++] = '\r';
			out[o++] = '\n';
			c->bol = true;
			if (ch == '\n')
				continue;
			c->bare++;	/* a CR alone */
		}
		if (ch == '\r')
			c->cr = true;
		else if (ch == '\n') {
			c->bare++;	/* an LF alone */
			out[o++] = '\r';
			out[o++] = '\n';
			c->bol = true;
		} else {
			out[o++] = ch;
			c->bol = false;
		}
	}
	return o;
}

size_t
crlf_finish(struct crlf *c, char *out)
{
	if (!c->cr && c->bol)
		return 0;
	if (c->cr)
		c->bare++;
	c->cr = false;
	c->bol = true;
	out[0] = '\r';
	out[1] = '\n';
	return 2;
}

void
tolf_init(struct tolf *t)
{
	t->cr = false;
}

size_t
tolf_feed(struct tolf *t, const char *in, size_t len, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < len; i++) {
		if (t->cr) {
			t->cr = false;
			if (in[i] != '\n')
				out[o++] = '\r';
		}
		if (in[i] == '\r')
			t->cr = true;
		else
			out[o++] = in[i];
	}
	return o;
}

size_t
tolf_finish(struct tolf *t, char *out)
{
	if (!t->cr)
		return 0;
	/* A CR at the very end: not a line end, keep it. */
	t->cr = false;
	out[0] = '\r';
	return 1;
}
