/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * incoming_env.c — owns the incoming/ file format (incoming_env.h): the
 * envelope header's text form both ways, checked as strictly as SMTP
 * checks addresses, and the size limit injected mail shares with the
 * listeners.  Pure: smarthost-sendmail writes with it, the daemon's
 * pickup (incoming.c) reads with it, t/fuzz/incoming-fuzz.c feeds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "incoming_env.h"
#include "smtp_parse.h"
#include "util.h"

char *
incoming_env_to_text(const struct incoming_env *e, size_t *len)
{
	char	*text, *p, notify[sizeof("SUCCESS,FAILURE,DELAY,NEVER")];
	size_t	 n;
	int	 i;

	dsn_notify_to_text(e->notify, notify, sizeof(notify));
	n = sizeof(INCOMING_MAGIC) + sizeof("sender \n") + strlen(e->sender) +
	    2 + sizeof("ret HDRS\n") + sizeof("notify \n") + strlen(notify);
	if (e->envid != NULL)
		n += sizeof("envid \n") + strlen(e->envid);
	for (i = 0; i < e->n_rcpts; i++)
		n += sizeof("rcpt \n") + strlen(e->rcpts[i]);
	text = p = xmalloc(n);
	p += sprintf(p, "%s\nsender %s\n", INCOMING_MAGIC, e->sender);
	for (i = 0; i < e->n_rcpts; i++)
		p += sprintf(p, "rcpt %s\n", e->rcpts[i]);
	if (e->ret != DSN_RET_UNSPEC)
		p += sprintf(p, "ret %s\n", dsn_ret_to_text(e->ret));
	if (e->envid != NULL)
		p += sprintf(p, "envid %s\n", e->envid);
	if (e->notify != 0)
		p += sprintf(p, "notify %s\n", notify);
	*p++ = '\n';
	*p = '\0';
	if (len != NULL)
		*len = p - text;
	return text;
}

void
incoming_env_clear(struct incoming_env *e)
{
	int	i;

	free(e->sender);
	for (i = 0; i < e->n_rcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	free(e->envid);
	memset(e, 0, sizeof(*e));
}

/* An address as the header holds it: "" only where allowed. */
static int
addr_ok(const char *s, size_t n, int empty_ok)
{
	char	*a;
	size_t	 i;
	int	 r;

	if (n == 0)
		return empty_ok ? 0 : -1;
	if (n > SMTP_ADDR_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	a = xstrndup(s, n);
	r = smtp_addr_valid(a);
	free(a);
	return r;
}

int
incoming_env_parse(const char *text, size_t len, struct incoming_env *e,
    const char **err)
{
	const char	*p, *nl, *v;
	size_t		 ml = sizeof(INCOMING_MAGIC) - 1, n, ln, off;

	memset(e, 0, sizeof(*e));
	*err = NULL;
	if (len > INCOMING_HDR_MAX)
		*err = "envelope header too long";
	else if (memchr(text, '\0', len) != NULL)
		*err = "NUL in the envelope header";
	else if (len < 2 || text[len - 1] != '\n' || text[len - 2] != '\n')
		*err = "envelope header does not end with an empty line";
	else if (len < ml + 1 || memcmp(text, INCOMING_MAGIC, ml) != 0 ||
	    text[ml] != '\n')
		*err = "not an incoming file (bad first line)";
	if (*err != NULL)
		return -1;

	off = ml + 1;
	while (*err == NULL && util_line(text, len, &off, &p, &ln)) {
		nl = p + ln;	/* a "\n": the text ends "\n\n" */
		if (ln == 0) {
			if (off != len)
				*err = "data after the envelope header";
			break;
		}
		if ((size_t)(nl - p) >= 7 && memcmp(p, "sender ", 7) == 0) {
			v = p + 7;
			n = nl - v;
			if (e->sender != NULL)
				*err = "sender given twice";
			else if (addr_ok(v, n, 1) == -1)
				*err = "bad sender address";
			else
				e->sender = xstrndup(v, n);
		} else if ((size_t)(nl - p) == 6 && memcmp(p, "sender", 6) == 0) {
			/* "sender" without its blank: the null sender. */
			if (e->sender != NULL)
				*err = "sender given twice";
			else
				e->sender = xstrdup("");
		} else if ((size_t)(nl - p) >= 5 && memcmp(p, "rcpt ", 5) == 0) {
			v = p + 5;
			n = nl - v;
			if (e->n_rcpts >= INCOMING_RCPT_MAX)
				*err = "too many recipients";
			else if (addr_ok(v, n, 0) == -1)
				*err = "bad recipient address";
			else {
				e->rcpts = xreallocarray(e->rcpts,
				    e->n_rcpts + 1, sizeof(*e->rcpts));
				e->rcpts[e->n_rcpts++] = xstrndup(v, n);
			}
		} else if ((size_t)(nl - p) >= 4 && memcmp(p, "ret ", 4) == 0) {
			if (e->ret != DSN_RET_UNSPEC)
				*err = "ret given twice";
			else if (dsn_ret_parse(p + 4, nl - p - 4, &e->ret) == -1)
				*err = "bad ret";
		} else if ((size_t)(nl - p) >= 6 &&
		    memcmp(p, "envid ", 6) == 0) {
			char	buf[DSN_ENVID_MAX + 1];

			if (e->envid != NULL)
				*err = "envid given twice";
			else if (dsn_envid_parse(p + 6, nl - p - 6, buf) == -1)
				*err = "bad envid";
			else
				e->envid = xstrdup(buf);
		} else if ((size_t)(nl - p) >= 7 &&
		    memcmp(p, "notify ", 7) == 0) {
			if (e->notify != 0)
				*err = "notify given twice";
			else if (dsn_notify_parse(p + 7, nl - p - 7,
			    &e->notify) == -1)
				*err = "bad notify";
		} else
			*err = "unknown line in the envelope header";
	}
	if (*err == NULL && e->sender == NULL)
		*err = "no sender";
	if (*err == NULL && e->n_rcpts == 0)
		*err = "no recipient";
	if (*err != NULL) {
		incoming_env_clear(e);
		return -1;
	}
	return 0;
}

uint64_t
incoming_max_size(const struct config *cfg)
{
	uint64_t	max = 0;
	int		i;

	for (i = 0; i < cfg->n_listeners; i++)
		if (cfg->listeners[i].max_message_size > max)
			max = cfg->listeners[i].max_message_size;
	return cfg->n_listeners > 0 ? max : INCOMING_SIZE_DEFAULT;
}
