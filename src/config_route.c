/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_route.c — the `routing` section of the configuration: the
 * default relayer, the rules (sender, recipient and listener patterns) and
 * the domains table (mx_list, force_mx, per-domain tls and rate), with
 * their references to listeners and relayers checked at load.  Part of the
 * config module, on config_opts.h.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "config.h"
#include "config_opts.h"
#include "util.h"

static int
check_pattern(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *value)
{
	lowercase(value);
	if (!valid_domain(value, 1))
		return fail(ld, s, "%s: invalid domain pattern \"%s\"",
		    o->name, (char *)value);
	return 0;
}

static int
check_listener_ref(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *value)
{
	/* Injected mail and bounces route as if from these listeners. */
	if (config_listener(ld->cfg, value) == NULL &&
	    strcmp(value, LISTENER_SENDMAIL) != 0 &&
	    strcmp(value, LISTENER_BOUNCE) != 0)
		return fail(ld, s, "unknown listener \"%s\"", (char *)value);
	return 0;
}

static int
check_relayer_ref(struct loader *ld, const config_setting_t *g,
    const char *key, const char *name)
{
	if (name != NULL && config_relayer(ld->cfg, name) == NULL)
		return fail(ld, config_setting_get_member(g, key),
		    "unknown relayer \"%s\"", name);
	return 0;
}

#define U(f) offsetof(struct rule_conf, f)

static const struct opt rule_opts[] = {
	{ .name = "recipient_domain", .kind = O_LIST, .fn = check_pattern,
	  .off = U(recipient_domain), .noff = U(n_recipient_domain),
	  .min = 1 },
	{ .name = "sender_domain", .kind = O_LIST, .fn = check_pattern,
	  .off = U(sender_domain), .noff = U(n_sender_domain), .min = 1 },
	{ .name = "listener", .kind = O_LIST, .fn = check_listener_ref,
	  .off = U(listener), .noff = U(n_listener), .min = 1 },
	{ .name = "routing_domain", .kind = O_STRING, .off = U(routing_domain) },
	{ .name = "relayer", .kind = O_STRING, .off = U(relayer) },
};

/* Entry i of the rules list. */
static int
parse_rule(struct loader *ld, const config_setting_t *g, int i, void *arg)
{
	struct config	*cfg = arg;
	struct rule_conf *u = &cfg->rules[i];

	u->line = config_setting_source_line(g);
	if (parse_opts(ld, g, rule_opts, nitems(rule_opts), u, 0, NULL) == -1)
		return -1;
	if (u->routing_domain == NULL && u->relayer == NULL)
		return fail(ld, g, "a rule needs routing_domain or relayer");
	if (u->routing_domain != NULL) {
		lowercase(u->routing_domain);
		if (!valid_domain(u->routing_domain, 0))
			return fail(ld, config_setting_get_member(g,
			    "routing_domain"), "routing_domain: \"%s\" is not "
			    "a domain", u->routing_domain);
	}
	return check_relayer_ref(ld, g, "relayer", u->relayer);
}

/*
 * One mx_list or force_mx entry: a host name, a domain literal
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]"), or a bare IP address.
 */
static int
parse_mx_string(struct loader *ld, const config_setting_t *s,
    const char *what, const char *str, struct mx_host *h)
{
	unsigned char	 buf[16];
	char		*inner;
	size_t		 len = strlen(str);
	int		 good;

	if (str[0] == '[') {
		if (len < 3 || str[len - 1] != ']')
			return fail(ld, s, "%s: malformed domain literal "
			    "\"%s\"", what, str);
		inner = xstrndup(str + 1, len - 2);
		if (strncasecmp(inner, "IPv6:", 5) == 0)
			good = inet_pton(AF_INET6, inner + 5, buf) == 1;
		else
			good = inet_pton(AF_INET, inner, buf) == 1;
		if (good)
			h->addr = xstrdup(strncasecmp(inner, "IPv6:", 5) == 0 ?
			    inner + 5 : inner);
		free(inner);
		if (!good)
			return fail(ld, s, "%s: malformed domain literal "
			    "\"%s\"", what, str);
		return 0;
	}
	if (is_ip_literal(str)) {
		h->addr = xstrdup(str);
		return 0;
	}
	if (!valid_domain(str, 0))
		return fail(ld, s, "%s: \"%s\" is not a host name or domain "
		    "literal", what, str);
	h->name = xstrdup(str);
	return 0;
}

#define M(f) offsetof(struct mx_host, f)

static const struct opt mx_host_opts[] = {
	{ .name = "name", .kind = O_STRING, .off = M(name) },
	{ .name = "addr", .kind = O_STRING, .off = M(addr) },
	{ .name = "port", .kind = O_INT, .off = M(port), .def = 0,
	  .min = 1, .max = 65535 },
};

static int
opt_mx_list(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct domain_conf	*d = obj;
	const config_setting_t	*e;
	char			 saved[sizeof(ld->ctx)];
	int			 i, n;

	if (s == NULL)
		return 0;
	if (!config_setting_is_list(s) && !config_setting_is_array(s))
		return fail(ld, s, "mx_list: expected a list ( ) of hosts");
	if ((n = config_setting_length(s)) == 0)
		return fail(ld, s, "mx_list: must not be empty");
	d->mx_list = xcalloc(n, sizeof(*d->mx_list));
	d->n_mx = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			if (parse_mx_string(ld, e, "mx_list",
			    config_setting_get_string(e), &d->mx_list[i]) == -1)
				return -1;
			continue;
		}
		if (!config_setting_is_group(e))
			return fail(ld, e, "mx_list: entry %d: expected a "
			    "string or a group { name; addr; port; }", i + 1);
		memcpy(saved, ld->ctx, sizeof(saved));
		snprintf(ld->ctx + strlen(ld->ctx), sizeof(ld->ctx) -
		    strlen(ld->ctx), "mx_list: entry %d: ", i + 1);
		if (parse_opts(ld, e, mx_host_opts, nitems(mx_host_opts),
		    &d->mx_list[i], 0, NULL) == -1)
			return -1;
		if (d->mx_list[i].name == NULL)
			return fail(ld, e, "name is required");
		if (!valid_domain(d->mx_list[i].name, 0))
			return fail(ld, config_setting_get_member(e, "name"),
			    "name: \"%s\" is not a host name",
			    d->mx_list[i].name);
		if (d->mx_list[i].addr != NULL &&
		    !is_ip_literal(d->mx_list[i].addr))
			return fail(ld, config_setting_get_member(e, "addr"),
			    "addr: \"%s\" is not an IP address",
			    d->mx_list[i].addr);
		memcpy(ld->ctx, saved, sizeof(saved));
	}
	return 0;
}

static int
opt_force_mx(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct domain_conf	*d = obj;
	const char		*str;

	if (s == NULL)
		return 0;
	if (d->mx_list != NULL)
		return fail(ld, s, "mx_list and force_mx cannot both be set");
	if (get_nonempty(ld, s, o->name, &str) == -1)
		return -1;
	d->mx_list = xcalloc(1, sizeof(*d->mx_list));
	d->n_mx = 1;
	return parse_mx_string(ld, s, o->name, str, &d->mx_list[0]);
}

static int
opt_domain_tls(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct domain_conf	*d = obj;
	int			 e;

	if (s == NULL)
		return 0;
	if (get_enum(ld, s, o->name, &ctls_enum, &e) == -1)
		return -1;
	d->tls = e;
	d->has_tls = true;
	return 0;
}

#define D(f) offsetof(struct domain_conf, f)

static const struct opt domain_opts[] = {
	{ .name = "domain", .kind = O_FUNC, .fn = opt_read_first },
	{ .name = "mx_list", .kind = O_FUNC, .fn = opt_mx_list },
	{ .name = "force_mx", .kind = O_FUNC, .fn = opt_force_mx },
	{ .name = "relayer", .kind = O_STRING, .off = D(relayer) },
	{ .name = "accept", .kind = O_BOOL, .off = D(accept) },
	{ .name = "tls", .kind = O_FUNC, .fn = opt_domain_tls },
	{ .name = "rate", .kind = O_FUNC, .fn = opt_rate, .off = D(rate) },
};

static int
parse_domain(struct loader *ld, const config_setting_t *g,
    struct domain_conf *d)
{
	const config_setting_t		*s;
	const struct relayer_conf	*r;
	const char			*str;

	d->line = config_setting_source_line(g);
	if ((s = config_setting_get_member(g, "domain")) == NULL)
		return fail(ld, g, "domain is required");
	if (get_nonempty(ld, s, "domain", &str) == -1)
		return -1;
	d->domain = lowercase(xstrdup(str));
	if (!valid_domain(d->domain, 1))
		return fail(ld, s, "domain: invalid domain pattern \"%s\"",
		    d->domain);
	set_ctx(ld, "domain \"%s\": ", d->domain);
	if (parse_opts(ld, g, domain_opts, nitems(domain_opts), d, 0,
	    NULL) == -1)
		return -1;
	if (check_relayer_ref(ld, g, "relayer", d->relayer) == -1)
		return -1;
	if (d->n_mx > 0) {
		/* The hosts are useless to anything but an mx relayer. */
		r = config_relayer(ld->cfg, d->relayer != NULL ? d->relayer :
		    "mx");
		if (r->type != RELAY_MX) {
			if ((s = config_setting_get_member(g, "relayer")) ==
			    NULL && (s = config_setting_get_member(g,
			    "mx_list")) == NULL)
				s = config_setting_get_member(g, "force_mx");
			return fail(ld, s, "%s needs a relayer of type mx, "
			    "but relayer \"%s\" is of type %s",
			    config_setting_get_member(g, "mx_list") != NULL ?
			    "mx_list" : "force_mx", r->name,
			    relay_type_to_text(r->type));
		}
	}
	return 0;
}


/* Entry i of the domains list: its domain listed once. */
static int
domain_entry(struct loader *ld, const config_setting_t *g, int i, void *arg)
{
	struct config	*cfg = arg;
	int		 j;

	if (parse_domain(ld, g, &cfg->domains[i]) == -1)
		return -1;
	set_ctx(ld, "");
	if ((j = find_named(cfg->domains, i, sizeof(*cfg->domains), D(domain),
	    cfg->domains[i].domain)) != -1)
		return fail(ld, g, "domain \"%s\" is listed twice (first at "
		    "line %d)", cfg->domains[i].domain, cfg->domains[j].line);
	return 0;
}

static int
opt_list(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	static const struct group_list rules = { "rule %d: ", "routing: ",
	    sizeof(struct rule_conf), offsetof(struct config, rules),
	    offsetof(struct config, n_rules), 0, parse_rule };
	static const struct group_list domains = { "domains: entry %d: ",
	    "routing: ", sizeof(struct domain_conf),
	    offsetof(struct config, domains),
	    offsetof(struct config, n_domains), 0, domain_entry };

	return parse_groups(ld, s, o->name, strcmp(o->name, "rules") == 0 ?
	    &rules : &domains, obj);
}

static int
check_default_relayer(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *value)
{
	if (config_relayer(ld->cfg, value) == NULL)
		return fail(ld, s, "default_relayer: unknown relayer \"%s\"",
		    (char *)value);
	return 0;
}

static const struct opt routing_opts[] = {
	{ .name = "default_relayer", .kind = O_CHECKED,
	  .fn = check_default_relayer,
	  .off = offsetof(struct config, default_relayer) },
	{ .name = "rules", .kind = O_FUNC, .fn = opt_list },
	{ .name = "domains", .kind = O_FUNC, .fn = opt_list },
};

int
opt_routing(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	return parse_group(ld, s, o->name, routing_opts,
	    nitems(routing_opts), obj);
}

void
config_routing_free(struct config *cfg)
{
	struct rule_conf	*u;
	struct domain_conf	*d;
	int			 i, j;

	free(cfg->default_relayer);
	for (i = 0; i < cfg->n_rules; i++) {
		u = &cfg->rules[i];
		strv_free(u->recipient_domain, u->n_recipient_domain);
		strv_free(u->sender_domain, u->n_sender_domain);
		strv_free(u->listener, u->n_listener);
		free(u->routing_domain);
		free(u->relayer);
	}
	free(cfg->rules);
	for (i = 0; i < cfg->n_domains; i++) {
		d = &cfg->domains[i];
		free(d->domain);
		for (j = 0; j < d->n_mx; j++) {
			free(d->mx_list[j].name);
			free(d->mx_list[j].addr);
		}
		free(d->mx_list);
		free(d->relayer);
	}
	free(cfg->domains);
}
