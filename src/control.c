/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control.c — owns the control commands: the request parser, the command
 * table and every response smarthostctl prints, text and JSON.  The
 * socket, its clients and their bounds are control_socket.c's; it hands
 * each request line to control_dispatch().
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "config.h"
#include "control.h"
#include "control_socket.h"
#include "envelope.h"
#include "log.h"
#include "queue.h"
#include "rewrite.h"
#include "route.h"
#include "smtp_server.h"
#include "stats.h"
#include "util.h"


/* Routing needs a listener name; a damaged envelope may lack one. */
#define ENV_LISTENER(e)		((e)->listener ? (e)->listener : "")

struct control {
	struct control_socket	*sock;		/* the socket and its clients */
	struct queue		*queue;
	struct smtp_server	*server;
	control_reload_cb	 reload;
	void			*reload_arg;
};

struct ctl_cmd {
	const char	*name;
	int		 min_args, max_args;	/* besides the command */
	const char	*usage;
	int		(*run)(struct control *, const struct control_req *,
			    struct evbuffer *, char *, size_t);
};

static int	cmd_queue(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);
static int	cmd_show(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);
static int	cmd_flush(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);
static int	cmd_remove(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);
static int	cmd_reload(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);
static int	cmd_stats(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);
static int	cmd_hold(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);
static int	cmd_queues(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);

static const struct ctl_cmd commands[] = {
	{ "queue",	0, 0, "queue",		cmd_queue },
	{ "show",	1, 1, "show ID",	cmd_show },
	{ "flush",	0, 1, "flush [ID]",	cmd_flush },
	{ "remove",	1, 7, "remove ID | --queue Q | --sender A | "
	    "--recipient A | --all", cmd_remove },
	{ "hold",	1, 7, "hold ID | --queue Q | --sender A | --recipient A",
	    cmd_hold },
	{ "release",	1, 7, "release ID | --queue Q | --sender A | "
	    "--recipient A | --all", cmd_hold },
	{ "queues",	0, 0, "queues",		cmd_queues },
	{ "reload",	0, 0, "reload",		cmd_reload },
	{ "stats",	0, 0, "stats",		cmd_stats },
};

/*
 * Pure helpers: request parsing and JSON.
 */

int
control_parse(const char *line, size_t len, struct control_req *req,
    char *err, size_t errlen)
{
	char	*p, *word;

	memset(req, 0, sizeof(*req));
	if (len >= sizeof(req->buf)) {
		snprintf(err, errlen, "request too long");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)line[i];

		/* Commands and ids are ASCII; anything else is noise. */
		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			snprintf(err, errlen, "invalid character in request");
			return -1;
		}
	}
	memcpy(req->buf, line, len);
	req->buf[len] = '\0';
	p = req->buf;
	while ((word = strsep(&p, " \t")) != NULL) {
		if (*word == '\0')
			continue;
		if (strcmp(word, "--json") == 0) {
			req->json = true;
			continue;
		}
		if (req->argc == CONTROL_ARGS_MAX) {
			snprintf(err, errlen, "too many arguments");
			return -1;
		}
		req->argv[req->argc++] = word;
	}
	if (req->argc == 0) {
		snprintf(err, errlen, "empty request");
		return -1;
	}
	return 0;
}

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
	const unsigned char	*p = (const unsigned char *)s;
	int			 n;

	if (s == NULL) {
		put(b, "null");
		return;
	}
	put(b, "\"");
	while (*p != '\0') {
		switch (*p) {
		case '"':
			put(b, "\\\"");
			break;
		case '\\':
			put(b, "\\\\");
			break;
		case '\n':
			put(b, "\\n");
			break;
		case '\r':
			put(b, "\\r");
			break;
		case '\t':
			put(b, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				evbuffer_add_printf(b, "\\u%04x", *p);
			else if (*p < 0x80)
				evbuffer_add(b, p, 1);
			else if ((n = utf8_len(p)) > 0) {
				evbuffer_add(b, p, n);
				p += n;
				continue;
			} else
				put(b, "\\ufffd");
		}
		p++;
	}
	put(b, "\"");
}

/* Text output: control characters would break the one-line format. */
static void
text_clean(struct evbuffer *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)(s ? s : "");

	for (; *p != '\0'; p++) {
		unsigned char	c = (*p < 0x20 || *p == 0x7f) ? '?' : *p;

		evbuffer_add(b, &c, 1);
	}
}

/* "45s", "3m20s", "2h05m", "3d04h". */
static void
duration_text(char *buf, size_t size, long s)
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

/* The queue names of the pending recipients, by the configuration in
 * force, comma-separated and without repeats; the caller frees. */
static char *
queue_names(struct control *ctl, const struct envelope *env)
{
	struct config	*cfg = queue_config(ctl->queue);
	struct evbuffer	*b = evbuffer_new();
	struct route	 r;
	char		**seen, *out;
	size_t		 len;
	int		 n = 0;

	if (b == NULL)
		fatalx("evbuffer_new");
	seen = xcalloc(env->n_rcpts + 1, sizeof(*seen));
	for (int i = 0; i < env->n_rcpts; i++) {
		int	j;

		if (env->rcpts[i].state != RCPT_PENDING ||
		    route_resolve(cfg, ENV_LISTENER(env), env->sender,
		    env->rcpts[i].addr, &r) == -1)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(seen[j], r.queue) == 0)
				break;
		if (j < n)
			continue;
		seen[n++] = xstrdup(r.queue);
		if (n > 1)
			put(b, ",");
		put(b, r.queue);
	}
	for (int j = 0; j < n; j++)
		free(seen[j]);
	free(seen);
	len = evbuffer_get_length(b);
	out = xmalloc(len + 1);
	evbuffer_remove(b, out, len);
	out[len] = '\0';
	evbuffer_free(b);
	return out;
}

static void
next_text(char *buf, size_t size, const struct envelope *env, bool busy)
{
	time_t	t = now();

	if (busy)
		snprintf(buf, size, "running");
	else if (env->next_attempt <= t)
		snprintf(buf, size, "now");
	else {
		buf[0] = '+';
		duration_text(buf + 1, size - 1, (long)(env->next_attempt - t));
	}
}

/*
 * queue
 */

struct walk {
	struct control	*ctl;
	struct evbuffer	*out;
	bool		 json;
	int		 n;
	int		 rcpts;		/* pending, for the totals line */
	uint64_t	 bytes;
};

static void
queue_line(void *arg, const struct envelope *env, bool busy)
{
	struct walk	*w = arg;
	struct evbuffer	*b = w->out;
	char		*qn = queue_names(w->ctl, env);
	char		 age[32], next[40];
	long		 a = (long)(now() - env->created);
	int		 k = 0;

	if (w->json) {
		evbuffer_add_printf(b, "%s\n  {\"id\": ", w->n ? "," : "");
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
		    env->size, a < 0 ? 0 : a, (long long)env->next_attempt,
		    env->attempts, busy ? "true" : "false",
		    env->held ? "true" : "false");
		control_json_string(b, env->last_error);
		put(b, "}");
	} else {
		duration_text(age, sizeof(age), a);
		next_text(next, sizeof(next), env, busy);
		evbuffer_add_printf(b, "%s age=%s size=%" PRIu64 " from=<",
		    env->id, age, env->size);
		text_clean(b, env->sender);
		put(b, "> to=");
		for (int i = 0; i < env->n_rcpts; i++) {
			if (env->rcpts[i].state != RCPT_PENDING)
				continue;
			evbuffer_add_printf(b, "%s<", k++ ? "," : "");
			text_clean(b, env->rcpts[i].addr);
			put(b, ">");
		}
		put(b, " queue=");
		text_clean(b, qn[0] ? qn : "-");
		evbuffer_add_printf(b, " next=%s attempts=%d%s",
		    env->held ? "held" : next, env->attempts,
		    env->held ? " held" : "");
		if (env->last_error != NULL) {
			put(b, " last_error=\"");
			text_clean(b, env->last_error);
			put(b, "\"");
		}
		put(b, "\n");
	}
	free(qn);
	w->n++;
	w->rcpts += envelope_pending(env);
	w->bytes += env->size;
}

static int
cmd_queue(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	struct walk	w = { ctl, out, req->json, 0, 0, 0 };

	if (req->json)
		put(out, "[");
	queue_walk(ctl->queue, queue_line, &w);
	if (req->json)
		put(out, w.n ? "\n]\n" : "]\n");
	else if (w.n == 0)
		evbuffer_add_printf(out, "queue is empty\n");
	else
		evbuffer_add_printf(out, "-- %d message%s, %d recipient%s, "
		    "%" PRIu64 " bytes\n", w.n, w.n == 1 ? "" : "s", w.rcpts,
		    w.rcpts == 1 ? "" : "s", w.bytes);
	return 0;
}

/*
 * show ID, flush [ID], remove ID
 */

/* Check an id argument (ids name files); upper-case it into buf. */
static int
id_arg(const char *arg, char *buf, size_t size, char *err, size_t errlen)
{
	size_t	i;

	for (i = 0; arg[i] != '\0' && i + 1 < size; i++)
		buf[i] = (arg[i] >= 'a' && arg[i] <= 'f') ? arg[i] - 32 :
		    arg[i];
	buf[i] = '\0';
	if (arg[i] != '\0' || !envelope_id_valid(buf)) {
		snprintf(err, errlen, "invalid queue id \"%.*s\"",
		    QUEUE_ID_MAX + 1, arg);
		return -1;
	}
	return 0;
}

static void
show_text(struct control *ctl, struct evbuffer *b, const struct envelope *env,
    bool busy)
{
	struct config	*cfg = queue_config(ctl->queue);
	char		 age[32], next[40], date[64];

	duration_text(age, sizeof(age), (long)(now() - env->created));
	next_text(next, sizeof(next), env, busy);
	rfc5322_date(env->created, date, sizeof(date));
	evbuffer_add_printf(b, "id: %s\nsender: <", env->id);
	text_clean(b, env->sender);
	evbuffer_add_printf(b, ">\nsize: %" PRIu64 "\narrival: %s (%s ago)\n"
	    "listener: ", env->size, date, age);
	text_clean(b, env->listener);
	put(b, "\nclient: ");
	text_clean(b, env->client ? env->client : "-");
	put(b, "\nhelo: ");
	text_clean(b, env->helo ? env->helo : "-");
	if (env->auth_user != NULL) {
		put(b, "\nauth: ");
		text_clean(b, env->auth_user);
	}
	evbuffer_add_printf(b, "\nattempts: %d\nnext attempt: %s\n",
	    env->attempts, next);
	if (env->last_error != NULL) {
		put(b, "last error: ");
		text_clean(b, env->last_error);
		put(b, "\n");
	}
	for (int i = 0; i < env->n_rcpts; i++) {
		const struct env_rcpt	*er = &env->rcpts[i];
		struct route		 r;

		put(b, "recipient: <");
		text_clean(b, er->addr);
		evbuffer_add_printf(b, "> %s", rcpt_state_to_text(er->state));
		if (er->state == RCPT_PENDING && route_resolve(cfg,
		    ENV_LISTENER(env), env->sender, er->addr, &r) == 0) {
			put(b, " queue=");
			text_clean(b, r.queue);
			put(b, " relayer=");
			text_clean(b, r.relayer->name);
		}
		if (er->remote != NULL) {
			put(b, " remote=");
			text_clean(b, er->remote);
		}
		if (er->status != NULL && er->status[0] != '\0') {
			put(b, " status=\"");
			text_clean(b, er->status);
			put(b, "\"");
		}
		put(b, "\n");
	}
}

static void
show_json(struct control *ctl, struct evbuffer *b, const struct envelope *env,
    bool busy)
{
	struct config	*cfg = queue_config(ctl->queue);
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
		int			 routed = er->state == RCPT_PENDING &&
		    route_resolve(cfg, ENV_LISTENER(env), env->sender, er->addr,
		    &r) == 0;

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

static int
cmd_show(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	const struct envelope	*env;
	char			 id[QUEUE_ID_MAX + 1];
	bool			 busy = false;

	if (id_arg(req->argv[1], id, sizeof(id), err, errlen) == -1)
		return -1;
	if ((env = queue_find(ctl->queue, id, &busy)) == NULL) {
		snprintf(err, errlen, "no such message: %s", id);
		return -1;
	}
	if (req->json)
		show_json(ctl, out, env, busy);
	else
		show_text(ctl, out, env, busy);
	return 0;
}

static int
cmd_flush(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	char	id[QUEUE_ID_MAX + 1];
	int	n = queue_length(ctl->queue);

	if (req->argc == 1) {
		queue_flush(ctl->queue, NULL);
		log_info("control: flush of %d queued message%s", n,
		    n == 1 ? "" : "s");
		if (req->json)
			evbuffer_add_printf(out, "{\"flushed\": %d}\n", n);
		else
			evbuffer_add_printf(out, "flushing %d message%s\n", n,
			    n == 1 ? "" : "s");
		return 0;
	}
	if (id_arg(req->argv[1], id, sizeof(id), err, errlen) == -1)
		return -1;
	if (queue_flush(ctl->queue, id) == -1) {
		snprintf(err, errlen, "no such message: %s", id);
		return -1;
	}
	log_info("control: flush of %s", id);
	if (req->json)
		evbuffer_add_printf(out, "{\"flushed\": 1, \"id\": \"%s\"}\n",
		    id);
	else
		evbuffer_add_printf(out, "flushing %s\n", id);
	return 0;
}

static int	select_run(struct control *, const struct control_req *,
		    struct evbuffer *, char *, size_t);

static int
cmd_remove(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	char	id[QUEUE_ID_MAX + 1];

	if (req->argc > 2 || req->argv[1][0] == '-')
		return select_run(ctl, req, out, err, errlen);
	if (id_arg(req->argv[1], id, sizeof(id), err, errlen) == -1)
		return -1;
	switch (queue_remove(ctl->queue, id)) {
	case 0:
		break;
	case -1:
		snprintf(err, errlen, "no such message: %s", id);
		return -1;
	case -2:
		snprintf(err, errlen, "message %s is being delivered right "
		    "now; try again in a moment", id);
		return -1;
	default:
		snprintf(err, errlen, "cannot remove %s from the spool (see "
		    "the log)", id);
		return -1;
	}
	if (req->json)
		evbuffer_add_printf(out, "{\"removed\": \"%s\"}\n", id);
	else
		evbuffer_add_printf(out, "removed %s\n", id);
	return 0;
}

/*
 * hold, release, remove with selectors; queues
 */

struct selector {
	const char	*id;		/* upper-cased copy in idbuf */
	char		 idbuf[QUEUE_ID_MAX + 1];
	const char	*queue, *sender, *rcpt;
	bool		 all;
};

static int
select_parse(const struct control_req *req, struct selector *sel, char *err,
    size_t errlen)
{
	memset(sel, 0, sizeof(*sel));
	for (int i = 1; i < req->argc; i++) {
		const char	*a = req->argv[i];
		const char	**slot = NULL;

		if (strcmp(a, "--all") == 0) {
			sel->all = true;
			continue;
		}
		if (strcmp(a, "--queue") == 0)
			slot = &sel->queue;
		else if (strcmp(a, "--sender") == 0)
			slot = &sel->sender;
		else if (strcmp(a, "--recipient") == 0)
			slot = &sel->rcpt;
		if (slot != NULL) {
			if (i + 1 == req->argc || *slot != NULL) {
				snprintf(err, errlen, "%s needs one value", a);
				return -1;
			}
			*slot = req->argv[++i];
			continue;
		}
		if (a[0] == '-' || sel->id != NULL) {
			snprintf(err, errlen, "unknown selector \"%.40s\" "
			    "(expected ID, --queue, --sender, --recipient or "
			    "--all)", a);
			return -1;
		}
		if (id_arg(a, sel->idbuf, sizeof(sel->idbuf), err,
		    errlen) == -1)
			return -1;
		sel->id = sel->idbuf;
	}
	if (sel->all && (sel->id || sel->queue || sel->sender || sel->rcpt)) {
		snprintf(err, errlen, "--all takes no other selector");
		return -1;
	}
	if (!sel->all && !sel->id && !sel->queue && !sel->sender &&
	    !sel->rcpt) {
		snprintf(err, errlen, "no message selected (give an ID or a "
		    "selector)");
		return -1;
	}
	return 0;
}

/* "<>" selects the null sender; otherwise patterns as in `rewrite`. */
static bool
addr_selected(const char *pat, const char *addr, const char *hostname)
{
	if (strcmp(pat, "<>") == 0)
		return addr[0] == '\0';
	return addr[0] != '\0' && rewrite_match(pat, addr, hostname);
}

static bool
selected(struct control *ctl, const struct selector *sel,
    const struct envelope *env)
{
	struct config	*cfg = queue_config(ctl->queue);
	bool		 q_ok = sel->queue == NULL, r_ok = sel->rcpt == NULL;

	if (sel->all)
		return true;
	if (sel->id != NULL && strcmp(sel->id, env->id) != 0)
		return false;
	if (sel->sender != NULL &&
	    !addr_selected(sel->sender, env->sender, cfg->hostname))
		return false;
	for (int i = 0; i < env->n_rcpts && (!q_ok || !r_ok); i++) {
		const struct env_rcpt	*er = &env->rcpts[i];
		struct route		 r;

		if (er->state != RCPT_PENDING)
			continue;
		if (!r_ok && addr_selected(sel->rcpt, er->addr, cfg->hostname))
			r_ok = true;
		if (!q_ok && route_resolve(cfg, ENV_LISTENER(env), env->sender,
		    er->addr, &r) == 0 && strcasecmp(r.queue, sel->queue) == 0)
			q_ok = true;
	}
	return q_ok && r_ok;
}

struct sel_walk {
	struct control		*ctl;
	const struct selector	*sel;
	char			**ids;
	int			 n;
};

static void
sel_cb(void *arg, const struct envelope *env, bool busy)
{
	struct sel_walk *w = arg;

	(void)busy;
	if (!selected(w->ctl, w->sel, env))
		return;
	w->ids = xreallocarray(w->ids, w->n + 1, sizeof(*w->ids));
	w->ids[w->n++] = xstrdup(env->id);
}

/*
 * hold/release/remove over a selection: the ids are collected first (the
 * walk may not change the queue), then acted on one by one.
 */
static int
select_run(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	const char	*cmd = req->argv[0];
	bool		 rm = strcmp(cmd, "remove") == 0;
	bool		 hold = strcmp(cmd, "hold") == 0;
	const char	*done = rm ? "removed" : hold ? "held" : "released";
	struct selector	 sel;
	struct sel_walk	 w;
	int		 n_done = 0, n_busy = 0, n_fail = 0, r;

	if (select_parse(req, &sel, err, errlen) == -1)
		return -1;
	if (hold && sel.all) {
		snprintf(err, errlen, "hold takes an ID or a selector, not "
		    "--all");
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.ctl = ctl;
	w.sel = &sel;
	queue_walk(ctl->queue, sel_cb, &w);
	if (sel.id != NULL && w.n == 0) {
		snprintf(err, errlen, "no such message: %s", sel.id);
		return -1;
	}
	if (req->json)
		evbuffer_add_printf(out, "{\"%s\": [", done);
	for (int i = 0; i < w.n; i++) {
		r = rm ? queue_remove(ctl->queue, w.ids[i]) :
		    queue_hold(ctl->queue, w.ids[i], hold);
		if (r == -2)
			n_busy++;
		else if (r < 0)
			n_fail++;
		else {
			if (req->json) {
				put(out, n_done ? ", " : "");
				control_json_string(out, w.ids[i]);
			} else
				evbuffer_add_printf(out, "%s %s\n", done,
				    w.ids[i]);
			n_done++;
		}
		free(w.ids[i]);
	}
	free(w.ids);
	log_info("control: %s: %d message%s", cmd, n_done,
	    n_done == 1 ? "" : "s");
	if (req->json)
		evbuffer_add_printf(out, "], \"count\": %d, \"busy\": %d, "
		    "\"failed\": %d}\n", n_done, n_busy, n_fail);
	else {
		evbuffer_add_printf(out, "-- %d message%s %s", n_done,
		    n_done == 1 ? "" : "s", done);
		if (n_busy)
			evbuffer_add_printf(out, ", %d being delivered "
			    "(try again)", n_busy);
		if (n_fail)
			evbuffer_add_printf(out, ", %d failed (see the log)",
			    n_fail);
		put(out, "\n");
	}
	return 0;
}

static int
cmd_hold(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	return select_run(ctl, req, out, err, errlen);
}

/* queues: one line per scheduled queue, largest first (qshape). */
struct qstat {
	char	*name;
	int	 msgs, rcpts, held;
	time_t	 oldest, next;
	bool	 running;
};

struct qs_walk {
	struct control	*ctl;
	struct qstat	*qs;
	int		 n;
};

static struct qstat *
qstat_get(struct qs_walk *w, const char *name)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->qs[i].name, name) == 0)
			return &w->qs[i];
	w->qs = xreallocarray(w->qs, w->n + 1, sizeof(*w->qs));
	memset(&w->qs[w->n], 0, sizeof(w->qs[w->n]));
	w->qs[w->n].name = xstrdup(name);
	return &w->qs[w->n++];
}

static void
qs_cb(void *arg, const struct envelope *env, bool busy)
{
	struct qs_walk	*w = arg;
	struct config	*cfg = queue_config(w->ctl->queue);
	int		*seen = xcalloc(env->n_rcpts + 1, sizeof(*seen));
	int		 n_seen = 0;

	for (int i = 0; i < env->n_rcpts; i++) {
		struct route	 r;
		struct qstat	*q;
		int		 j, idx;

		if (env->rcpts[i].state != RCPT_PENDING ||
		    route_resolve(cfg, ENV_LISTENER(env), env->sender,
		    env->rcpts[i].addr, &r) == -1)
			continue;
		q = qstat_get(w, r.queue);
		q->rcpts++;
		/* Indices, not pointers: qs moves when it grows. */
		idx = (int)(q - w->qs);
		for (j = 0; j < n_seen; j++)
			if (seen[j] == idx)
				break;
		if (j < n_seen)
			continue;
		seen[n_seen++] = idx;
		q->msgs++;
		q->held += env->held;
		if (q->oldest == 0 || env->created < q->oldest)
			q->oldest = env->created;
		if (busy)
			q->running = true;
		else if (!env->held && (q->next == 0 ||
		    env->next_attempt < q->next))
			q->next = env->next_attempt ? env->next_attempt : 1;
	}
	free(seen);
}

static int
qstat_cmp(const void *a, const void *b)
{
	const struct qstat *x = a, *y = b;

	if (x->msgs != y->msgs)
		return y->msgs - x->msgs;
	return strcmp(x->name, y->name);
}

static int
cmd_queues(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	struct qs_walk	 w;
	time_t		 t = now();
	char		 age[32], next[40];

	(void)err;
	(void)errlen;
	memset(&w, 0, sizeof(w));
	w.ctl = ctl;
	queue_walk(ctl->queue, qs_cb, &w);
	if (w.n > 0)
		qsort(w.qs, w.n, sizeof(*w.qs), qstat_cmp);
	if (req->json)
		put(out, "[");
	else if (w.n > 0)
		evbuffer_add_printf(out, "%-40s %6s %6s %5s %8s %8s\n", "queue",
		    "msgs", "rcpts", "held", "oldest", "next");
	for (int i = 0; i < w.n; i++) {
		struct qstat *q = &w.qs[i];

		if (req->json) {
			put(out, i ? ",\n  {\"queue\": " : "\n  {\"queue\": ");
			control_json_string(out, q->name);
			evbuffer_add_printf(out, ", \"messages\": %d, "
			    "\"recipients\": %d, \"held\": %d, \"oldest\": %ld, "
			    "\"next_attempt\": %lld, \"running\": %s}", q->msgs,
			    q->rcpts, q->held, (long)(t - q->oldest),
			    (long long)q->next, q->running ? "true" : "false");
		} else {
			duration_text(age, sizeof(age), (long)(t - q->oldest));
			if (q->running)
				snprintf(next, sizeof(next), "running");
			else if (q->next == 0)
				snprintf(next, sizeof(next), "held");
			else if (q->next <= t)
				snprintf(next, sizeof(next), "now");
			else {
				next[0] = '+';
				duration_text(next + 1, sizeof(next) - 1,
				    (long)(q->next - t));
			}
			for (char *c = q->name; *c != '\0'; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			evbuffer_add_printf(out, "%-40s %6d %6d %5d %8s %8s\n",
			    q->name, q->msgs, q->rcpts, q->held, age, next);
		}
		free(q->name);
	}
	free(w.qs);
	if (req->json)
		put(out, w.n ? "\n]\n" : "]\n");
	else if (w.n == 0)
		put(out, "queue is empty\n");
	return 0;
}

static int
cmd_reload(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	log_info("control: reload requested");
	if (ctl->reload(ctl->reload_arg, err, errlen) == -1)
		return -1;
	if (req->json)
		evbuffer_add_printf(out, "{\"reloaded\": true}\n");
	else
		evbuffer_add_printf(out, "configuration reloaded\n");
	return 0;
}

/* Per listener and per relayer: the numbers the metrics page shows. */
struct by_name {
	char		*name;
	uint64_t	 v[5];	/* listener: received, current;
				   relayer: delivered, deferred, bounced,
				   expired */
};

struct by_names {
	struct by_name	*e;
	int		 n;
};

static struct by_name *
by_name_get(struct by_names *b, const char *name)
{
	for (int i = 0; i < b->n; i++)
		if (strcmp(b->e[i].name, name) == 0)
			return &b->e[i];
	b->e = xreallocarray(b->e, b->n + 1, sizeof(*b->e));
	memset(&b->e[b->n], 0, sizeof(b->e[b->n]));
	b->e[b->n].name = xstrdup(name);
	return &b->e[b->n++];
}

static const char *const relayer_results[] = {
	"delivered", "deferred", "bounced", "expired"
};

static void
received_cb(void *arg, const char *name, const char *result, uint64_t v)
{
	(void)result;
	by_name_get(arg, name)->v[0] = v;
}

static void
current_cb(void *arg, const char *name, int n)
{
	by_name_get(arg, name)->v[1] = (uint64_t)n;
}

static void
deliveries_cb(void *arg, const char *name, const char *result, uint64_t v)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(result, relayer_results[i]) == 0)
			by_name_get(arg, name)->v[i] = v;
}

static void
by_names_put(struct evbuffer *out, bool json, const char *what,
    struct by_names *b, const char *const *keys, int nkeys)
{
	if (json) {
		evbuffer_add_printf(out, ", \"%ss\": {", what);
		for (int i = 0; i < b->n; i++) {
			put(out, i ? ", " : "");
			control_json_string(out, b->e[i].name);
			put(out, ": {");
			for (int k = 0; k < nkeys; k++)
				evbuffer_add_printf(out, "%s\"%s\": %" PRIu64,
				    k ? ", " : "", keys[k], b->e[i].v[k]);
			put(out, "}");
		}
		put(out, "}");
	} else
		for (int i = 0; i < b->n; i++)
			for (int k = 0; k < nkeys; k++) {
				evbuffer_add_printf(out, "%s.", what);
				text_clean(out, b->e[i].name);
				evbuffer_add_printf(out, ".%s: %" PRIu64 "\n",
				    keys[k], b->e[i].v[k]);
			}
	for (int i = 0; i < b->n; i++)
		free(b->e[i].name);
	free(b->e);
}

static void
stats_by_name(struct control *ctl, bool json, struct evbuffer *out)
{
	static const char *const lkeys[] = { "received",
	    "connections_current" };
	struct config	*cfg = queue_config(ctl->queue);
	struct by_names	 l = { NULL, 0 }, r = { NULL, 0 };

	for (int i = 0; i < cfg->n_listeners; i++)
		by_name_get(&l, cfg->listeners[i].name);
	stats_walk(SF_RECEIVED, received_cb, &l);
	smtp_server_listeners(ctl->server, current_cb, &l);
	by_names_put(out, json, "listener", &l, lkeys, 2);
	for (int i = 0; i < cfg->n_relayers; i++)
		by_name_get(&r, cfg->relayers[i].name);
	stats_walk(SF_DELIVERIES, deliveries_cb, &r);
	by_names_put(out, json, "relayer", &r, relayer_results, 4);
}

static int
cmd_stats(struct control *ctl, const struct control_req *req,
    struct evbuffer *out, char *err, size_t errlen)
{
	const char	*fmt = req->json ? "%s\"%s\": %" PRIu64 :
			    "%s%s: %" PRIu64 "\n";
	const char	*sep = req->json ? ", " : "";
	long		 up = (long)(now() - stats_started());

	if (req->json)
		put(out, "{");
	for (int c = 0; c < STAT_MAX; c++)
		evbuffer_add_printf(out, fmt, c ? sep : "", stats_name(c),
		    stats_get(c));
	evbuffer_add_printf(out, fmt, sep, "queue_length",
	    (uint64_t)queue_length(ctl->queue));
	evbuffer_add_printf(out, fmt, sep, "connections_current",
	    (uint64_t)smtp_server_sessions(ctl->server));
	evbuffer_add_printf(out, fmt, sep, "uptime", (uint64_t)(up < 0 ? 0 :
	    up));
	stats_by_name(ctl, req->json, out);
	if (req->json)
		put(out, "}\n");
	return 0;
}

/* Run one request; the response goes to out. */
static void
control_dispatch(void *arg, const char *line, size_t len,
    struct evbuffer *out)
{
	struct control		*ctl = arg;
	struct control_req	 req;
	const struct ctl_cmd	*cmd = NULL;
	struct evbuffer		*body = evbuffer_new();
	char			 err[1024];
	size_t			 i;
	int			 rc = -1;

	err[0] = '\0';
	if (body == NULL) {
		evbuffer_add_printf(out, "error out of memory\n");
		return;
	}
	if (control_parse(line, len, &req, err, sizeof(err)) == -1)
		goto done;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(req.argv[0], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		snprintf(err, sizeof(err), "unknown command \"%s\" (commands: "
		    "queue, show ID, flush [ID], remove ID, reload, stats)",
		    req.argv[0]);
		goto done;
	}
	if (req.argc - 1 < cmd->min_args || req.argc - 1 > cmd->max_args) {
		snprintf(err, sizeof(err), "usage: %s", cmd->usage);
		goto done;
	}
	log_debug("control: %s", cmd->name);
	rc = cmd->run(ctl, &req, body, err, sizeof(err));
done:
	if (rc == 0) {
		put(out, "ok\n");
		evbuffer_add_buffer(out, body);
	} else {
		/* One line: the reason must not forge more of the reply. */
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20)
				err[i] = ' ';
		evbuffer_add_printf(out, "error %s\n",
		    err[0] ? err : "failed");
	}
	evbuffer_free(body);
}

struct control *
control_new(struct event_base *base, const char *path, struct queue *queue,
    struct smtp_server *server, control_reload_cb reload, void *arg,
    char *err, size_t errlen)
{
	struct control	*ctl;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->queue = queue;
	ctl->server = server;
	ctl->reload = reload;
	ctl->reload_arg = arg;
	if ((ctl->sock = control_socket_new(base, path, control_dispatch, ctl,
	    err, errlen)) == NULL) {
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	control_socket_free(ctl->sock);
	free(ctl);
}
