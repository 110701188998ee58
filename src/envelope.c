/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * envelope.c — owns struct envelope and its durable text form.
 *
 * Pure: no I/O.  The text is read back from disk after crashes, so the
 * parser trusts nothing: every line, key, number and recipient is checked,
 * and anything unexpected makes the whole envelope invalid (spool.c then
 * sets it aside in corrupt/ rather than guessing).
 *
 * Format (one field per line, LF line ends):
 *
 *	smarthostd-envelope 1
 *	id 0123456789ABCDEF
 *	created 1700000000
 *	sender user@example.org		(empty value: the null sender)
 *	listener local
 *	helo, client, auth_user, last_error	(omitted when NULL)
 *	attempts 0
 *	next_attempt 0
 *	size 1234
 *	smtputf8 0
 *	body8bit 0
 *	warned 1			(omitted unless a delay warning went)
 *	held 1				(omitted unless held)
 *	ret FULL|HDRS			(DSN; omitted unless given)
 *	envid <xtext>			(DSN; omitted unless given)
 *	rcpt <pending|delivered|failed>\t<addr>\t<remote>\t<status>
 *	rcpt ...\t<status>\t<notify>\t<orcpt>\t<done>
 *	...
 *
 * A recipient line has the last three fields only when the recipient has
 * DSN parameters (so that an envelope without any reads as it always
 * did, and older envelopes load): NOTIFY as "SUCCESS,DELAY", "NEVER" or
 * empty, ORCPT as canonical xtext or empty, and what became of it once
 * delivered ("delivered", "relayed", "passed").  ENVID and ORCPT are kept
 * as xtext (dsn.h): no blank, tab or control character can reach the
 * file through them, whatever octets they encode.
 *	end
 *
 * The final "end" line makes a file cut at a line boundary invalid: without
 * it, losing the last recipient lines would go unnoticed.  Future versions
 * bump the version number; unknown keys are errors, not ignored.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"
#include "util.h"

#define ENVELOPE_MAGIC	"smarthostd-envelope"
#define ENVELOPE_VERSION 1

/* A growing output buffer. */

static const char *const dsn_dones[] = {
	[DSN_DONE_DELIVERED] = "delivered",
	[DSN_DONE_RELAYED] = "relayed",
	[DSN_DONE_PASSED] = "passed",
};

static const char *const rcpt_states[] = {
	[RCPT_PENDING] = "pending",
	[RCPT_DELIVERED] = "delivered",
	[RCPT_FAILED] = "failed",
};

enum { K_ID, K_CREATED, K_SENDER, K_LISTENER, K_HELO, K_CLIENT, K_AUTH,
    K_ATTEMPTS, K_NEXT, K_LASTERR, K_SIZE, K_UTF8, K_8BIT, K_WARNED, K_HELD,
    K_RET, K_ENVID, K_MAX };

static const char *const keys[K_MAX] = {
	"id", "created", "sender", "listener", "helo", "client", "auth_user",
	"attempts", "next_attempt", "last_error", "size", "smtputf8",
	"body8bit", "warned", "held", "ret", "envid",
};

/* The keys whose value is a string the envelope owns: where it is kept
 * (0: not a string).  Parsing, copying and freeing go by this table. */
#define E(f)	offsetof(struct envelope, f)
static const size_t str_off[K_MAX] = {
	[K_SENDER] = E(sender), [K_LISTENER] = E(listener), [K_HELO] = E(helo),
	[K_CLIENT] = E(client), [K_AUTH] = E(auth_user),
	[K_LASTERR] = E(last_error), [K_ENVID] = E(envid),
};
#undef E

static char **
str_field(struct envelope *env, int k)
{
	return (char **)((char *)env + str_off[k]);
}

struct envelope *
envelope_new(void)
{
	return xcalloc(1, sizeof(struct envelope));
}

void
envelope_add_rcpt(struct envelope *env, const char *addr)
{
	struct env_rcpt	*r;

	env->rcpts = xreallocarray(env->rcpts, env->n_rcpts + 1,
	    sizeof(*env->rcpts));
	r = &env->rcpts[env->n_rcpts++];
	r->addr = xstrdup(addr);
	r->state = RCPT_PENDING;
	r->status = NULL;
	r->remote = NULL;
	r->notify = 0;
	r->orcpt = NULL;
	r->done = DSN_DONE_DELIVERED;
}

void
envelope_free(struct envelope *env)
{
	int	i, k;

	if (env == NULL)
		return;
	if (env->packed) {
		free(env);
		return;
	}
	for (i = 0; i < env->n_rcpts; i++) {
		free(env->rcpts[i].addr);
		free(env->rcpts[i].status);
		free(env->rcpts[i].remote);
		free(env->rcpts[i].orcpt);
	}
	free(env->rcpts);
	for (k = 0; k < K_MAX; k++)
		if (str_off[k] != 0)
			free(*str_field(env, k));
	free(env);
}

int
envelope_pending(const struct envelope *env)
{
	int	i, n = 0;

	for (i = 0; i < env->n_rcpts; i++)
		if (env->rcpts[i].state == RCPT_PENDING)
			n++;
	return n;
}

/* Serialisation. */

static void
buf_clean(struct buf *b, const char *s)
{
	const char	*p;
	size_t		 n;

	if (s == NULL)
		return;
	while (*s != '\0') {
		for (p = s; *p != '\0' && (unsigned char)*p >= 0x20 &&
		    *p != 0x7f; p++)
			;
		n = p - s;
		if (n > 0)
			buf_add(b, s, n);
		if (*p == '\0')
			break;
		buf_add(b, " ", 1);
		s = p + 1;
	}
}

static void
put_str(struct buf *b, const char *key, const char *val, bool always)
{
	if (val == NULL && !always)
		return;
	buf_str(b, key);
	buf_add(b, " ", 1);
	buf_clean(b, val);
	buf_add(b, "\n", 1);
}

static void
put_num(struct buf *b, const char *key, unsigned long long v)
{
	char	num[32];

	snprintf(num, sizeof(num), " %llu\n", v);
	buf_str(b, key);
	buf_str(b, num);
}

char *
envelope_to_text(const struct envelope *env, size_t *len)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 id[QUEUE_ID_MAX + 1];
	int		 i;

	snprintf(id, sizeof(id), "%s", env->id);
	put_num(&b, ENVELOPE_MAGIC, ENVELOPE_VERSION);
	put_str(&b, "id", id, true);
	/* Times before the epoch do not occur; write them as 0. */
	put_num(&b, "created", env->created > 0 ? env->created : 0);
	put_str(&b, "sender", env->sender, true);
	put_str(&b, "listener", env->listener, false);
	put_str(&b, "helo", env->helo, false);
	put_str(&b, "client", env->client, false);
	put_str(&b, "auth_user", env->auth_user, false);
	put_num(&b, "attempts", env->attempts > 0 ? env->attempts : 0);
	put_num(&b, "next_attempt",
	    env->next_attempt > 0 ? env->next_attempt : 0);
	put_str(&b, "last_error", env->last_error, false);
	put_num(&b, "size", env->size);
	put_num(&b, "smtputf8", env->smtputf8);
	put_num(&b, "body8bit", env->body8bit);
	if (env->warned)
		put_num(&b, "warned", 1);
	if (env->held)
		put_num(&b, "held", 1);
	if (env->ret != DSN_RET_UNSPEC)
		put_str(&b, "ret", dsn_ret_to_text(env->ret), true);
	put_str(&b, "envid", env->envid, false);
	for (i = 0; i < env->n_rcpts; i++) {
		const struct env_rcpt *r = &env->rcpts[i];
		unsigned st = r->state;

		if (st > RCPT_FAILED)
			st = RCPT_PENDING;	/* never lose a recipient */
		buf_str(&b, "rcpt ");
		buf_str(&b, rcpt_states[st]);
		buf_add(&b, "\t", 1);
		buf_clean(&b, r->addr);
		buf_add(&b, "\t", 1);
		buf_clean(&b, r->remote);
		buf_add(&b, "\t", 1);
		buf_clean(&b, r->status);
		if (r->notify != 0 || r->orcpt != NULL) {
			char	n[sizeof("SUCCESS,FAILURE,DELAY,NEVER")];

			dsn_notify_to_text(r->notify, n, sizeof(n));
			buf_add(&b, "\t", 1);
			buf_str(&b, n);
			buf_add(&b, "\t", 1);
			buf_clean(&b, r->orcpt);
			buf_add(&b, "\t", 1);
			buf_str(&b, dsn_dones[r->done <= DSN_DONE_PASSED ?
			    r->done : DSN_DONE_DELIVERED]);
		}
		buf_add(&b, "\n", 1);
	}
	buf_str(&b, "end\n");
	if (len != NULL)
		*len = b.len;
	return b.p;
}

/* Parsing. */

/* Strict unsigned decimal: digits only, no sign, no blanks, no overflow. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Octets for s and its NUL in a packed envelope; none for NULL. */
static size_t
pack_size(const char *s)
{
	return s == NULL ? 0 : strlen(s) + 1;
}

/* A copy of s: its own allocation, or when packing (at != NULL) at *at,
 * which moves past it.  NULL stays NULL. */
static char *
copy_str(char **at, const char *s)
{
	char	*p;
	size_t	 n;

	if (s == NULL)
		return NULL;
	if (at == NULL)
		return xstrdup(s);
	n = strlen(s) + 1;
	p = memcpy(*at, s, n);
	*at += n;
	return p;
}

/* A packed envelope's recipients follow the struct directly. */
_Static_assert(sizeof(struct envelope) % _Alignof(struct env_rcpt) == 0,
    "struct envelope keeps a following env_rcpt array aligned");

/* envelope_dup() and envelope_pack(): one walk of the fields. */
static struct envelope *
envelope_copy(const struct envelope *env, bool pack)
{
	struct envelope	*d, *e = (struct envelope *)env;	/* read only */
	size_t		 nr = env->n_rcpts > 0 ? (size_t)env->n_rcpts : 0;
	size_t		 size = sizeof(*d);
	char		*at, **ap = NULL;
	int		 k;

	if (pack) {
		size += nr * sizeof(*d->rcpts);
		for (k = 0; k < K_MAX; k++)
			if (str_off[k] != 0)
				size += pack_size(*str_field(e, k));
		for (size_t i = 0; i < nr; i++)
			size += pack_size(env->rcpts[i].addr) +
			    pack_size(env->rcpts[i].status) +
			    pack_size(env->rcpts[i].remote) +
			    pack_size(env->rcpts[i].orcpt);
	}
	d = xmalloc(size);
	*d = *env;
	d->packed = pack;
	d->rcpts = NULL;
	/* Packed: the recipients right after the struct (whose size keeps
	 * them aligned), then the strings. */
	if (nr > 0)
		d->rcpts = pack ? (struct env_rcpt *)(void *)(d + 1) :
		    xcalloc(nr, sizeof(*d->rcpts));
	if (pack) {
		at = (char *)(d + 1) + nr * sizeof(*d->rcpts);
		ap = &at;
	}
	for (k = 0; k < K_MAX; k++)	/* the copied pointers, copied */
		if (str_off[k] != 0)
			*str_field(d, k) = copy_str(ap, *str_field(e, k));
	for (size_t i = 0; i < nr; i++) {
		d->rcpts[i] = env->rcpts[i];
		d->rcpts[i].addr = copy_str(ap, env->rcpts[i].addr);
		d->rcpts[i].status = copy_str(ap, env->rcpts[i].status);
		d->rcpts[i].remote = copy_str(ap, env->rcpts[i].remote);
		d->rcpts[i].orcpt = copy_str(ap, env->rcpts[i].orcpt);
	}
	return d;
}

struct envelope *
envelope_dup(const struct envelope *env)
{
	return envelope_copy(env, false);
}

struct envelope *
envelope_pack(const struct envelope *env)
{
	return envelope_copy(env, true);
}

bool
envelope_id_valid(const char *s)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') ||
		    (s[n] >= 'A' && s[n] <= 'F')))
			return false;
	return n > 0 && n <= QUEUE_ID_MAX;
}

/* A value of the form used for time_t fields (non-negative, fits). */
static int
parse_time(const char *s, time_t *t)
{
	uint64_t	v;
	uint64_t	max = sizeof(time_t) >= 8 ? INT64_MAX : INT32_MAX;

	if (parse_u64(s, max, &v) == -1)
		return -1;
	*t = (time_t)v;
	return 0;
}

/* The index of s among the n names, or -1. */
static int
name_index(const char *const *names, int n, const char *s)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* "rcpt <state>\t<addr>\t<remote>\t<status>[\t<notify>\t<orcpt>\t<done>]";
 * v is what follows "rcpt ". */
static const char *
parse_rcpt(struct envelope *env, char *v)
{
	char		*f[7], *p = v;
	struct env_rcpt	*r;
	int		 i, nf, st, done = -1;
	unsigned	 notify = 0;

	for (nf = 0; nf < 7 && p != NULL; nf++) {
		f[nf] = p;
		if ((p = strchr(p, '\t')) != NULL)
			*p++ = '\0';
	}
	if (nf < 4)
		return "recipient line with too few fields";
	if (p != NULL || (nf != 4 && nf != 7))
		return "recipient line with a wrong number of fields";
	for (i = 0; i < nf; i++)
		if (str_has_ctl(f[i]))
			return "control character in recipient line";
	if ((st = name_index(rcpt_states, RCPT_FAILED + 1, f[0])) == -1)
		return "unknown recipient state";
	if (*f[1] == '\0')
		return "empty recipient address";
	if (nf == 7) {
		if (*f[4] != '\0' &&
		    dsn_notify_parse(f[4], strlen(f[4]), &notify) == -1)
			return "bad recipient NOTIFY";
		if (*f[5] != '\0' && !dsn_orcpt_valid(f[5]))
			return "bad recipient ORCPT";
		if ((done = name_index(dsn_dones, DSN_DONE_PASSED + 1,
		    f[6])) == -1)
			return "unknown recipient DSN outcome";
	}
	if (env->n_rcpts >= 1000000)
		return "too many recipients";
	envelope_add_rcpt(env, f[1]);
	r = &env->rcpts[env->n_rcpts - 1];
	r->state = st;
	r->remote = *f[2] != '\0' ? xstrdup(f[2]) : NULL;
	r->status = *f[3] != '\0' ? xstrdup(f[3]) : NULL;
	if (nf == 7) {
		r->notify = notify;
		r->orcpt = *f[5] != '\0' ? xstrdup(f[5]) : NULL;
		r->done = done;
	}
	return NULL;
}

/* One "key value" line (not a rcpt line).  Returns NULL or a reason. */
static const char *
parse_field(struct envelope *env, const char *key, const char *v,
    unsigned *seen)
{
	uint64_t	 n;
	int		 k;

	if ((k = name_index(keys, K_MAX, key)) == -1)
		return "unknown key";
	if (*seen & (1u << k))
		return "duplicate key";
	*seen |= 1u << k;
	/* Values may hold any byte but control characters (UTF-8 passes). */
	if (str_has_ctl(v))
		return "control character in value";

	switch (k) {
	case K_ID:
		if (!envelope_id_valid(v))
			return "bad id";
		strlcpy_(env->id, v, sizeof(env->id));
		return NULL;
	case K_CREATED:
		return parse_time(v, &env->created) == -1 ?
		    "bad created time" : NULL;
	case K_NEXT:
		return parse_time(v, &env->next_attempt) == -1 ?
		    "bad next_attempt time" : NULL;
	case K_ATTEMPTS:
		if (parse_u64(v, INT32_MAX, &n) == -1)
			return "bad attempts";
		env->attempts = (int)n;
		return NULL;
	case K_SIZE:
		return parse_u64(v, UINT64_MAX, &env->size) == -1 ?
		    "bad size" : NULL;
	case K_UTF8:
	case K_8BIT:
	case K_WARNED:
	case K_HELD:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return "bad boolean";
		if (k == K_UTF8)
			env->smtputf8 = *v == '1';
		else if (k == K_8BIT)
			env->body8bit = *v == '1';
		else if (k == K_WARNED)
			env->warned = *v == '1';
		else
			env->held = *v == '1';
		return NULL;
	case K_RET:
		return dsn_ret_parse(v, strlen(v), &env->ret) == -1 ?
		    "bad ret" : NULL;
	case K_ENVID:
		if (!dsn_envid_valid(v))
			return "bad envid";
		/* FALLTHROUGH */
	default:	/* the strings of str_off[] */
		*str_field(env, k) = xstrdup(v);
		return NULL;
	}
}

/* Parse one NUL-terminated line (without its LF). */
static const char *
parse_line(struct envelope *env, char *line, size_t lineno, unsigned *seen,
    bool *ended)
{
	char	*v;

	if (*ended)
		return "data after end line";
	if (lineno == 1) {
		if (strncmp(line, ENVELOPE_MAGIC " ",
		    sizeof(ENVELOPE_MAGIC)) != 0)
			return "not an envelope";
		if (strcmp(line + sizeof(ENVELOPE_MAGIC), "1") != 0)
			return "unsupported envelope version";
		return NULL;
	}
	if (strcmp(line, "end") == 0) {
		*ended = true;
		return NULL;
	}
	if ((v = strchr(line, ' ')) == NULL)
		return "line without value";
	*v++ = '\0';
	if (strcmp(line, "rcpt") == 0)
		return parse_rcpt(env, v);
	return parse_field(env, line, v, seen);
}

struct envelope *
envelope_from_text(const char *text, size_t len, const char **err)
{
	struct envelope	*env;
	const char	*reason = NULL, *line;
	char		*copy;
	size_t		 off = 0, n;
	unsigned	 seen = 0;
	size_t		 lineno = 0;
	bool		 ended = false;

	if (err != NULL)
		*err = NULL;
	if (text == NULL || len == 0) {
		if (err != NULL)
			*err = "empty envelope";
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		if (err != NULL)
			*err = "NUL byte in envelope";
		return NULL;
	}
	if (text[len - 1] != '\n') {
		if (err != NULL)
			*err = "truncated envelope (no final newline)";
		return NULL;
	}

	env = envelope_new();
	copy = xstrndup(text, len);
	while (reason == NULL && util_line(copy, len, &off, &line, &n)) {
		copy[line - copy + n] = '\0';	/* its "\n" */
		reason = parse_line(env, copy + (line - copy), ++lineno, &seen,
		    &ended);
	}
	free(copy);

	if (reason == NULL && !ended)
		reason = "truncated envelope (no end line)";
	if (reason == NULL && !(seen & (1u << K_ID)))
		reason = "missing id";
	if (reason == NULL && !(seen & (1u << K_CREATED)))
		reason = "missing created";
	if (reason == NULL && !(seen & (1u << K_SENDER)))
		reason = "missing sender";
	if (reason == NULL && !(seen & (1u << K_SIZE)))
		reason = "missing size";
	if (reason == NULL && env->n_rcpts == 0)
		reason = "no recipients";
	if (reason != NULL) {
		envelope_free(env);
		if (err != NULL)
			*err = reason;
		return NULL;
	}
	return env;
}
