/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_relayer.c — the `relayers` section of the configuration: the
 * option table of a relayer by type, its defaults, the auth credentials
 * (a password_file read once at load), and the checks a table cannot say
 * (TLS against auth, certificates, CA files, what each type requires).
 * The implicit "mx" relayer is added here.  Part of the config module, on
 * config_opts.h.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "config.h"
#include "config_opts.h"
#include "privread.h"
#include "ratelimit.h"
#include "util.h"

#define SECRET_MAX	4096

/* The enum tables double as the *_to_text() vocabulary. */
const struct enum_def ctls_enum =
    { "tls mode", { "none", "opportunistic", "required", "verify", NULL } };
static const struct enum_def dane_enum =
    { "dane mode", { "off", "opportunistic", "mandatory", NULL } };
static const struct enum_def type_enum =
    { "relayer type", { "smtp", "mx", "maildrop", "maildir", NULL } };

#define T_SMTP		(1u << RELAY_SMTP)
#define T_MX		(1u << RELAY_MX)
#define T_SMTP_MX	(T_SMTP | T_MX)
#define T_MAILDROP	(1u << RELAY_MAILDROP)
#define T_MAILDIR	(1u << RELAY_MAILDIR)

struct auth_opts {
	char	*username, *password, *password_file;
};

static const struct opt auth_opts[] = {
	{ .name = "username", .kind = O_STRING,
	  .off = offsetof(struct auth_opts, username) },
	{ .name = "password", .kind = O_STRING,
	  .off = offsetof(struct auth_opts, password) },
	{ .name = "password_file", .kind = O_PATH,
	  .off = offsetof(struct auth_opts, password_file) },
};

/* The secret is read once at load so a broken file fails the load. */
static int
read_secret(struct loader *ld, const config_setting_t *s, const char *path,
    char **out)
{
	char	 buf[SECRET_MAX + 1];
	FILE	*fp;
	size_t	 n;

	/* Through the root helper after the privilege drop (privread.h). */
	if ((fp = privread_fopen(path)) == NULL)
		return fail(ld, s, "cannot read password_file \"%s\": %s",
		    path, strerror(errno));
	if (privread_others_can_read(fileno(fp)))
		warn_at(ld, s, "password_file \"%s\" is readable by others: "
		    "make it 0600 (it is read as root)", path);
	n = fread(buf, 1, sizeof(buf), fp);
	if (ferror(fp)) {
		fclose(fp);
		return fail(ld, s, "cannot read password_file \"%s\": %s",
		    path, strerror(errno));
	}
	fclose(fp);
	if (n > SECRET_MAX)
		return fail(ld, s, "password_file \"%s\" is too long", path);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n == 0)
		return fail(ld, s, "password_file \"%s\" is empty", path);
	if (strlen(buf) != n || strchr(buf, '\n') != NULL)
		return fail(ld, s, "password_file \"%s\" must hold one line",
		    path);
	*out = xstrdup(buf);
	return 0;
}

static int
opt_relayer_auth(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct relayer_conf	*r = obj;
	struct auth_opts	 a = { NULL, NULL, NULL };
	char			 saved[sizeof(ld->ctx)];
	int			 rc = -1;

	if (s == NULL)
		return 0;
	if (want_group(ld, s, o->name) == -1)
		return -1;
	memcpy(saved, ld->ctx, sizeof(saved));
	append(ld->ctx, sizeof(ld->ctx), "auth: ");
	if (parse_opts(ld, s, auth_opts, nitems(auth_opts), &a, 0, NULL) == -1)
		goto out;
	if (a.username == NULL) {
		fail(ld, s, "username is required");
		goto out;
	}
	if ((a.password == NULL) == (a.password_file == NULL)) {
		fail(ld, s, "exactly one of password and password_file is "
		    "required");
		goto out;
	}
	if (a.password_file != NULL) {
		if (read_secret(ld, config_setting_get_member(s,
		    "password_file"), a.password_file, &r->auth_password) == -1)
			goto out;
	} else {
		r->auth_password = a.password;
		a.password = NULL;
	}
	r->auth_username = a.username;
	a.username = NULL;
	memcpy(ld->ctx, saved, sizeof(saved));
	rc = 0;
out:
	free(a.username);
	if (a.password != NULL)
		explicit_bzero(a.password, strlen(a.password));
	free(a.password);
	free(a.password_file);
	return rc;
}

static int
check_host(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *value)
{
	if (!is_ip_literal(value) && !valid_domain(value, 0))
		return fail(ld, s, "%s: \"%s\" is not a host name or IP "
		    "address", o->name, (char *)value);
	return 0;
}

static int
check_command_arg(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *value)
{
	return check_template(ld, s, o->name, value);
}

#define R(f) offsetof(struct relayer_conf, f)

/* `rate`: "N/s", "N/m" or "N/h", for a relayer or a domain entry. */
static int
get_rate(struct loader *ld, const config_setting_t *s, const char *name,
    struct rate_spec *out)
{
	const char	*str, *why;

	if (get_nonempty(ld, s, name, &str) == -1)
		return -1;
	if (rate_parse(str, out, &why) == -1)
		return fail(ld, s, "%s: invalid rate \"%s\": %s", name, str,
		    why);
	return 0;
}

/* `rate` of a relayer or a domain entry, into the rate_spec at o->off
 * (count 0, the default, is no limit). */
int
opt_rate(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	if (s == NULL)
		return 0;
	return get_rate(ld, s, o->name,
	    (struct rate_spec *)(void *)((char *)obj + o->off));
}

static const struct opt relayer_opts[] = {
	{ .name = "name", .kind = O_FUNC, .fn = opt_read_first },
	{ .name = "type", .kind = O_FUNC, .fn = opt_read_first },
	{ .name = "tls", .kind = O_ENUM, .en = &ctls_enum, .off = R(tls),
	  .def = CTLS_OPPORTUNISTIC, .only = T_SMTP_MX },
	{ .name = "implicit_tls", .kind = O_BOOL, .off = R(implicit_tls),
	  .only = T_SMTP_MX },
	{ .name = "mta_sts", .kind = O_BOOL, .off = R(mta_sts),
	  .only = T_MX },
	{ .name = "ca_file", .kind = O_PATH, .off = R(ca_file),
	  .only = T_SMTP_MX },
	{ .name = "ca_path", .kind = O_PATH, .off = R(ca_path),
	  .only = T_SMTP_MX },
	{ .name = "tls_cert", .kind = O_PATH, .off = R(tls_cert),
	  .only = T_SMTP_MX },
	{ .name = "tls_key", .kind = O_PATH, .off = R(tls_key),
	  .only = T_SMTP_MX },
	{ .name = "auth", .kind = O_FUNC, .fn = opt_relayer_auth,
	  .only = T_SMTP_MX },
	{ .name = "dane", .kind = O_ENUM, .en = &dane_enum, .off = R(dane),
	  .def = DANE_OFF, .only = T_MX },
	{ .name = "ehlo_as", .kind = O_STRING, .off = R(ehlo_as),
	  .only = T_SMTP_MX },
	{ .name = "pool_size", .kind = O_INT, .off = R(pool_size), .def = 4,
	  .min = 1, .max = 10000, .only = T_SMTP_MX },
	{ .name = "idle_timeout", .kind = O_DURATION, .off = R(idle_timeout),
	  .def = 30, .only = T_SMTP_MX },
	{ .name = "max_deliveries_per_connection", .kind = O_INT,
	  .off = R(max_deliveries_per_connection), .def = 100, .min = 1,
	  .max = INT_MAX, .only = T_SMTP_MX },
	{ .name = "rate", .kind = O_FUNC, .fn = opt_rate, .off = R(rate),
	  .only = T_SMTP_MX },
	{ .name = "connect_timeout", .kind = O_DURATION,
	  .off = R(connect_timeout), .def = 30, .only = T_SMTP_MX },
	{ .name = "command_timeout", .kind = O_DURATION,
	  .off = R(command_timeout), .def = 300, .only = T_SMTP_MX },
	{ .name = "data_timeout", .kind = O_DURATION,
	  .off = R(data_timeout), .def = 600, .only = T_SMTP_MX },
	{ .name = "port", .kind = O_INT, .off = R(port), .def = 25,
	  .min = 1, .max = 65535, .only = T_SMTP_MX },
	{ .name = "host", .kind = O_LIST, .off = R(hosts), .noff = R(n_hosts),
	  .min = 1, .fn = check_host, .only = T_SMTP },
	{ .name = "command", .kind = O_LIST, .off = R(command),
	  .noff = R(n_command), .min = 1, .fn = check_command_arg,
	  .only = T_MAILDROP },
	{ .name = "timeout", .kind = O_DURATION, .off = R(timeout), .def = 60,
	  .only = T_MAILDROP },
	{ .name = "path", .kind = O_PATH, .off = R(path), .only = T_MAILDIR },
};

static int
check_relayer(struct loader *ld, const config_setting_t *g,
    struct relayer_conf *r)
{
	const config_setting_t	*s;

	if (r->ehlo_as == NULL && (r->type == RELAY_SMTP ||
	    r->type == RELAY_MX))
		r->ehlo_as = xstrdup(ld->cfg->hostname);
	s = config_setting_get_member(g, "tls");
	if (r->auth_username != NULL) {
		/*
		 * Credentials go only to a server we asked for encryption:
		 * with auth, tls defaults to verify (an unverified peer may
		 * be an impostor that collects the password).
		 */
		if (s == NULL)
			r->tls = CTLS_VERIFY;
		else if (r->tls == CTLS_NONE || r->tls == CTLS_OPPORTUNISTIC)
			return fail(ld, s, "auth needs tls = \"verify\" (or "
			    "\"required\"), not \"%s\": credentials must not "
			    "go to a server that was not asked for encryption",
			    client_tls_to_text(r->tls));
		else if (r->tls == CTLS_REQUIRED)
			warn_at(ld, s, "auth with tls = \"required\": the "
			    "password goes to any server that completes TLS, "
			    "its certificate unverified; use \"verify\"");
	}
	if (r->implicit_tls) {
		if (r->tls == CTLS_NONE)
			return fail(ld, s, "implicit_tls contradicts tls = "
			    "\"none\"");
		/* Implicit TLS is at least "required". */
		if (r->tls == CTLS_OPPORTUNISTIC)
			r->tls = CTLS_REQUIRED;
	}
	if ((r->tls_cert == NULL) != (r->tls_key == NULL))
		return fail(ld, config_setting_get_member(g, r->tls_cert ?
		    "tls_cert" : "tls_key"), "tls_cert and tls_key go "
		    "together");
	if (r->tls_cert != NULL) {
		if (r->tls == CTLS_NONE)
			return fail(ld, config_setting_get_member(g,
			    "tls_cert"), "tls_cert is set but tls is \"none\"");
		if (check_cert(ld, g, "tls_cert", "tls_key", r->tls_cert,
		    r->tls_key) == -1)
			return -1;
	}
	/*
	 * DANE believes the resolver's AD bit, which is only worth anything
	 * from a validating resolver the operator vouches for.  Mandatory
	 * DANE without it could never deliver: an error.  Opportunistic
	 * without it never applies: a warning.
	 */
	s = config_setting_get_member(g, "dane");
	if (r->dane == DANE_MANDATORY && !ld->cfg->resolver_trust_ad)
		return fail(ld, s, "dane = \"mandatory\" needs resolver "
		    "trust_ad = true (a validating resolver whose AD bit is "
		    "believed): without it no TLSA record is ever "
		    "authenticated and every delivery would be deferred");
	if (r->dane == DANE_OPPORTUNISTIC && !ld->cfg->resolver_trust_ad)
		warn_at(ld, s, "dane = \"opportunistic\" without resolver "
		    "trust_ad = true never applies: no TLSA record is "
		    "authenticated, the relayer's tls is used");
	if (r->ca_file != NULL && access(r->ca_file, R_OK) == -1)
		return fail(ld, config_setting_get_member(g, "ca_file"),
		    "cannot read ca_file \"%s\": %s", r->ca_file,
		    strerror(errno));
	if (r->ca_path != NULL && access(r->ca_path, R_OK | X_OK) == -1)
		return fail(ld, config_setting_get_member(g, "ca_path"),
		    "cannot read ca_path \"%s\": %s", r->ca_path,
		    strerror(errno));

	switch (r->type) {
	case RELAY_SMTP:
		if (r->n_hosts == 0)
			return fail(ld, g, "host is required for type smtp");
		break;
	case RELAY_MX:
		break;
	case RELAY_MAILDROP:
		s = config_setting_get_member(g, "command");
		if (r->n_command == 0)
			return fail(ld, g, "command is required for type "
			    "maildrop");
		if (r->command[0][0] != '/')
			return fail(ld, s, "command: \"%s\" is not an absolute "
			    "path", r->command[0]);
		break;
	case RELAY_MAILDIR:
		if (r->path == NULL)
			return fail(ld, g, "path is required for type maildir");
		if (check_template(ld, config_setting_get_member(g, "path"),
		    "path", r->path) == -1)
			return -1;
		break;
	}
	return 0;
}

/* Fill r from group g; g is NULL for the built-in "mx" relayer. */
static int
parse_relayer(struct loader *ld, const config_setting_t *g,
    struct relayer_conf *r)
{
	const config_setting_t	*s;
	const char		*name = "mx";
	int			 type = RELAY_MX;

	if (g != NULL && get_name(ld, g, "name", &name) == -1)
		return -1;
	r->name = xstrdup(name);
	r->line = g != NULL ? config_setting_source_line(g) : 0;
	set_ctx(ld, "relayer \"%s\": ", name);
	if (g != NULL) {
		if ((s = config_setting_get_member(g, "type")) == NULL)
			return fail(ld, g, "type is required");
		if (get_enum(ld, s, "type", &type_enum, &type) == -1)
			return -1;
#ifndef WITH_MAILDROP
		/* Left out (configure.ac): refused, not ignored, so that mail
		 * routed to this relayer never waits for a command that is
		 * not there. */
		if (type == RELAY_MAILDROP)
			return fail_without(ld, s, "type",
			    "the maildrop relayer", "maildrop");
#endif
	}
	r->type = type;
	if (parse_opts(ld, g, relayer_opts, nitems(relayer_opts), r,
	    1u << r->type, type_enum.names[r->type]) == -1)
		return -1;
#ifndef WITH_MTA_STS
	/* Left out (configure.ac): refused, not ignored, since enforce mode
	 * is a promise about which hosts may receive the mail. */
	if (r->mta_sts)
		return fail_without(ld, config_setting_get_member(g,
		    "mta_sts"), "mta_sts", "MTA-STS", "mta-sts");
#endif
#ifndef WITH_DANE
	/* Left out (configure.ac): refused, not ignored, since "mandatory"
	 * promises authenticated TLS or no delivery at all. */
	if (r->dane != DANE_OFF)
		return fail_without(ld, config_setting_get_member(g, "dane"),
		    "dane", "DANE", "dane");
#endif
	if (g != NULL && check_relayer(ld, g, r) == -1)
		return -1;
	if (g == NULL)
		r->ehlo_as = xstrdup(ld->cfg->hostname);
	set_ctx(ld, "");
	return 0;
}

/* Entry i of the relayers list: its name unique. */
static int
relayer_entry(struct loader *ld, const config_setting_t *g, int i, void *arg)
{
	struct config	*cfg = arg;

	if (parse_relayer(ld, g, &cfg->relayers[i]) == -1)
		return -1;
	if (find_named(cfg->relayers, i, sizeof(*cfg->relayers), R(name),
	    cfg->relayers[i].name) != -1)
		return fail(ld, g, "relayer \"%s\" is defined twice",
		    cfg->relayers[i].name);
	return 0;
}

/* One spare entry for the implicit "mx" relayer. */
static const struct group_list relayer_list = { "relayers: entry %d: ", "",
    sizeof(struct relayer_conf), offsetof(struct config, relayers),
    offsetof(struct config, n_relayers), 1, relayer_entry };

int
opt_relayers(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct config	*cfg = obj;
	int		 n;

	if (parse_groups(ld, s, o->name, &relayer_list, cfg) == -1)
		return -1;
	if (config_relayer(cfg, "mx") == NULL) {
		n = cfg->n_relayers++;
		if (parse_relayer(ld, NULL, &cfg->relayers[n]) == -1)
			return -1;
	}
	return 0;
}


void
config_relayers_free(struct config *cfg)
{
	struct relayer_conf	*r;
	int			 i;

	for (i = 0; i < cfg->n_relayers; i++) {
		r = &cfg->relayers[i];
		free(r->name);
		free(r->ca_file);
		free(r->ca_path);
		free(r->tls_cert);
		free(r->tls_key);
		free(r->auth_username);
		if (r->auth_password != NULL)
			explicit_bzero(r->auth_password,
			    strlen(r->auth_password));
		free(r->auth_password);
		free(r->ehlo_as);
		strv_free(r->hosts, r->n_hosts);
		strv_free(r->command, r->n_command);
		free(r->path);
	}
	free(cfg->relayers);
}

const struct relayer_conf *
config_relayer(const struct config *cfg, const char *name)
{
	int	i;

	i = find_named(cfg->relayers, cfg->n_relayers,
	    sizeof(*cfg->relayers), R(name), name);
	return i != -1 ? &cfg->relayers[i] : NULL;
}

const char *
relay_type_to_text(enum relay_type t)
{
	return enum_text(&type_enum, t);
}

const char *
dane_mode_to_text(enum dane_mode m)
{
	return enum_text(&dane_enum, m);
}

const char *
client_tls_to_text(enum client_tls t)
{
	return enum_text(&ctls_enum, t);
}
