/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_rewrite.c — the config module's `rewrite` group (config.md
 * "rewrite") and queue `delay_warning`: option tables and checks, with the
 * same file:line errors as config.c.  Split from config.c to keep that
 * file readable; it shares config_opts.h.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"
#include "config_opts.h"
#include "rewrite.h"
#include "units.h"
#include "util.h"

/* Member key of rule g: required, not empty, and accepted by check. */
static int
rule_part(struct loader *ld, const config_setting_t *g, const char *what,
    const char *key, const char *(*check)(const char *), const char **out)
{
	const config_setting_t	*m;
	const char		*why;

	if ((m = config_setting_get_member(g, key)) == NULL)
		return fail(ld, g, "%s: %s is required", what, key);
	if (get_nonempty(ld, m, key, out) == -1)
		return -1;
	if ((why = check(*out)) != NULL)
		return fail(ld, m, "%s: %s \"%s\": %s", what, key, *out, why);
	return 0;
}

/* A { from; to; } group of the sender or recipient list (what). */
static int
parse_rule(struct loader *ld, const config_setting_t *g, const char *what,
    struct rewrite_rule *r)
{
	const config_setting_t	*m;
	const char		*from, *to;
	int			 j;

	for (j = 0; (m = config_setting_get_elem(g, j)) != NULL; j++)
		if (strcmp(config_setting_name(m), "from") != 0 &&
		    strcmp(config_setting_name(m), "to") != 0)
			return fail(ld, m, "%s: unknown setting \"%s\"", what,
			    config_setting_name(m));
	if (rule_part(ld, g, what, "from", rewrite_check_from, &from) == -1 ||
	    rule_part(ld, g, what, "to", rewrite_check_to, &to) == -1)
		return -1;
	r->from = lowercase(xstrdup(from));
	r->to = xstrdup(to);
	r->line = config_setting_source_line(g);
	return 0;
}

static int
sender_rule(struct loader *ld, const config_setting_t *g, int i, void *obj)
{
	struct rewrite_conf	*rc = obj;

	return parse_rule(ld, g, "sender", &rc->sender[i]);
}

static int
recipient_rule(struct loader *ld, const config_setting_t *g, int i,
    void *obj)
{
	struct rewrite_conf	*rc = obj;

	return parse_rule(ld, g, "recipient", &rc->recipient[i]);
}

#define W(f) offsetof(struct rewrite_conf, f)

/* The errors of a rule say "rewrite: sender: ...", not the entry. */
static int
opt_rules(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	static const struct group_list sender = { "rewrite: ", "rewrite: ",
	    sizeof(struct rewrite_rule), W(sender), W(n_sender), 0,
	    sender_rule };
	static const struct group_list recipient = { "rewrite: ",
	    "rewrite: ", sizeof(struct rewrite_rule), W(recipient),
	    W(n_recipient), 0, recipient_rule };

	return parse_groups(ld, s, o->name, strcmp(o->name, "sender") == 0 ?
	    &sender : &recipient, obj);
}

static int
check_listener_name(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *value)
{
	if (strcmp(value, LISTENER_SENDMAIL) != 0 &&
	    config_listener(ld->cfg, value) == NULL)
		return fail(ld, s, "%s: unknown listener \"%s\"", o->name,
		    (char *)value);
	return 0;
}

static const struct opt rewrite_opts[] = {
	{ .name = "sender", .kind = O_FUNC, .fn = opt_rules },
	{ .name = "recipient", .kind = O_FUNC, .fn = opt_rules },
	{ .name = "headers", .kind = O_BOOL, .off = W(headers), .def = 1 },
	{ .name = "listeners", .kind = O_LIST, .off = W(listeners),
	  .noff = W(n_listeners), .fn = check_listener_name },
};

int
opt_rewrite(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct config	*cfg = obj;

	cfg->rewrite.headers = true;
	if (s == NULL)
		return 0;
	if (want_group(ld, s, o->name) == -1)
		return -1;
	set_ctx(ld, "rewrite: ");
	if (parse_opts(ld, s, rewrite_opts, nitems(rewrite_opts),
	    &cfg->rewrite, 0, NULL) == -1)
		return -1;
	set_ctx(ld, "");
	return 0;
}

void
rewrite_conf_free(struct rewrite_conf *rc)
{
	int	 i;

	for (i = 0; i < rc->n_sender; i++) {
		free(rc->sender[i].from);
		free(rc->sender[i].to);
	}
	free(rc->sender);
	for (i = 0; i < rc->n_recipient; i++) {
		free(rc->recipient[i].from);
		free(rc->recipient[i].to);
	}
	free(rc->recipient);
	for (i = 0; i < rc->n_listeners; i++)
		free(rc->listeners[i]);
	free(rc->listeners);
}

int
opt_delay_warning(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct config	*cfg = obj;
	const char	*str;
	char		 why[UNITS_ERRLEN];

	cfg->delay_warning = 0;
	if (s == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (config_setting_get_int64(s) < 0 ||
		    config_setting_get_int64(s) > 100LL * 365 * 86400 ||
		    config_setting_get_int64(s) > LONG_MAX)
			return fail(ld, s, "%s: must be 0 (off) or a positive "
			    "duration", o->name);
		cfg->delay_warning = (long)config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		if (strcmp(str, "0") == 0)
			return 0;
		if (duration_parse(str, &cfg->delay_warning, why) == -1)
			return fail(ld, s, "%s: invalid duration \"%s\": %s",
			    o->name, str, why);
		return 0;
	default:
		return fail(ld, s, "%s: expected a duration (seconds, or a "
		    "string such as \"4h\"; 0 is off)", o->name);
	}
}

int
check_header_name(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *value)
{
	const unsigned char *p;

	for (p = value; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ':')
			return fail(ld, s, "%s: \"%s\" is not a header field "
			    "name", o->name, (char *)value);
	return 0;
}
