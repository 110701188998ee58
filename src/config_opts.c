/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_opts.c — owns the generic half of configuration loading: the
 * one-line error reporter, the typed getters, small value checks and the
 * table walker that reads a libconfig group through a struct opt table.
 *
 * It knows no section of smarthostd.conf: config.c holds the tables and
 * the per-section checks.  Unknown names are refused, absent settings get
 * their defaults, and every error is "file:line: message" on one line.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"
#include "config_include.h"
#include "config_opts.h"
#include "template.h"
#include "units.h"
#include "util.h"

/*
 * Errors.
 */

int
fail_without(struct loader *ld, const config_setting_t *s,
    const char *setting, const char *what, const char *feature)
{
	return fail(ld, s, "%s: smarthostd was built without %s (./configure "
	    "--enable-%s)", setting, what, feature);
}

int
fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	const char	*file = NULL;
	unsigned	 line = 0;
	va_list		 ap;
	int		 n;

	if (ld->err == NULL || ld->errlen == 0)
		return -1;
	if (s != NULL) {
		file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	if (file == NULL && ld->map != NULL)
		file = include_map_find(ld->map, line, &line);
	if (file == NULL)
		file = ld->name;
	n = snprintf(ld->err, ld->errlen, "%s:%u: %s", file, line, ld->ctx);
	if (n >= 0 && (size_t)n < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
		va_end(ap);
	}
	/* Values quoted from the file must not break the one-line rule. */
	str_ctl_to(ld->err, '?');
	return -1;
}

void
warn_at(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	const char	*file = NULL;
	unsigned	 line = 0;
	va_list		 ap;
	char		 msg[512];
	struct config	*cfg = ld->cfg;

	if (s != NULL) {
		file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	str_ctl_to(msg, '?');
	cfg->warnings = xreallocarray(cfg->warnings, cfg->n_warnings + 1,
	    sizeof(*cfg->warnings));
	cfg->warnings[cfg->n_warnings++] = xasprintf("%s:%u: %s%s",
	    file != NULL ? file : ld->name, line, ld->ctx, msg);
}

void
set_ctx(struct loader *ld, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(ld->ctx, sizeof(ld->ctx), fmt, ap);
	va_end(ap);
}

/* Append to a bounded buffer (glibc has no strlcat before 2.38). */
void
append(char *buf, size_t size, const char *s)
{
	size_t	len = strlen(buf);

	if (len < size)
		snprintf(buf + len, size - len, "%s", s);
}

/*
 * Small value checks.
 */

int
is_ip_literal(const char *s)
{
	unsigned char	buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/* Names of listeners and relayers end up in logs and rules: keep them tame. */
static int
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++) {
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && strchr("._-", *s) == NULL)
			return 0;
	}
	return 1;
}

/* A host name or domain, optionally "*."-prefixed when wild is set. */
int
valid_domain(const char *s, int wild)
{
	const char	*p;

	if (wild && strncmp(s, "*.", 2) == 0)
		s += 2;
	if (*s == '\0' || *s == '.' || strlen(s) > 253)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
			return 0;
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && strchr(".-_", *p) == NULL)
			return 0;
	}
	return 1;
}

/* Templates may only name the placeholders template.c knows. */
int
check_template(struct loader *ld, const config_setting_t *s, const char *what,
    const char *t)
{
	const char	*p, *end;

	for (p = t; (p = strstr(p, "%{")) != NULL; p = end + 1) {
		if ((end = strchr(p, '}')) == NULL)
			return fail(ld, s, "%s: unterminated \"%%{\" in \"%s\"",
			    what, t);
		if (!template_known(p + 2, (size_t)(end - p - 2)))
			return fail(ld, s, "%s: unknown placeholder \"%.*s\" "
			    "(expected %%{sender}, %%{recipient}, %%{local}, "
			    "%%{domain})", what, (int)(end - p + 1), p);
	}
	return 0;
}

/*
 * Relative paths are relative to the directory of the file.  Leading "./"
 * and "../" are folded into that directory (which is a real path, so this is
 * exact), for readable logs.
 */
char *
abs_path(const char *base, const char *p)
{
	char	*b, *slash, *r;

	if (p[0] == '/')
		return xstrdup(p);
	b = xstrdup(base);
	for (;;) {
		if (strcmp(p, ".") == 0)
			p++;
		else if (strncmp(p, "./", 2) == 0)
			p += 2;
		else if (strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0) {
			slash = strrchr(b, '/');
			if (slash == b || slash == NULL)
				b[1] = '\0';
			else
				*slash = '\0';
			p += 2;
		} else
			break;
		while (*p == '/')
			p++;
	}
	if (*p == '\0')
		return b;
	r = xasprintf("%s%s%s", b, b[strlen(b) - 1] == '/' ? "" : "/", p);
	free(b);
	return r;
}

/*
 * Typed getters: each reports "<name>: expected ..." on a wrong type.
 */

int
get_string(struct loader *ld, const config_setting_t *s, const char *name,
    const char **out)
{
	*out = NULL;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(ld, s, "%s: expected a string", name);
	*out = config_setting_get_string(s);
	return 0;
}

int
get_nonempty(struct loader *ld, const config_setting_t *s, const char *name,
    const char **out)
{
	if (get_string(ld, s, name, out) == -1)
		return -1;
	if (**out == '\0')
		return fail(ld, s, "%s: must not be empty", name);
	return 0;
}

static int
get_integer(struct loader *ld, const config_setting_t *s, const char *name,
    long long *out)
{
	*out = 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(ld, s, "%s: expected an integer", name);
	*out = config_setting_get_int64(s);
	return 0;
}

/* What O_DURATION and O_SIZE take: a positive integer, or a string with
 * a unit. */
struct amount {
	const char		*what, *hint;	/* for errors */
	const struct unit_kind	*units;
	uint64_t		 max;
};

static const struct amount durations = { "duration",
    "seconds, or a string such as \"5m\"", &units_duration, LONG_MAX };
static const struct amount sizes = { "size",
    "bytes, or a string such as \"25M\"", &units_size, UINT64_MAX };

static int
get_amount(struct loader *ld, const config_setting_t *s, const char *name,
    const struct amount *a, uint64_t *out)
{
	const char	*str;
	char		 why[UNITS_ERRLEN];
	long long	 v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		if (v <= 0)
			return fail(ld, s, "%s: must be positive", name);
		if ((uint64_t)v > a->max)
			return fail(ld, s, "%s: too large", name);
		*out = v;
		return 0;
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		if (units_parse(str, a->units, out, why) == -1)
			return fail(ld, s, "%s: invalid %s \"%s\": %s", name,
			    a->what, str, why);
		if (*out == 0)
			return fail(ld, s, "%s: must be positive", name);
		return 0;
	default:
		return fail(ld, s, "%s: expected a %s (%s)", name, a->what,
		    a->hint);
	}
}

int
get_enum(struct loader *ld, const config_setting_t *s, const char *name,
    const struct enum_def *en, int *out)
{
	const char	*str;
	char		 expected[128] = "";
	int		 i;

	if (get_string(ld, s, name, &str) == -1)
		return -1;
	for (i = 0; en->names[i] != NULL; i++) {
		if (strcmp(str, en->names[i]) == 0) {
			*out = i;
			return 0;
		}
		if (i > 0)
			append(expected, sizeof(expected), ", ");
		append(expected, sizeof(expected), en->names[i]);
	}
	return fail(ld, s, "unknown %s \"%s\" (expected %s)", en->what, str,
	    expected);
}

/* A string, or an array or list of strings: always NULL-terminated. */
static int
get_list(struct loader *ld, const struct opt *o, const config_setting_t *s,
    char ***out, int *nout)
{
	const config_setting_t	*e;
	char			**v;
	int			 i, n;

	*out = NULL;
	*nout = 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		n = 1;
	} else if (config_setting_is_array(s) || config_setting_is_list(s)) {
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				return fail(ld, e, "%s: expected a string or "
				    "an array of strings", o->name);
		}
	} else
		return fail(ld, s, "%s: expected a string or an array of "
		    "strings", o->name);
	if (n < o->min)
		return fail(ld, s, "%s: must not be empty", o->name);

	v = xcalloc(n + 1, sizeof(*v));
	*out = v;
	for (i = 0; i < n; i++) {
		e = n == 1 && config_setting_type(s) == CONFIG_TYPE_STRING ?
		    s : config_setting_get_elem(s, i);
		v[i] = xstrdup(config_setting_get_string(e));
		*nout = i + 1;
		if (v[i][0] == '\0')
			return fail(ld, e, "%s: must not be empty", o->name);
		if (o->fn != NULL && o->fn(ld, o, e, v[i]) == -1)
			return -1;
	}
	return 0;
}

const char *
enum_text(const struct enum_def *en, int v)
{
	if (v < 0 || (size_t)v >= nitems(en->names) - 1 || en->names[v] == NULL)
		return "unknown";
	return en->names[v];
}

/*
 * The table walker.
 */

static const struct opt *
find_opt(const struct opt *opts, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	}
	return NULL;
}

static int
parse_opt(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	void		*p = (char *)obj + o->off;
	const char	*str;
	long long	 v;
	uint64_t	 u;
	int		 e;

	if (o->kind == O_FUNC)
		return o->fn(ld, o, s, obj);
	if (s == NULL) {
		switch ((enum opt_kind)o->kind) {
		case O_STRING:
			if (o->defstr != NULL)
				*(char **)p = xstrdup(o->defstr);
			break;
		case O_PATH:
			if (o->defstr != NULL)
				*(char **)p = abs_path(ld->base, o->defstr);
			break;
		case O_INT:
		case O_ENUM:
			*(int *)p = o->def;
			break;
		case O_BOOL:
			*(bool *)p = o->def;
			break;
		case O_DURATION:
			*(long *)p = o->def;
			break;
		case O_SIZE:
			*(uint64_t *)p = o->def;
			break;
		case O_LIST:
		case O_CHECKED:
		case O_FUNC:
			break;
		}
		return 0;
	}

	switch ((enum opt_kind)o->kind) {
	case O_STRING:
	case O_PATH:
	case O_CHECKED:
		if (get_nonempty(ld, s, o->name, &str) == -1)
			return -1;
		*(char **)p = o->kind == O_PATH ? abs_path(ld->base, str) :
		    xstrdup(str);
		return o->kind == O_CHECKED ? o->fn(ld, o, s, *(char **)p) : 0;
	case O_INT:
		if (get_integer(ld, s, o->name, &v) == -1)
			return -1;
		if (v < o->min || v > o->max)
			return fail(ld, s, "%s: %lld is out of range "
			    "(%d..%d)", o->name, v, o->min, o->max);
		*(int *)p = v;
		return 0;
	case O_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return fail(ld, s, "%s: expected true or false",
			    o->name);
		*(bool *)p = config_setting_get_bool(s);
		return 0;
	case O_DURATION:
		if (get_amount(ld, s, o->name, &durations, &u) == -1)
			return -1;
		*(long *)p = (long)u;
		return 0;
	case O_SIZE:
		return get_amount(ld, s, o->name, &sizes, p);
	case O_ENUM:
		if (get_enum(ld, s, o->name, o->en, &e) == -1)
			return -1;
		*(int *)p = e;
		return 0;
	case O_LIST:
		return get_list(ld, o, s, p, (int *)((char *)obj + o->noff));
	case O_FUNC:
		break;
	}
	return 0;
}

/*
 * Parse group s (NULL: absent, all defaults) into obj.  Options whose
 * `only` mask misses `mask` are refused when present and skipped otherwise;
 * typename names the mask in that error.
 */
int
parse_opts(struct loader *ld, const config_setting_t *s,
    const struct opt *opts, size_t nopts, void *obj, unsigned mask,
    const char *typename)
{
	const config_setting_t	*m;
	const struct opt	*o;
	int			 i;

	for (i = 0; s != NULL && i < config_setting_length(s); i++) {
		m = config_setting_get_elem(s, i);
		o = find_opt(opts, nopts, config_setting_name(m));
		if (o == NULL)
			return fail(ld, m, "unknown setting \"%s\"",
			    config_setting_name(m));
		if (o->only != 0 && (o->only & mask) == 0)
			return fail(ld, m, "setting \"%s\" does not apply to "
			    "type %s", o->name, typename);
	}
	for (o = opts; o < opts + nopts; o++) {
		if (o->only != 0 && (o->only & mask) == 0)
			continue;
		m = s != NULL ? config_setting_get_member(s, o->name) : NULL;
		if (parse_opt(ld, o, m, obj) == -1)
			return -1;
	}
	return 0;
}

/*
 * Only the named options of table opts, from group s (NULL: absent), into
 * obj: with the table's own defaults and checks, every other setting left
 * unread (config_load_local()).
 */
int
parse_named_opts(struct loader *ld, const config_setting_t *s,
    const struct opt *opts, size_t nopts, const char *const *names,
    void *obj)
{
	const struct opt	*o;

	for (; *names != NULL; names++) {
		if ((o = find_opt(opts, nopts, *names)) == NULL)
			return fail(ld, s, "no setting \"%s\"", *names);
		if (parse_opt(ld, o, s != NULL ? config_setting_get_member(s,
		    o->name) : NULL, obj) == -1)
			return -1;
	}
	return 0;
}

/* A section must be a group { }; NULL (absent) is fine. */
int
parse_group(struct loader *ld, const config_setting_t *s, const char *name,
    const struct opt *opts, size_t n, void *obj)
{
	if (want_group(ld, s, name) == -1)
		return -1;
	set_ctx(ld, "%s: ", name);
	if (parse_opts(ld, s, opts, n, obj, 0, NULL) == -1)
		return -1;
	set_ctx(ld, "");
	return 0;
}

int
want_group(struct loader *ld, const config_setting_t *s, const char *name)
{
	if (s != NULL && !config_setting_is_group(s))
		return fail(ld, s, "%s: expected a group { }", name);
	return 0;
}

/* For names read before the table walk (they make the error prefix). */
int
opt_read_first(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	return 0;
}

/* The required "name" of a listener or relayer. */
int
get_name(struct loader *ld, const config_setting_t *g, const char *key,
    const char **out)
{
	const config_setting_t	*s;

	if ((s = config_setting_get_member(g, key)) == NULL)
		return fail(ld, g, "%s is required", key);
	if (get_nonempty(ld, s, key, out) == -1)
		return -1;
	if (!valid_name(*out))
		return fail(ld, s, "name \"%s\": only letters, digits, \".\", "
		    "\"-\" and \"_\" are allowed (at most 64)", *out);
	return 0;
}
