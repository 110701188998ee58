/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * addrlist.c — RFC 5322 address lists: tokens, the list grammar, and the
 * rewriting of addr-specs in place.  See addrlist.h.
 *
 * The value is first cut into tokens (atoms, quoted strings, domain
 * literals, specials); blanks, folding and comments separate tokens and
 * are remembered only as "something came before this token".  The parser
 * then walks the tokens with the grammar of RFC 5322 §3.4 (and the
 * obsolete empty list members of §4.4); anything it does not understand
 * (a source route, a nested group, a bare CR, an unbalanced quote) makes
 * the whole value malformed, which callers leave untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "util.h"

enum tok_type { T_ATOM, T_QSTR, T_DLIT, T_SPECIAL, T_END };

struct tok {
	enum tok_type	 type;
	char		 c;		/* T_SPECIAL: the character */
	size_t		 start, end;
	bool		 cfws_before;	/* blank, folding or comment before */
};

struct parser {
	const char	*v;
	size_t		 len;
	struct tok	*t;
	size_t		 n, cap, i;
	addrlist_fn	 fn;
	void		*arg;
};

static bool
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;		/* UTF-8 (RFC 6532) */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Blanks and folding at v[*i]: advance; -1 on a CR or LF that is not a
 * fold (CRLF followed by a blank). */
static int
skip_fws(const char *v, size_t len, size_t *i, bool *seen)
{
	while (*i < len) {
		if (v[*i] == ' ' || v[*i] == '\t') {
			(*i)++;
		} else if (v[*i] == '\r') {
			if (*i + 2 >= len || v[*i + 1] != '\n' ||
			    (v[*i + 2] != ' ' && v[*i + 2] != '\t'))
				return -1;
			*i += 2;
		} else if (v[*i] == '\n')
			return -1;
		else
			break;
		*seen = true;
	}
	return 0;
}

/* A comment starting at v[*i] == '(' (nested, with quoted pairs). */
static int
skip_comment(const char *v, size_t len, size_t *i)
{
	int	 depth = 0;
	bool	 seen;

	do {
		if (*i >= len)
			return -1;
		if (v[*i] == '\\') {
			if (*i + 1 >= len || v[*i + 1] == '\r' ||
			    v[*i + 1] == '\n')
				return -1;
			*i += 2;
			continue;
		}
		if (v[*i] == '\r' || v[*i] == '\n') {
			if (skip_fws(v, len, i, &seen) == -1)
				return -1;
			continue;
		}
		if (v[*i] == '(')
			depth++;
		else if (v[*i] == ')')
			depth--;
		else if (v[*i] == '\0')
			return -1;
		(*i)++;
	} while (depth > 0);
	return 0;
}

/* A quoted string or a domain literal from its opening v[*i] to its
 * closing character included. */
static int
skip_quoted(const char *v, size_t len, size_t *i, char close)
{
	bool	 seen;

	for ((*i)++; *i < len; ) {
		if (v[*i] == close) {
			(*i)++;
			return 0;
		}
		if (v[*i] == '\\') {
			if (*i + 1 >= len || v[*i + 1] == '\r' ||
			    v[*i + 1] == '\n')
				return -1;
			*i += 2;
		} else if (v[*i] == '\r' || v[*i] == '\n') {
			if (skip_fws(v, len, i, &seen) == -1)
				return -1;
		} else if (v[*i] == '\0' || (close == ']' && v[*i] == '['))
			return -1;
		else
			(*i)++;
	}
	return -1;
}

static void
push(struct parser *p, enum tok_type type, char c, size_t start, size_t end,
    bool cfws)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->t = xreallocarray(p->t, p->cap, sizeof(*p->t));
	}
	p->t[p->n].type = type;
	p->t[p->n].c = c;
	p->t[p->n].start = start;
	p->t[p->n].end = end;
	p->t[p->n].cfws_before = cfws;
	p->n++;
}

static int
tokenize(struct parser *p)
{
	const char	*v = p->v;
	size_t		 i = 0, s;
	bool		 cfws = false;

	while (i < p->len) {
		unsigned char c = (unsigned char)v[i];

		s = i;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (skip_fws(v, p->len, &i, &cfws) == -1)
				return -1;
			continue;
		}
		if (c == '(') {
			if (skip_comment(v, p->len, &i) == -1)
				return -1;
			cfws = true;
			continue;
		}
		if (c == '"') {
			if (skip_quoted(v, p->len, &i, '"') == -1)
				return -1;
			push(p, T_QSTR, 0, s, i, cfws);
		} else if (c == '[') {
			if (skip_quoted(v, p->len, &i, ']') == -1)
				return -1;
			push(p, T_DLIT, 0, s, i, cfws);
		} else if (strchr("<>@,;:.", c) != NULL && c != '\0') {
			i++;
			push(p, T_SPECIAL, (char)c, s, i, cfws);
		} else if (is_atext(c)) {
			while (i < p->len && is_atext((unsigned char)v[i]))
				i++;
			push(p, T_ATOM, 0, s, i, cfws);
		} else
			return -1;	/* ) ] \ or a control character */
		cfws = false;
	}
	push(p, T_END, 0, p->len, p->len, cfws);
	return 0;
}

static bool
is_special(const struct tok *t, char c)
{
	return t->type == T_SPECIAL && t->c == c;
}

static bool
is_word(const struct tok *t)
{
	return t->type == T_ATOM || t->type == T_QSTR;
}

/* addr-spec: word *("." word) ["@" (atom *("." atom) / domain-literal)] */
static int
parse_addr_spec(struct parser *p, bool angle)
{
	struct addrlist_addr	 a;
	struct buf		 b = { NULL, 0, 0 };
	size_t			 first = p->i, k;
	int			 rc = 0;

	if (!is_word(&p->t[p->i]))
		return -1;
	p->i++;
	while (is_special(&p->t[p->i], '.')) {
		if (!is_word(&p->t[p->i + 1]))
			return -1;
		p->i += 2;
	}
	a.has_domain = false;
	if (is_special(&p->t[p->i], '@')) {
		a.has_domain = true;
		p->i++;
		if (p->t[p->i].type == T_DLIT)
			p->i++;
		else {
			if (p->t[p->i].type != T_ATOM)
				return -1;
			p->i++;
			while (is_special(&p->t[p->i], '.')) {
				if (p->t[p->i + 1].type != T_ATOM)
					return -1;
				p->i += 2;
			}
		}
	}
	a.start = p->t[first].start;
	a.end = p->t[p->i - 1].end;
	a.angle = angle;
	a.contiguous = true;
	for (k = first; k < p->i; k++) {
		if (k > first && p->t[k].cfws_before)
			a.contiguous = false;
		buf_add(&b, p->v + p->t[k].start, p->t[k].end - p->t[k].start);
	}
	a.addr = b.p;
	if (p->fn != NULL)
		rc = p->fn(&a, p->arg);
	free(b.p);
	return rc;
}

/* Is the run of tokens from p->i up to (not including) end a phrase
 * (words and, as obsolete phrases allow, dots)? */
static bool
is_phrase(const struct parser *p, size_t end)
{
	size_t	 k;

	for (k = p->i; k < end; k++)
		if (!is_word(&p->t[k]) && !is_special(&p->t[k], '.'))
			return false;
	return true;
}

static int parse_list(struct parser *, bool);

/* After the opening token k, what fn parses (in angle brackets or in a
 * group), then the closing special. */
static int
enclosed(struct parser *p, size_t k, int (*fn)(struct parser *, bool),
    char close)
{
	p->i = k + 1;
	if (fn(p, true) == -1 || !is_special(&p->t[p->i], close))
		return -1;
	p->i++;
	return 0;
}

/* mailbox or group, starting at p->i; stops before the next ',' or ';'. */
static int
parse_address(struct parser *p, bool in_group)
{
	size_t	 k;

	for (k = p->i; p->t[k].type != T_END; k++)
		if (p->t[k].type == T_SPECIAL && strchr(",;:<", p->t[k].c))
			break;
	if (is_special(&p->t[k], '<'))
		return is_phrase(p, k) ? enclosed(p, k, parse_addr_spec, '>') :
		    -1;
	if (is_special(&p->t[k], ':')) {
		if (in_group || k == p->i || !is_phrase(p, k))
			return -1;
		return enclosed(p, k, parse_list, ';');
	}
	return parse_addr_spec(p, false);
}

/* Members separated by commas, empty ones allowed; in a group, up to
 * (not including) its ';'. */
static int
parse_list(struct parser *p, bool in_group)
{
	for (;;) {
		const struct tok *t = &p->t[p->i];

		if (t->type == T_END)
			return in_group ? -1 : 0;
		if (is_special(t, ';'))
			return in_group ? 0 : -1;
		if (is_special(t, ',')) {
			p->i++;
			continue;
		}
		if (parse_address(p, in_group) == -1)
			return -1;
		t = &p->t[p->i];
		if (is_special(t, ','))
			p->i++;
		else if (t->type != T_END && !(in_group && is_special(t, ';')))
			return -1;
	}
}

int
addrlist_walk(const char *v, size_t len, addrlist_fn fn, void *arg)
{
	struct parser	 p;
	int		 rc;

	memset(&p, 0, sizeof(p));
	p.v = v;
	p.len = len;
	p.fn = fn;
	p.arg = arg;
	rc = tokenize(&p);
	if (rc == 0)
		rc = parse_list(&p, false);
	free(p.t);
	return rc;
}

struct edit {
	size_t	 start, end;
	char	*addr;
};

struct edits {
	struct edit	*e;
	size_t		 n;
	addrlist_map_fn	 map;
	void		*arg;
};

static int
collect(const struct addrlist_addr *a, void *arg)
{
	struct edits	*ed = arg;
	char		*new;

	if (!a->contiguous)
		return 0;
	if ((new = ed->map(a->addr, ed->arg)) == NULL)
		return 0;
	if (strcmp(new, a->addr) == 0) {
		free(new);
		return 0;
	}
	ed->e = xreallocarray(ed->e, ed->n + 1, sizeof(*ed->e));
	ed->e[ed->n].start = a->start;
	ed->e[ed->n].end = a->end;
	ed->e[ed->n].addr = new;
	ed->n++;
	return 0;
}

int
addrlist_rewrite(const char *v, size_t len, addrlist_map_fn map, void *arg,
    struct buf *out)
{
	struct edits	 ed = { NULL, 0, map, arg };
	size_t		 i, at = 0;
	int		 rc;

	if (addrlist_walk(v, len, collect, &ed) == -1)
		rc = -1;
	else if (ed.n == 0)
		rc = 0;
	else {
		for (i = 0; i < ed.n; i++) {
			buf_add(out, v + at, ed.e[i].start - at);
			buf_str(out, ed.e[i].addr);
			at = ed.e[i].end;
		}
		buf_add(out, v + at, len - at);
		rc = 1;
	}
	for (i = 0; i < ed.n; i++)
		free(ed.e[i].addr);
	free(ed.e);
	return rc;
}
