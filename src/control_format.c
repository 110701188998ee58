/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_format.c — owns what the control commands print (control_format.h):
 * the text and JSON forms of envelopes, queue listings, the per-queue
 * table and the named counters, with the escaping that keeps one item on
 * one line (text) or valid UTF-8 (JSON).  The commands that gather what
 * is printed are control.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "config.h"
#include "control_format.h"
#include "envelope.h"
#include "route.h"
#include "util.h"

/* Routing needs a listener name; a damaged envelope may lack one. */
#define ENV_LISTENER(e)		((e)->listener ? (e)->listener : "")

static void
put(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, s, strlen(s));
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static int
utf8_len(const unsigned char *p)
{
	unsigned char	c = p[0], lo = 0x80, hi = 0xbf;
	int		n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	/* The string is NUL-terminated: a NUL fails this test first. */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

void
control_json_string(struct evbuffer *b, const char *s)
{
	/* The characters JSON gives a short escape (each by the letter at
	 * the same place in letter[]); other controls are \u00XX.  Two
	 * strings, not a table of 128 pointers: a kilobyte of relocated
	 * data in a PIE for five entries. */
	static const char	 plain[] = "\"\\\n\r\t", letter[] = "\"\\nrt";
	const unsigned char	*p = (const unsigned char *)s;
	const char		*e;
	char			 two[2] = { '\\', 0 };
	int			 n;

	if (s == NULL) {
		put(b, "null");
		return;
	}
	put(b, "\"");
	while (*p != '\0') {
		if ((e = strchr(plain, *p)) != NULL) {
			two[1] = letter[e - plain];
			evbuffer_add(b, two, 2);
		} else if (*p < 0x20 || *p == 0x7f)
			evbuffer_add_printf(b, "\\u%04x", *p);
		else if (*p < 0x80)
			evbuffer_add(b, p, 1);
		else if ((n = utf8_len(p)) > 0) {
			evbuffer_add(b, p, n);
			p += n;
			continue;
		} else
			put(b, "\\ufffd");
		p++;
	}
	put(b, "\"");
}

void
control_text_clean(struct evbuffer *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)(s ? s : "");

	for (; *p != '\0'; p++) {
		unsigned char	c = (*p < 0x20 || *p == 0x7f) ? '?' : *p;

		evbuffer_add(b, &c, 1);
	}
}

void
control_duration(char *buf, size_t size, long s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%lds", s);
	else if (s < 3600)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
}

static const char *
rcpt_state_to_text(enum rcpt_state st)
{
	switch (st) {
	case RCPT_PENDING:
		return "pending";
	case RCPT_DELIVERED:
		return "delivered";
	default:
		return "failed";
	}
}

/* When the next attempt is: "running", "now" or "+3m20s". */
static void
next_text(char *buf, size_t size, bool running, time_t next, time_t t)
{
	if (running)
		snprintf(buf, size, "running");
	else if (next <= t)
		snprintf(buf, size, "now");
	else {
		buf[0] = '+';
		control_duration(buf + 1, size - 1, (long)(next - t));
	}
}

/* Is this recipient pending, and where would it go now?  (*r then.) */
static bool
rcpt_route(const struct config *cfg, const struct envelope *env,
    const struct env_rcpt *er, struct route *r)
{
	return er->state == RCPT_PENDING && route_resolve(cfg,
	    ENV_LISTENER(env), env->sender, er->addr, r) == 0;
}

/* The queue names of the pending recipients, by the configuration in
 * force, comma-separated and without repeats; the caller frees. */
static char *
queue_names(const struct config *cfg, const struct envelope *env)
{
	struct buf	 b = { NULL, 0, 0 };
	struct route	 r;
	char		**seen;
	int		 n = 0, j;

	seen = xcalloc(env->n_rcpts + 1, sizeof(*seen));
	for (int i = 0; i < env->n_rcpts; i++) {
		if (!rcpt_route(cfg, env, &env->rcpts[i], &r))
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(seen[j], r.queue) == 0)
				break;
		if (j < n)
			continue;
		seen[n++] = xstrdup(r.queue);
		if (n > 1)
			buf_str(&b, ",");
		buf_str(&b, r.queue);
	}
	strv_free(seen, (size_t)n);
	return b.p != NULL ? b.p : xstrdup("");
}

/*
 * queue
 */

void
control_listing_begin(struct control_listing *l, struct evbuffer *out,
    const struct config *cfg, bool json)
{
	memset(l, 0, sizeof(*l));
	l->out = out;
	l->cfg = cfg;
	l->json = json;
	if (json)
		put(out, "[");
}

static void
listing_json(struct control_listing *l, const struct envelope *env,
    const char *qn, long age, bool busy)
{
	struct evbuffer	*b = l->out;
	int		 k = 0;

	evbuffer_add_printf(b, "%s\n  {\"id\": ", l->n ? "," : "");
	control_json_string(b, env->id);
	put(b, ", \"queue\": ");
	control_json_string(b, qn);
	put(b, ", \"sender\": ");
	control_json_string(b, env->sender);
	put(b, ", \"recipients\": [");
	for (int i = 0; i < env->n_rcpts; i++) {
		if (env->rcpts[i].state != RCPT_PENDING)
			continue;
		if (k++)
			put(b, ", ");
		control_json_string(b, env->rcpts[i].addr);
	}
	evbuffer_add_printf(b, "], \"size\": %" PRIu64 ", \"age\": %ld, "
	    "\"next_attempt\": %lld, \"attempts\": %d, "
	    "\"in_progress\": %s, \"held\": %s, \"last_error\": ",
	    env->size, age < 0 ? 0 : age, (long long)env->next_attempt,
	    env->attempts, busy ? "true" : "false",
	    env->held ? "true" : "false");
	control_json_string(b, env->last_error);
	put(b, "}");
}

static void
listing_text(struct control_listing *l, const struct envelope *env,
    const char *qn, long a, bool busy)
{
	struct evbuffer	*b = l->out;
	char		 age[32], next[40];
	int		 k = 0;

	control_duration(age, sizeof(age), a);
	next_text(next, sizeof(next), busy, env->next_attempt, now());
	evbuffer_add_printf(b, "%s age=%s size=%" PRIu64 " from=<",
	    env->id, age, env->size);
	control_text_clean(b, env->sender);
	put(b, "> to=");
	for (int i = 0; i < env->n_rcpts; i++) {
		if (env->rcpts[i].state != RCPT_PENDING)
			continue;
		evbuffer_add_printf(b, "%s<", k++ ? "," : "");
		control_text_clean(b, env->rcpts[i].addr);
		put(b, ">");
	}
	put(b, " queue=");
	control_text_clean(b, qn[0] ? qn : "-");
	evbuffer_add_printf(b, " next=%s attempts=%d%s",
	    env->held ? "held" : next, env->attempts,
	    env->held ? " held" : "");
	if (env->last_error != NULL) {
		put(b, " last_error=\"");
		control_text_clean(b, env->last_error);
		put(b, "\"");
	}
	put(b, "\n");
}

void
control_listing_add(struct control_listing *l, const struct envelope *env,
    bool busy)
{
	char	*qn = queue_names(l->cfg, env);
	long	 a = (long)(now() - env->created);

	if (l->json)
		listing_json(l, env, qn, a, busy);
	else
		listing_text(l, env, qn, a, busy);
	free(qn);
	l->n++;
	l->rcpts += envelope_pending(env);
	l->bytes += env->size;
}

void
control_listing_end(struct control_listing *l)
{
	if (l->json)
		put(l->out, l->n ? "\n]\n" : "]\n");
	else if (l->n == 0)
		put(l->out, "queue is empty\n");
	else
		evbuffer_add_printf(l->out, "-- %d message%s, %d recipient%s, "
		    "%" PRIu64 " bytes\n", l->n, l->n == 1 ? "" : "s", l->rcpts,
		    l->rcpts == 1 ? "" : "s", l->bytes);
}

/*
 * show
 */

static void
show_text(struct evbuffer *b, const struct config *cfg,
    const struct envelope *env, bool busy)
{
	char		 age[32], next[40], date[64];

	control_duration(age, sizeof(age), (long)(now() - env->created));
	next_text(next, sizeof(next), busy, env->next_attempt, now());
	rfc5322_date(env->created, date, sizeof(date));
	evbuffer_add_printf(b, "id: %s\nsender: <", env->id);
	control_text_clean(b, env->sender);
	evbuffer_add_printf(b, ">\nsize: %" PRIu64 "\narrival: %s (%s ago)\n"
	    "listener: ", env->size, date, age);
	control_text_clean(b, env->listener);
	put(b, "\nclient: ");
	control_text_clean(b, env->client ? env->client : "-");
	put(b, "\nhelo: ");
	control_text_clean(b, env->helo ? env->helo : "-");
	if (env->auth_user != NULL) {
		put(b, "\nauth: ");
		control_text_clean(b, env->auth_user);
	}
	evbuffer_add_printf(b, "\nattempts: %d\nnext attempt: %s\n",
	    env->attempts, next);
	if (env->last_error != NULL) {
		put(b, "last error: ");
		control_text_clean(b, env->last_error);
		put(b, "\n");
	}
	for (int i = 0; i < env->n_rcpts; i++) {
		const struct env_rcpt	*er = &env->rcpts[i];
		struct route		 r;

		put(b, "recipient: <");
		control_text_clean(b, er->addr);
		evbuffer_add_printf(b, "> %s", rcpt_state_to_text(er->state));
		if (rcpt_route(cfg, env, er, &r)) {
			put(b, " queue=");
			control_text_clean(b, r.queue);
			put(b, " relayer=");
			control_text_clean(b, r.relayer->name);
		}
		if (er->remote != NULL) {
			put(b, " remote=");
			control_text_clean(b, er->remote);
		}
		if (er->status != NULL && er->status[0] != '\0') {
			put(b, " status=\"");
			control_text_clean(b, er->status);
			put(b, "\"");
		}
		put(b, "\n");
	}
}

static void
show_json(struct evbuffer *b, const struct config *cfg,
    const struct envelope *env, bool busy)
{
	long		 a = (long)(now() - env->created);

	put(b, "{\"id\": ");
	control_json_string(b, env->id);
	put(b, ", \"sender\": ");
	control_json_string(b, env->sender);
	evbuffer_add_printf(b, ", \"size\": %" PRIu64 ", \"created\": %lld, "
	    "\"age\": %ld, \"attempts\": %d, \"next_attempt\": %lld, "
	    "\"in_progress\": %s, \"smtputf8\": %s, \"body8bit\": %s, "
	    "\"listener\": ", env->size, (long long)env->created, a < 0 ? 0 : a,
	    env->attempts, (long long)env->next_attempt,
	    busy ? "true" : "false", env->smtputf8 ? "true" : "false",
	    env->body8bit ? "true" : "false");
	control_json_string(b, env->listener);
	put(b, ", \"client\": ");
	control_json_string(b, env->client);
	put(b, ", \"helo\": ");
	control_json_string(b, env->helo);
	put(b, ", \"auth_user\": ");
	control_json_string(b, env->auth_user);
	put(b, ", \"last_error\": ");
	control_json_string(b, env->last_error);
	put(b, ", \"recipients\": [");
	for (int i = 0; i < env->n_rcpts; i++) {
		const struct env_rcpt	*er = &env->rcpts[i];
		struct route		 r;
		bool			 routed = rcpt_route(cfg, env, er, &r);

		put(b, i ? ",\n  {\"address\": " : "\n  {\"address\": ");
		control_json_string(b, er->addr);
		evbuffer_add_printf(b, ", \"state\": \"%s\", \"queue\": ",
		    rcpt_state_to_text(er->state));
		control_json_string(b, routed ? r.queue : NULL);
		put(b, ", \"relayer\": ");
		control_json_string(b, routed ? r.relayer->name : NULL);
		put(b, ", \"status\": ");
		control_json_string(b, er->status);
		put(b, ", \"remote\": ");
		control_json_string(b, er->remote);
		put(b, "}");
	}
	evbuffer_add_printf(b, "%s]}\n", env->n_rcpts ? "\n" : "");
}

void
control_show(struct evbuffer *b, const struct config *cfg,
    const struct envelope *env, bool busy, bool json)
{
	if (json)
		show_json(b, cfg, env, busy);
	else
		show_text(b, cfg, env, busy);
}

/*
 * queues, stats
 */

void
control_queues(struct evbuffer *out, const struct control_qstat *qs, int n,
    time_t t, bool json)
{
	char	age[32], next[40], *name;

	if (json)
		put(out, "[");
	else if (n > 0)
		evbuffer_add_printf(out, "%-40s %6s %6s %5s %8s %8s\n", "queue",
		    "msgs", "rcpts", "held", "oldest", "next");
	for (int i = 0; i < n; i++) {
		const struct control_qstat *q = &qs[i];

		if (json) {
			put(out, i ? ",\n  {\"queue\": " : "\n  {\"queue\": ");
			control_json_string(out, q->name);
			evbuffer_add_printf(out, ", \"messages\": %d, "
			    "\"recipients\": %d, \"held\": %d, \"oldest\": %ld, "
			    "\"next_attempt\": %lld, \"running\": %s}", q->msgs,
			    q->rcpts, q->held, (long)(t - q->oldest),
			    (long long)q->next, q->running ? "true" : "false");
			continue;
		}
		control_duration(age, sizeof(age), (long)(t - q->oldest));
		if (!q->running && q->next == 0)
			snprintf(next, sizeof(next), "held");
		else
			next_text(next, sizeof(next), q->running, q->next, t);
		name = xstrdup(q->name);
		str_ctl_to(name, '?');
		evbuffer_add_printf(out, "%-40s %6d %6d %5d %8s %8s\n", name,
		    q->msgs, q->rcpts, q->held, age, next);
		free(name);
	}
	if (json)
		put(out, n ? "\n]\n" : "]\n");
	else if (n == 0)
		put(out, "queue is empty\n");
}

void
control_counters(struct evbuffer *out, bool json, const char *what,
    const struct control_counters *c, int n, const char *const *keys,
    int nkeys)
{
	if (json) {
		evbuffer_add_printf(out, ", \"%ss\": {", what);
		for (int i = 0; i < n; i++) {
			put(out, i ? ", " : "");
			control_json_string(out, c[i].name);
			put(out, ": {");
			for (int k = 0; k < nkeys; k++)
				evbuffer_add_printf(out, "%s\"%s\": %" PRIu64,
				    k ? ", " : "", keys[k], c[i].v[k]);
			put(out, "}");
		}
		put(out, "}");
		return;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < nkeys; k++) {
			evbuffer_add_printf(out, "%s.", what);
			control_text_clean(out, c[i].name);
			evbuffer_add_printf(out, ".%s: %" PRIu64 "\n", keys[k],
			    c[i].v[k]);
		}
}
