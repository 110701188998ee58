/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_include.c — owns `@include "file"` in smarthostd.conf (pure: the
 * one read of a file goes through the caller's include_read_fn).
 *
 * libconfig 1.5 resolves every @include against one directory, whatever
 * file the directive is in, and its errors inside an included file do not
 * say which file could not be opened.  So the directives are expanded here,
 * before libconfig sees the text: a relative name is taken relative to the
 * directory of the file that contains the directive, and a map from each
 * line of the expanded text to (file, line) lets every error name the file
 * and line the user wrote.
 *
 * A directive is recognised exactly where libconfig's scanner recognises
 * one: at the start of a line (after blanks), outside strings and
 * comments.  The scan below follows the same states as libconfig's
 * scanner: "..." strings (which may span lines; \" and \\ do not end
 * them), block comments, and # and // comments to the end of the line.
 * Text after the closing quote of a directive stays on its line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_include.h"
#include "util.h"

struct segment {
	unsigned	 out;		/* first line of the expanded text */
	unsigned	 file;		/* index into names */
	unsigned	 line;		/* ... which is this line of that file */
};

struct include_map {
	char		**names;
	unsigned	  nnames;
	struct segment	 *segs;
	size_t		  nsegs, capsegs;
};

struct expander {
	include_read_fn	 read;
	void		*arg;
	size_t		 maxlen;
	struct buf	 out;
	unsigned	 out_line;	/* line of the expanded text being built */
	struct include_map *map;
	char		*err;
	size_t		 errlen;
};

enum scan_state { S_TEXT, S_STRING, S_BLOCK, S_LINE };

static int __attribute__((format(printf, 4, 5)))
fail(struct expander *x, const char *name, unsigned line, const char *fmt,
    ...)
{
	va_list	ap;
	int	n;

	n = snprintf(x->err, x->errlen, "%s:%u: ", name, line);
	if (n >= 0 && (size_t)n < x->errlen) {
		va_start(ap, fmt);
		vsnprintf(x->err + n, x->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
add_segment(struct expander *x, unsigned file, unsigned line)
{
	struct include_map *m = x->map;

	if (m->nsegs > 0 && m->segs[m->nsegs - 1].out == x->out_line)
		m->nsegs--;		/* nothing came from the previous one */
	if (m->nsegs == m->capsegs) {
		m->capsegs = m->capsegs ? m->capsegs * 2 : 16;
		m->segs = xreallocarray(m->segs, m->capsegs, sizeof(*m->segs));
	}
	m->segs[m->nsegs].out = x->out_line;
	m->segs[m->nsegs].file = file;
	m->segs[m->nsegs].line = line;
	m->nsegs++;
}

static int
emit(struct expander *x, const char *p, size_t n, const char *name,
    unsigned line)
{
	const char	*nl, *end = p + n;

	if (x->out.len + n > x->maxlen)
		return fail(x, name, line, "the configuration with its "
		    "included files is over %zu bytes", x->maxlen);
	buf_add(&x->out, p, n);
	for (; (nl = memchr(p, '\n', end - p)) != NULL; p = nl + 1)
		x->out_line++;
	return 0;
}

/* dir/rel, or rel itself when it is absolute or dir has no slash. */
static char *
relative_to(const char *file, const char *rel)
{
	const char	*slash;

	if (rel[0] == '/' || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(rel);
	return xasprintf("%.*s%s", (int)(slash - file + 1), file, rel);
}

/*
 * At p (the start of a line outside strings and comments): if the line is
 * a directive, its name is copied into *namep (caller frees) and the
 * offset just after the closing quote returned; 0 when it is not one, -1
 * (with err set) when it is malformed.
 */
static long
directive(struct expander *x, const char *text, size_t len, size_t p,
    const char *name, unsigned line, char **namep)
{
	size_t	i = p, start;

	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (len - i < 8 || memcmp(text + i, "@include", 8) != 0)
		return 0;
	i += 8;
	start = i;
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (i == start || i >= len || text[i] != '"')
		return 0;	/* not libconfig's directive either */
	start = ++i;
	for (; i < len && text[i] != '"'; i++) {
		if (text[i] == '\n' || text[i] == '\\' || text[i] == '\0')
			return fail(x, name, line, "@include: the file name "
			    "must be one line in quotes, without "
			    "backslashes");
	}
	if (i >= len)
		return fail(x, name, line, "@include: missing closing quote");
	if (i == start)
		return fail(x, name, line, "@include: empty file name");
	*namep = xstrndup(text + start, i - start);
	return (long)(i + 1);
}

static int	expand_file(struct expander *, const char *, size_t,
		    const char *, const char *, unsigned);

static int
include(struct expander *x, const char *rel, const char *name,
    const char *path, unsigned line, unsigned depth)
{
	char	*iname, *ipath, *text, why[256];
	size_t	 len;
	int	 rc;

	if (depth >= INCLUDE_MAX_DEPTH)
		return fail(x, name, line, "@include \"%s\": nested too "
		    "deeply (more than %d levels)", rel, INCLUDE_MAX_DEPTH);
	if (x->map->nnames >= INCLUDE_MAX_FILES)
		return fail(x, name, line, "@include \"%s\": too many "
		    "included files (at most %d)", rel, INCLUDE_MAX_FILES);
	iname = relative_to(name, rel);
	ipath = relative_to(path, rel);
	why[0] = '\0';
	if ((text = x->read(x->arg, ipath, &len, why, sizeof(why))) == NULL) {
		fail(x, name, line, "@include \"%s\": %s", rel, why);
		free(iname);
		free(ipath);
		return -1;
	}
	if (x->out.len + len > x->maxlen) {
		fail(x, name, line, "@include \"%s\": the configuration with "
		    "its included files is over %zu bytes", rel, x->maxlen);
		rc = -1;
	} else
		rc = expand_file(x, text, len, iname, ipath, depth + 1);
	free(text);
	free(iname);
	free(ipath);
	return rc;
}

static int
expand_file(struct expander *x, const char *text, size_t len,
    const char *name, const char *path, unsigned depth)
{
	struct include_map *m = x->map;
	enum scan_state	 st = S_TEXT;
	unsigned	 file, line = 1, opened = 0;
	size_t		 i = 0, span = 0;
	long		 end;
	int		 bol = 1;
	char		*rel;

	m->names = xreallocarray(m->names, m->nnames + 1, sizeof(char *));
	file = m->nnames;
	m->names[m->nnames++] = xstrdup(name);
	add_segment(x, file, 1);

	while (i < len) {
		if (st == S_TEXT && bol) {
			rel = NULL;
			if ((end = directive(x, text, len, i, name,
			    line, &rel)) == -1)
				return -1;
			if (end > 0) {
				if (emit(x, text + span, i - span, name,
				    line) == -1 || include(x, rel, name, path,
				    line, depth) == -1) {
					free(rel);
					return -1;
				}
				free(rel);
				if (x->out.len > 0 &&
				    x->out.p[x->out.len - 1] != '\n' &&
				    emit(x, "\n", 1, name, line) == -1)
					return -1;
				add_segment(x, file, line);
				span = i = (size_t)end;
				bol = 0;
				continue;
			}
		}
		switch (st) {
		case S_TEXT:
			if (text[i] == '"') {
				st = S_STRING;
				opened = line;
			} else if (text[i] == '#')
				st = S_LINE;
			else if (text[i] == '/' && i + 1 < len &&
			    text[i + 1] == '/')
				st = S_LINE;
			else if (text[i] == '/' && i + 1 < len &&
			    text[i + 1] == '*') {
				st = S_BLOCK;
				opened = line;
				i++;
			}
			break;
		case S_STRING:
			if (text[i] == '\\' && i + 1 < len &&
			    (text[i + 1] == '"' || text[i + 1] == '\\'))
				i++;
			else if (text[i] == '"')
				st = S_TEXT;
			break;
		case S_BLOCK:
			if (text[i] == '*' && i + 1 < len &&
			    text[i + 1] == '/') {
				st = S_TEXT;
				i++;
			}
			break;
		case S_LINE:
			break;
		}
		bol = text[i] == '\n';
		if (bol) {
			line++;
			if (st == S_LINE)
				st = S_TEXT;
		}
		i++;
	}
	if (st == S_STRING)
		return fail(x, name, opened, "string not closed before the "
		    "end of the file");
	if (st == S_BLOCK)
		return fail(x, name, opened, "/* comment not closed before "
		    "the end of the file");
	return emit(x, text + span, len - span, name, line);
}

char *
include_expand(const char *text, size_t len, const char *name,
    const char *path, include_read_fn read, void *arg, size_t maxlen,
    struct include_map **mapp, char *err, size_t errlen)
{
	struct expander	x;
	char		buf[1];

	memset(&x, 0, sizeof(x));
	x.read = read;
	x.arg = arg;
	x.maxlen = maxlen;
	x.out_line = 1;
	x.map = xcalloc(1, sizeof(*x.map));
	x.err = err != NULL && errlen > 0 ? err : buf;
	x.errlen = err != NULL && errlen > 0 ? errlen : sizeof(buf);
	if (expand_file(&x, text, len, name, path, 0) == -1) {
		free(x.out.p);
		include_map_free(x.map);
		*mapp = NULL;
		return NULL;
	}
	if (x.out.p == NULL)
		x.out.p = xstrdup("");
	*mapp = x.map;
	return x.out.p;
}

const char *
include_map_find(const struct include_map *m, unsigned line, unsigned *fline)
{
	size_t	i;

	for (i = m->nsegs; i > 0; i--) {
		if (m->segs[i - 1].out <= line) {
			*fline = m->segs[i - 1].line +
			    (line - m->segs[i - 1].out);
			return m->names[m->segs[i - 1].file];
		}
	}
	*fline = line;
	return m->nnames > 0 ? m->names[0] : "";
}

void
include_map_free(struct include_map *m)
{
	unsigned	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nnames; i++)
		free(m->names[i]);
	free(m->names);
	free(m->segs);
	free(m);
}
