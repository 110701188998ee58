/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config.c — owns reading smarthostd.conf into one struct config: the
 * option table of every section (top level, log, resolver, queue,
 * listeners, relayers, routing), their defaults, and the checks a table
 * cannot say (cross-references, files that must load, "exactly one of").
 *
 * The tables are walked by the generic machinery of config_opts.c, in the
 * manner of tmux's options-table.c: names not in a table are refused,
 * defaults applied, values parsed by kind.  The first error stops the load
 * and is reported as one line "file:line: message"; a half-built object is
 * freed, never returned.  Loading, reference counting, look-ups and the
 * *_to_text() names live here too.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cidr.h"
#include "config.h"
#include "config_include.h"
#include "config_opts.h"
#include "privread.h"
#include "util.h"

#define CONFIG_MAX_SIZE	(4 * 1024 * 1024)	/* a larger file is a mistake */
#define SECRET_MAX	4096

/* The enum tables double as the *_to_text() vocabulary. */
static const struct enum_def ltls_enum =
    { "tls mode", { "none", "starttls", "implicit", NULL } };
static const struct enum_def ctls_enum =
    { "tls mode", { "none", "opportunistic", "required", "verify", NULL } };
static const struct enum_def auth_enum =
    { "auth mode", { "none", "optional", "required", NULL } };
static const struct enum_def batch_enum = { "batch_handling mode",
    { "BifurcateAlways", "BatchByDomain", "BatchByRoute", NULL } };
static const struct enum_def bare_lf_enum =
    { "bare_lf mode", { "normalize", "reject", NULL } };
static const struct enum_def received_enum =
    { "received_header mode", { "full", "hide_client", "none", NULL } };
static const struct enum_def type_enum =
    { "relayer type", { "smtp", "mx", "maildrop", "maildir", NULL } };
static const struct enum_def level_enum =
    { "log level", { "error", "warn", "info", "debug", NULL } };
static const struct enum_def to_enum =
    { "log destination", { "syslog", "stderr", NULL } };

_Static_assert(sizeof(enum listener_tls) == sizeof(int) &&
    sizeof(enum client_tls) == sizeof(int) &&
    sizeof(enum relay_type) == sizeof(int) &&
    sizeof(enum log_level) == sizeof(int), "O_ENUM stores an int");

static void	config_free(struct config *);

/*
 * Top level, log, resolver, queue.
 */

static int
opt_hostname(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct config	*cfg = obj;
	const char	*str;
	char		 buf[256];

	if (s == NULL) {
		if (gethostname(buf, sizeof(buf)) == -1 || buf[0] == '\0')
			return fail(ld, NULL, "cannot get the host name; "
			    "set hostname");
		buf[sizeof(buf) - 1] = '\0';
		cfg->hostname = xstrdup(buf);
		return 0;
	}
	if (get_nonempty(ld, s, o->name, &str) == -1)
		return -1;
	if (!valid_domain(str, 0))
		return fail(ld, s, "hostname: \"%s\" is not a host name", str);
	cfg->hostname = xstrdup(str);
	return 0;
}

/* The user must exist now: -n says so, not the first start. */
static int
opt_user(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct config	*cfg = obj;
	const char	*str;

	if (s == NULL)
		return 0;
	if (get_nonempty(ld, s, o->name, &str) == -1)
		return -1;
	errno = 0;
	if (getpwnam(str) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH &&
		    errno != EBADF && errno != EPERM)
			return fail(ld, s, "user \"%s\": cannot look it up: "
			    "%s", str, strerror(errno));
		return fail(ld, s, "user \"%s\": no such user", str);
	}
	cfg->user = xstrdup(str);
	return 0;
}

static int
opt_control(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct config	*cfg = obj;
	const char	*str;
	char		*p;

	if (s == NULL) {
		p = xasprintf("%s/control.sock", cfg->spool);
		cfg->control = abs_path(ld->base, p);
		free(p);
		return 0;
	}
	if (get_string(ld, s, o->name, &str) == -1)
		return -1;
	if (*str != '\0')
		cfg->control = abs_path(ld->base, str);
	return 0;
}

struct log_opts {
	int		to;
	enum log_level	level;
};

static const struct opt log_opts[] = {
	{ .name = "to", .kind = O_ENUM, .en = &to_enum,
	  .off = offsetof(struct log_opts, to), .def = 0 },
	{ .name = "level", .kind = O_ENUM, .en = &level_enum,
	  .off = offsetof(struct log_opts, level), .def = LOG_LEVEL_INFO },
};

static int
opt_log(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct config	*cfg = obj;
	struct log_opts	 lo;

	if (want_group(ld, s, o->name) == -1)
		return -1;
	set_ctx(ld, "log: ");
	if (parse_opts(ld, s, log_opts, nitems(log_opts), &lo, 0, NULL) == -1)
		return -1;
	cfg->log_stderr = lo.to == 1;
	cfg->log_level = lo.level;
	set_ctx(ld, "");
	return 0;
}

static int
check_ip(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *value)
{
	if (!is_ip_literal(value))
		return fail(ld, s, "%s: \"%s\" is not an IP address", o->name,
		    (char *)value);
	return 0;
}

#define C(f) offsetof(struct config, f)

static const struct opt resolver_opts[] = {
	{ .name = "nameservers", .kind = O_LIST, .fn = check_ip,
	  .off = C(nameservers), .noff = C(n_nameservers) },
	{ .name = "port", .kind = O_INT, .off = C(resolver_port),
	  .def = 53, .min = 1, .max = 65535 },
	{ .name = "timeout", .kind = O_DURATION, .off = C(resolver_timeout),
	  .def = 5 },
	{ .name = "attempts", .kind = O_INT, .off = C(resolver_attempts),
	  .def = 2, .min = 1, .max = 100 },
	{ .name = "hosts_file", .kind = O_PATH, .off = C(hosts_file) },
};

static const struct opt queue_opts[] = {
	{ .name = "retry_interval", .kind = O_DURATION,
	  .off = C(retry_interval), .def = 60 },
	{ .name = "max_retry_interval", .kind = O_DURATION,
	  .off = C(max_retry_interval), .def = 3600 },
	{ .name = "max_age", .kind = O_DURATION, .off = C(max_age),
	  .def = 5 * 86400 },
	{ .name = "bounces", .kind = O_BOOL, .off = C(bounces), .def = 1 },
	{ .name = "delay_warning", .kind = O_FUNC, .fn = opt_delay_warning },
};

static int
opt_resolver(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct config	*cfg = obj;

	if (parse_group(ld, s, o->name, resolver_opts, nitems(resolver_opts),
	    cfg) == -1)
		return -1;
	if (cfg->n_nameservers == 0) {
		/* [ ] says what an absent setting says: /etc/resolv.conf. */
		free(cfg->nameservers);
		cfg->nameservers = NULL;
	}
	return 0;
}

static int
opt_queue(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	return parse_group(ld, s, o->name, queue_opts, nitems(queue_opts),
	    obj);
}

/*
 * Listeners.
 */

static int
opt_address(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct listener_conf	*l = obj;
	const char		*str;

	if (s == NULL) {
		l->address = xstrdup("127.0.0.1");
		return 0;
	}
	if (get_nonempty(ld, s, o->name, &str) == -1)
		return -1;
	if (!is_ip_literal(str))
		return fail(ld, s, "address: \"%s\" is not an IPv4 or IPv6 "
		    "address", str);
	l->address = xstrdup(str);
	return 0;
}

/*
 * An array of CIDR strings; absent means loopback only.  Used for
 * relay_from and proxy_from.
 */
static int
cidr_list(struct loader *ld, const config_setting_t *s, const char *name,
    struct cidr **list, int *count)
{
	const config_setting_t	*e;
	const char		*why;
	int			 i, n;

	if (s == NULL) {
		*list = xcalloc(2, sizeof(**list));
		if (cidr_parse("127.0.0.0/8", &(*list)[0], &why) == -1 ||
		    cidr_parse("::1/128", &(*list)[1], &why) == -1)
			fatalx("%s default: %s", name, why);
		*count = 2;
		return 0;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return fail(ld, s, "%s: expected an array of CIDR strings",
		    name);
	n = config_setting_length(s);
	if (n == 0)
		return 0;
	*list = xcalloc(n, sizeof(**list));
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(ld, e, "%s: expected an array of CIDR "
			    "strings", name);
		if (cidr_parse(config_setting_get_string(e), &(*list)[i],
		    &why) == -1)
			return fail(ld, e, "%s: invalid CIDR \"%s\": %s", name,
			    config_setting_get_string(e), why);
		*count = i + 1;
	}
	return 0;
}

static int
opt_relay_from(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct listener_conf *l = obj;

	return cidr_list(ld, s, o->name, &l->relay_from, &l->n_relay_from);
}

static int
opt_proxy_from(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct listener_conf *l = obj;

	return cidr_list(ld, s, o->name, &l->proxy_from, &l->n_proxy_from);
}

#define L(f) offsetof(struct listener_conf, f)

static const struct opt listener_opts[] = {
	{ .name = "name", .kind = O_FUNC, .fn = opt_read_first },
	{ .name = "address", .kind = O_FUNC, .fn = opt_address },
	{ .name = "port", .kind = O_INT, .off = L(port), .def = 25,
	  .min = 1, .max = 65535 },
	{ .name = "tls", .kind = O_ENUM, .en = &ltls_enum, .off = L(tls),
	  .def = LTLS_NONE },
	{ .name = "cert", .kind = O_PATH, .off = L(cert) },
	{ .name = "key", .kind = O_PATH, .off = L(key) },
	{ .name = "require_tls", .kind = O_BOOL, .off = L(require_tls) },
	{ .name = "relay_from", .kind = O_FUNC, .fn = opt_relay_from },
	{ .name = "proxy_protocol", .kind = O_BOOL, .off = L(proxy_protocol) },
	{ .name = "proxy_from", .kind = O_FUNC, .fn = opt_proxy_from },
	{ .name = "auth", .kind = O_ENUM, .en = &auth_enum, .off = L(auth),
	  .def = AUTH_NONE },
	{ .name = "users", .kind = O_PATH, .off = L(users) },
	{ .name = "batch_handling", .kind = O_ENUM, .en = &batch_enum,
	  .off = L(batch), .def = BATCH_BY_DOMAIN },
	{ .name = "max_message_size", .kind = O_SIZE,
	  .off = L(max_message_size), .def = 25 * 1024 * 1024 },
	{ .name = "max_recipients", .kind = O_INT, .off = L(max_recipients),
	  .def = 100, .min = 1, .max = INT_MAX },
	{ .name = "max_connections", .kind = O_INT,
	  .off = L(max_connections), .def = 100, .min = 1, .max = INT_MAX },
	{ .name = "auth_max_failures", .kind = O_INT,
	  .off = L(auth_max_failures), .def = 10, .min = 0, .max = INT_MAX },
	{ .name = "auth_failure_window", .kind = O_DURATION,
	  .off = L(auth_failure_window), .def = 600 },
	{ .name = "auth_penalty", .kind = O_DURATION,
	  .off = L(auth_penalty), .def = 600 },
	{ .name = "max_connections_per_ip", .kind = O_INT,
	  .off = L(max_connections_per_ip), .def = 10, .min = 0,
	  .max = INT_MAX },
	{ .name = "min_data_rate", .kind = O_INT, .off = L(min_data_rate),
	  .def = 500, .min = 0, .max = INT_MAX },
	{ .name = "timeout", .kind = O_DURATION, .off = L(timeout),
	  .def = 300 },
	{ .name = "banner", .kind = O_STRING, .off = L(banner) },
	{ .name = "bare_lf", .kind = O_ENUM, .en = &bare_lf_enum,
	  .off = L(bare_lf), .def = BARE_LF_NORMALIZE },
	{ .name = "add_message_id", .kind = O_BOOL, .off = L(add_message_id) },
	{ .name = "add_date", .kind = O_BOOL, .off = L(add_date) },
	{ .name = "strip_headers", .kind = O_LIST, .off = L(strip_headers),
	  .noff = L(n_strip_headers), .fn = check_header_name },
	{ .name = "received_header", .kind = O_ENUM, .en = &received_enum,
	  .off = L(received_header), .def = RECEIVED_FULL },
};

/*
 * A certificate that does not load must stop the start, not fall back.
 * cn and kn name the settings in group g that hold the files.
 */
static int
check_cert(struct loader *ld, const config_setting_t *g, const char *cn,
    const char *kn, const char *cert, const char *key)
{
	const config_setting_t	*cs, *ks, *s = NULL;
	SSL_CTX			*ctx;
	const char		*what = NULL, *file = NULL, *name = NULL;
	const char		*failed;
	int			 fd;
	unsigned long		 e;
	char			 why[256] = "";

	cs = config_setting_get_member(g, cn);
	ks = config_setting_get_member(g, kn);
	/* Through the root helper after the privilege drop (privread.h). */
	if ((fd = privread_open(cert)) == -1)
		return fail(ld, cs, "cannot read %s \"%s\": %s", cn, cert,
		    strerror(errno));
	close(fd);
	if ((fd = privread_open(key)) == -1)
		return fail(ld, ks, "cannot read %s \"%s\": %s", kn, key,
		    strerror(errno));
	if (privread_others_can_read(fd))
		warn_at(ld, ks, "%s \"%s\" is readable by others: make it "
		    "0600 (it is read as root)", kn, key);
	close(fd);

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return fail(ld, g, "cannot create a TLS context");
	if (privread_use_cert_key(ctx, cert, key, &failed) == -1 &&
	    strcmp(failed, "cert") == 0) {
		what = "cannot load";
		name = cn;
		file = cert;
		s = cs;
	} else if (failed != NULL &&
	    ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
		what = "cannot load";
		name = kn;
		file = key;
		s = ks;
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return fail(ld, ks, "%s \"%s\" does not match %s \"%s\"",
		    kn, key, cn, cert);
	}
	SSL_CTX_free(ctx);
	if (what == NULL)
		return 0;
	if ((e = ERR_peek_last_error()) != 0)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	return fail(ld, s, "%s %s \"%s\": %s", what, name, file,
	    why[0] != '\0' ? why : "not a PEM file");
}

static int
check_listener(struct loader *ld, const config_setting_t *g,
    struct listener_conf *l)
{
	const config_setting_t	*s;
	int			 fd;

	s = config_setting_get_member(g, "tls");
	if (l->tls != LTLS_NONE) {
		if (l->cert == NULL || l->key == NULL)
			return fail(ld, s, "cert and key are required with "
			    "tls = \"%s\"", ltls_enum.names[l->tls]);
		if (check_cert(ld, g, "cert", "key", l->cert, l->key) == -1)
			return -1;
	} else {
		if ((s = config_setting_get_member(g, "cert")) != NULL ||
		    (s = config_setting_get_member(g, "key")) != NULL)
			return fail(ld, s, "%s is set but tls is \"none\"",
			    config_setting_name(s));
		if (l->require_tls)
			return fail(ld, config_setting_get_member(g,
			    "require_tls"), "require_tls needs tls = "
			    "\"starttls\" or \"implicit\"");
	}

	s = config_setting_get_member(g, "auth");
	if (l->auth != AUTH_NONE) {
		if (l->users == NULL)
			return fail(ld, s, "users is required with auth = "
			    "\"%s\"", auth_enum.names[l->auth]);
		s = config_setting_get_member(g, "users");
		if ((fd = privread_open(l->users)) == -1)
			return fail(ld, s, "cannot read users \"%s\": %s",
			    l->users, strerror(errno));
		if (privread_others_can_read(fd))
			warn_at(ld, s, "users \"%s\" is readable by others: "
			    "make it 0600 (it is read as root)", l->users);
		close(fd);
	} else if ((s = config_setting_get_member(g, "users")) != NULL)
		return fail(ld, s, "users is set but auth is \"none\"");
	return 0;
}

/* Fill l from group g; g is NULL for the built-in default listener. */
static int
parse_listener(struct loader *ld, const config_setting_t *g,
    struct listener_conf *l)
{
	const char	*name = "default";

	if (g != NULL && get_name(ld, g, "name", &name) == -1)
		return -1;
	if (strcmp(name, LISTENER_SENDMAIL) == 0 ||
	    strcmp(name, LISTENER_BOUNCE) == 0)
		return fail(ld, config_setting_get_member(g, "name"),
		    "listener name \"%s\" is reserved for %s", name,
		    strcmp(name, LISTENER_SENDMAIL) == 0 ?
		    "mail from smarthost-sendmail" : "bounces");
	l->name = xstrdup(name);
	l->line = g != NULL ? config_setting_source_line(g) : 0;
	set_ctx(ld, "listener \"%s\": ", name);
	if (parse_opts(ld, g, listener_opts, nitems(listener_opts), l, 0,
	    NULL) == -1)
		return -1;
	if (l->banner == NULL)
		l->banner = xasprintf("%s ESMTP smarthostd", ld->cfg->hostname);
	if (g != NULL && check_listener(ld, g, l) == -1)
		return -1;
	set_ctx(ld, "");
	return 0;
}

/* Two listeners on one address and port cannot both bind. */
static int
same_endpoint(const struct listener_conf *a, const struct listener_conf *b)
{
	unsigned char	x[16] = { 0 }, y[16] = { 0 };
	int		fa, fb;

	if (a->port != b->port)
		return 0;
	fa = strchr(a->address, ':') != NULL ? AF_INET6 : AF_INET;
	fb = strchr(b->address, ':') != NULL ? AF_INET6 : AF_INET;
	if (fa != fb || inet_pton(fa, a->address, x) != 1 ||
	    inet_pton(fb, b->address, y) != 1)
		return 0;
	return memcmp(x, y, sizeof(x)) == 0;
}

static int
opt_listeners(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct config		*cfg = obj;
	const config_setting_t	*g;
	int			 i, j, n;

	if (s == NULL) {
		cfg->listeners = xcalloc(1, sizeof(*cfg->listeners));
		cfg->n_listeners = 1;
		return parse_listener(ld, NULL, &cfg->listeners[0]);
	}
	if (want_list_of_groups(ld, s, o->name) == -1)
		return -1;
	n = config_setting_length(s);
	cfg->listeners = n > 0 ? xcalloc(n, sizeof(*cfg->listeners)) : NULL;
	cfg->n_listeners = n;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		set_ctx(ld, "listeners: entry %d: ", i + 1);
		if (parse_listener(ld, g, &cfg->listeners[i]) == -1)
			return -1;
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->listeners[j].name,
			    cfg->listeners[i].name) == 0)
				return fail(ld, g, "listener \"%s\" is defined "
				    "twice", cfg->listeners[i].name);
			if (same_endpoint(&cfg->listeners[j],
			    &cfg->listeners[i]))
				return fail(ld, g, "listener \"%s\": address "
				    "%s port %d is already used by listener "
				    "\"%s\"", cfg->listeners[i].name,
				    cfg->listeners[i].address,
				    cfg->listeners[i].port,
				    cfg->listeners[j].name);
		}
	}
	set_ctx(ld, "");
	return 0;
}

/*
 * Relayers.
 */

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
static int
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
	}
	r->type = type;
	if (parse_opts(ld, g, relayer_opts, nitems(relayer_opts), r,
	    1u << r->type, type_enum.names[r->type]) == -1)
		return -1;
	if (g != NULL && check_relayer(ld, g, r) == -1)
		return -1;
	if (g == NULL)
		r->ehlo_as = xstrdup(ld->cfg->hostname);
	set_ctx(ld, "");
	return 0;
}

static int
opt_relayers(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct config		*cfg = obj;
	const config_setting_t	*g;
	int			 i, j, n = 0;

	if (s != NULL) {
		if (want_list_of_groups(ld, s, o->name) == -1)
			return -1;
		n = config_setting_length(s);
	}
	/* One spare slot for the implicit "mx" relayer. */
	cfg->relayers = xcalloc(n + 1, sizeof(*cfg->relayers));
	cfg->n_relayers = n;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		set_ctx(ld, "relayers: entry %d: ", i + 1);
		if (parse_relayer(ld, g, &cfg->relayers[i]) == -1)
			return -1;
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->relayers[j].name,
			    cfg->relayers[i].name) == 0)
				return fail(ld, g, "relayer \"%s\" is defined "
				    "twice", cfg->relayers[i].name);
		}
	}
	if (config_relayer(cfg, "mx") == NULL) {
		cfg->n_relayers = n + 1;
		if (parse_relayer(ld, NULL, &cfg->relayers[n]) == -1)
			return -1;
	}
	return 0;
}

/*
 * Routing.
 */

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

static int
parse_rule(struct loader *ld, const config_setting_t *g, struct rule_conf *u)
{
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

static int
opt_rules(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct config	*cfg = obj;
	int		 i, n;

	if (s == NULL)
		return 0;
	if (want_list_of_groups(ld, s, o->name) == -1)
		return -1;
	if ((n = config_setting_length(s)) == 0)
		return 0;
	cfg->rules = xcalloc(n, sizeof(*cfg->rules));
	cfg->n_rules = n;
	for (i = 0; i < n; i++) {
		set_ctx(ld, "rule %d: ", i + 1);
		if (parse_rule(ld, config_setting_get_elem(s, i),
		    &cfg->rules[i]) == -1)
			return -1;
	}
	set_ctx(ld, "routing: ");
	return 0;
}

static int
opt_domains(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct config		*cfg = obj;
	const config_setting_t	*g;
	int			 i, j, n;

	if (s == NULL)
		return 0;
	if (want_list_of_groups(ld, s, o->name) == -1)
		return -1;
	if ((n = config_setting_length(s)) == 0)
		return 0;
	cfg->domains = xcalloc(n, sizeof(*cfg->domains));
	cfg->n_domains = n;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		set_ctx(ld, "domains: entry %d: ", i + 1);
		if (parse_domain(ld, g, &cfg->domains[i]) == -1)
			return -1;
		set_ctx(ld, "");
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->domains[j].domain,
			    cfg->domains[i].domain) == 0)
				return fail(ld, g, "domain \"%s\" is listed "
				    "twice (first at line %d)",
				    cfg->domains[i].domain,
				    cfg->domains[j].line);
		}
	}
	set_ctx(ld, "routing: ");
	return 0;
}

static int
opt_default_relayer(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct config	*cfg = obj;
	const char	*str;

	if (s == NULL)
		return 0;
	if (get_nonempty(ld, s, o->name, &str) == -1)
		return -1;
	if (config_relayer(cfg, str) == NULL)
		return fail(ld, s, "default_relayer: unknown relayer \"%s\"",
		    str);
	cfg->default_relayer = xstrdup(str);
	return 0;
}

static const struct opt routing_opts[] = {
	{ .name = "default_relayer", .kind = O_FUNC,
	  .fn = opt_default_relayer },
	{ .name = "rules", .kind = O_FUNC, .fn = opt_rules },
	{ .name = "domains", .kind = O_FUNC, .fn = opt_domains },
};

static int
opt_routing(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	return parse_group(ld, s, o->name, routing_opts,
	    nitems(routing_opts), obj);
}

static int
opt_allow_from(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct metrics_conf *m = obj;

	return cidr_list(ld, s, o->name, &m->allow_from, &m->n_allow_from);
}

#define MC(f) offsetof(struct metrics_conf, f)

static const struct opt metrics_opts[] = {
	{ .name = "address", .kind = O_STRING, .off = MC(address),
	  .defstr = "127.0.0.1" },
	{ .name = "port", .kind = O_INT, .off = MC(port), .def = 9325,
	  .min = 1, .max = 65535 },
	{ .name = "allow_from", .kind = O_FUNC, .fn = opt_allow_from },
};

static int
opt_metrics(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	struct config	*cfg = obj;

	if (s == NULL)
		return 0;
	if (parse_group(ld, s, o->name, metrics_opts, nitems(metrics_opts),
	    &cfg->metrics) == -1)
		return -1;
	if (!is_ip_literal(cfg->metrics.address))
		return fail(ld, s, "metrics: address: \"%s\" is not an IPv4 "
		    "or IPv6 address", cfg->metrics.address);
	cfg->metrics.enabled = true;
	cfg->metrics.line = config_setting_source_line(s);
	return 0;
}

static const struct opt top_opts[] = {
	{ .name = "hostname", .kind = O_FUNC, .fn = opt_hostname },
	{ .name = "user", .kind = O_FUNC, .fn = opt_user },
	{ .name = "spool", .kind = O_PATH, .off = C(spool),
	  .defstr = "/var/spool/smarthostd" },
	{ .name = "control", .kind = O_FUNC, .fn = opt_control },
	{ .name = "pid_file", .kind = O_PATH, .off = C(pid_file) },
	{ .name = "log", .kind = O_FUNC, .fn = opt_log },
	{ .name = "resolver", .kind = O_FUNC, .fn = opt_resolver },
	{ .name = "queue", .kind = O_FUNC, .fn = opt_queue },
	{ .name = "listeners", .kind = O_FUNC, .fn = opt_listeners },
	{ .name = "relayers", .kind = O_FUNC, .fn = opt_relayers },
	{ .name = "routing", .kind = O_FUNC, .fn = opt_routing },
	{ .name = "rewrite", .kind = O_FUNC, .fn = opt_rewrite },
	{ .name = "dkim", .kind = O_FUNC, .fn = opt_dkim },
	{ .name = "metrics", .kind = O_FUNC, .fn = opt_metrics },
};

/*
 * Loading.
 */

/* include_read_fn: a file of at most CONFIG_MAX_SIZE bytes, without NUL. */
static char *
read_config_file(void *arg, const char *path, size_t *lenp, char *err,
    size_t errlen)
{
	FILE	*fp;
	char	*text;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	text = xmalloc(CONFIG_MAX_SIZE + 1);
	n = fread(text, 1, CONFIG_MAX_SIZE + 1, fp);
	if (ferror(fp) || n > CONFIG_MAX_SIZE) {
		snprintf(err, errlen, "%s", ferror(fp) ? strerror(errno) :
		    "file too large");
		fclose(fp);
		free(text);
		return NULL;
	}
	fclose(fp);
	if (memchr(text, '\0', n) != NULL) {
		/* libconfig would silently stop reading there. */
		snprintf(err, errlen, "contains a NUL byte");
		free(text);
		return NULL;
	}
	text[n] = '\0';
	*lenp = n;
	return text;
}

/*
 * config_load_local(): hostname, spool and control as config_load() reads
 * them, and each listener's max_message_size (incoming_max_size()), by
 * the same table entries: the same defaults and checks, nothing else read.
 */
static int
parse_local(struct loader *ld, const config_setting_t *root,
    struct config *cfg)
{
	static const char *const top[] = { "hostname", "spool", "control",
	    NULL };
	static const char *const lis[] = { "max_message_size", NULL };
	const config_setting_t	*s;
	int			 i, n;

	if (parse_named_opts(ld, root, top_opts, nitems(top_opts), top,
	    cfg) == -1)
		return -1;
	s = config_setting_get_member(root, "listeners");
	if (s != NULL && want_list_of_groups(ld, s, "listeners") == -1)
		return -1;
	n = s != NULL ? config_setting_length(s) : 1;	/* the default one */
	cfg->listeners = n > 0 ? xcalloc(n, sizeof(*cfg->listeners)) : NULL;
	cfg->n_listeners = n;
	for (i = 0; i < n; i++) {
		set_ctx(ld, "listeners: entry %d: ", i + 1);
		if (parse_named_opts(ld, s != NULL ?
		    config_setting_get_elem(s, i) : NULL, listener_opts,
		    nitems(listener_opts), lis, &cfg->listeners[i]) == -1)
			return -1;
	}
	set_ctx(ld, "");
	return 0;
}

/*
 * The file shown as name and opened as path, whose text is given: its
 * @include directives expanded (config_include.c), then parsed (only what
 * parse_local() reads when local).  Takes base (the directory for
 * relative paths).
 */
static struct config *
load(const char *text, const char *name, const char *path, char *base,
    bool local, char *err, size_t errlen)
{
	struct loader	 ld;
	struct include_map *map = NULL;
	config_t	 lc;
	struct config	*cfg;
	char		*full;
	const char	*efile;
	unsigned	 eline;

	if ((full = include_expand(text, strlen(text), name, path,
	    read_config_file, NULL, CONFIG_MAX_SIZE, &map, err, errlen)) ==
	    NULL) {
		free(base);
		return NULL;
	}
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->refcnt = 1;
	cfg->path = xstrdup(name);
	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	ld.name = name;
	ld.map = map;
	ld.base = base;
	ld.err = err;
	ld.errlen = errlen;

	/* No include directory: the text has no @include left. */
	config_init(&lc);
	if (!config_read_string(&lc, full)) {
		efile = include_map_find(map, (unsigned)config_error_line(&lc),
		    &eline);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s:%u: %s", efile, eline,
			    config_error_text(&lc));
		goto fail;
	}
	if (local ? parse_local(&ld, config_root_setting(&lc), cfg) == -1 :
	    parse_opts(&ld, config_root_setting(&lc), top_opts,
	    nitems(top_opts), cfg, 0, NULL) == -1)
		goto fail;
	config_destroy(&lc);
	include_map_free(map);
	free(full);
	free(base);
	return cfg;

fail:
	config_destroy(&lc);
	config_free(cfg);
	include_map_free(map);
	free(full);
	free(base);
	return NULL;
}

static char *
current_dir(void)
{
	char	*cwd;

	if ((cwd = getcwd(NULL, 0)) == NULL)
		return xstrdup("/");
	return cwd;
}

static struct config *
load_file(const char *path, bool local, char *err, size_t errlen)
{
	struct config	*cfg;
	char		*text, *dir, *slash, *base, *rel, why[256];
	size_t		 n;

	if ((text = read_config_file(NULL, path, &n, why, sizeof(why))) ==
	    NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((base = realpath(dir, NULL)) == NULL) {
		rel = current_dir();
		base = abs_path(rel, dir);
		free(rel);
	}
	free(dir);

	cfg = load(text, path, path, base, local, err, errlen);
	free(text);
	return cfg;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	return load_file(path, false, err, errlen);
}

struct config *
config_load_local(const char *path, char *err, size_t errlen)
{
	return load_file(path, true, err, errlen);
}

struct config *
config_load_string(const char *text, const char *name, char *err,
    size_t errlen)
{
	return load(text, name, name, current_dir(), false, err, errlen);
}

static void
config_free(struct config *cfg)
{
	struct listener_conf	*l;
	struct relayer_conf	*r;
	struct rule_conf	*u;
	struct domain_conf	*d;
	int			 i, j;

	free(cfg->path);
	free(cfg->hostname);
	free(cfg->user);
	free(cfg->spool);
	free(cfg->control);
	free(cfg->metrics.address);
	free(cfg->metrics.allow_from);
	free(cfg->pid_file);
	strv_free(cfg->nameservers, cfg->n_nameservers);
	free(cfg->hosts_file);
	for (i = 0; i < cfg->n_listeners; i++) {
		l = &cfg->listeners[i];
		free(l->name);
		free(l->address);
		free(l->cert);
		free(l->key);
		free(l->relay_from);
		free(l->proxy_from);
		free(l->users);
		free(l->banner);
		strv_free(l->strip_headers, l->n_strip_headers);
	}
	free(cfg->listeners);
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
	rewrite_conf_free(&cfg->rewrite);
	strv_free(cfg->warnings, cfg->n_warnings);
	config_dkim_free(cfg);
	free(cfg);
}

struct config *
config_ref(struct config *cfg)
{
	cfg->refcnt++;
	return cfg;
}

void
config_unref(struct config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->refcnt <= 0)
		fatalx("config_unref: reference count %d", cfg->refcnt);
	if (--cfg->refcnt == 0)
		config_free(cfg);
}

const struct relayer_conf *
config_relayer(const struct config *cfg, const char *name)
{
	int	i;

	for (i = 0; i < cfg->n_relayers; i++) {
		if (cfg->relayers[i].name != NULL &&
		    strcmp(cfg->relayers[i].name, name) == 0)
			return &cfg->relayers[i];
	}
	return NULL;
}

const struct listener_conf *
config_listener(const struct config *cfg, const char *name)
{
	int	i;

	for (i = 0; i < cfg->n_listeners; i++) {
		if (cfg->listeners[i].name != NULL &&
		    strcmp(cfg->listeners[i].name, name) == 0)
			return &cfg->listeners[i];
	}
	return NULL;
}

const char *
relay_type_to_text(enum relay_type t)
{
	if ((unsigned)t >= nitems(type_enum.names) - 1)
		return "unknown";
	return type_enum.names[t];
}

const char *
client_tls_to_text(enum client_tls t)
{
	if ((unsigned)t >= nitems(ctls_enum.names) - 1 ||
	    ctls_enum.names[t] == NULL)
		return "unknown";
	return ctls_enum.names[t];
}

const char *
batch_mode_to_text(enum batch_mode m)
{
	if ((unsigned)m >= nitems(batch_enum.names) - 1 ||
	    batch_enum.names[m] == NULL)
		return "unknown";
	return batch_enum.names[m];
}
