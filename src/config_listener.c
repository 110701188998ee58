/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_listener.c — the `listeners` section of the configuration: the
 * option table of a listener, its defaults, and the checks a table cannot
 * say (certificate and key that load, the users file, reserved names, two
 * listeners on one address and port).  Also the CIDR lists (relay_from,
 * proxy_from, metrics allow_from) and the certificate check the relayers
 * share.  Part of the config module, on config_opts.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cidr.h"
#include "config.h"
#include "config_opts.h"
#include "privread.h"
#include "util.h"

static const struct enum_def ltls_enum =
    { "tls mode", { "none", "starttls", "implicit", NULL } };
static const struct enum_def auth_enum =
    { "auth mode", { "none", "optional", "required", NULL } };
static const struct enum_def batch_enum = { "batch_handling mode",
    { "BifurcateAlways", "BatchByDomain", "BatchByRoute", NULL } };
static const struct enum_def bare_lf_enum =
    { "bare_lf mode", { "normalize", "reject", NULL } };
static const struct enum_def received_enum =
    { "received_header mode", { "full", "hide_client", "none", NULL } };

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
 * relay_from, proxy_from and metrics allow_from.
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

int
opt_cidrs(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	return cidr_list(ld, s, o->name,
	    (struct cidr **)(void *)((char *)obj + o->off),
	    (int *)(void *)((char *)obj + o->noff));
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
	{ .name = "relay_from", .kind = O_FUNC, .fn = opt_cidrs,
	  .off = L(relay_from), .noff = L(n_relay_from) },
	{ .name = "proxy_protocol", .kind = O_BOOL, .off = L(proxy_protocol) },
	{ .name = "proxy_from", .kind = O_FUNC, .fn = opt_cidrs,
	  .off = L(proxy_from), .noff = L(n_proxy_from) },
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
int
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

#ifndef WITH_PROXY
	/* Left out (configure.ac): refused, not ignored, since a listener
	 * behind a load balancer would take its address for the client's. */
	if (l->proxy_protocol)
		return fail_without(ld, config_setting_get_member(g,
		    "proxy_protocol"), "proxy_protocol", "the PROXY protocol",
		    "proxy");
#endif

	s = config_setting_get_member(g, "auth");
#ifndef WITH_AUTH_SERVER
	/* Left out (configure.ac): refused, not ignored, since a client
	 * told to authenticate would be refused or, with auth "optional",
	 * could no longer relay as it did. */
	if (l->auth != AUTH_NONE)
		return fail_without(ld, s, "auth", "AUTH for clients",
		    "auth-server");
#endif
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

/* Entry i of the listeners list: its name and its endpoint unique. */
static int
listener_entry(struct loader *ld, const config_setting_t *g, int i,
    void *arg)
{
	struct config	*cfg = arg;
	int		 j;

	if (parse_listener(ld, g, &cfg->listeners[i]) == -1)
		return -1;
	if (find_named(cfg->listeners, i, sizeof(*cfg->listeners), L(name),
	    cfg->listeners[i].name) != -1)
		return fail(ld, g, "listener \"%s\" is defined twice",
		    cfg->listeners[i].name);
	for (j = 0; j < i; j++) {
		if (same_endpoint(&cfg->listeners[j], &cfg->listeners[i]))
			return fail(ld, g, "listener \"%s\": address %s port %d "
			    "is already used by listener \"%s\"",
			    cfg->listeners[i].name, cfg->listeners[i].address,
			    cfg->listeners[i].port, cfg->listeners[j].name);
	}
	return 0;
}

static const struct group_list listener_list = { "listeners: entry %d: ",
    "", sizeof(struct listener_conf), offsetof(struct config, listeners),
    offsetof(struct config, n_listeners), 0, listener_entry };

int
opt_listeners(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *obj)
{
	struct config	*cfg = obj;

	if (s == NULL) {
		cfg->listeners = xcalloc(1, sizeof(*cfg->listeners));
		cfg->n_listeners = 1;
		return parse_listener(ld, NULL, &cfg->listeners[0]);
	}
	return parse_groups(ld, s, o->name, &listener_list, cfg);
}


/*
 * For config_load_local(): each listener's max_message_size by the same
 * table entry; s is the listeners setting (NULL: the default listener).
 */
static int
local_entry(struct loader *ld, const config_setting_t *g, int i, void *arg)
{
	static const char *const lis[] = { "max_message_size", NULL };
	struct config		*cfg = arg;

	return parse_named_opts(ld, g, listener_opts, nitems(listener_opts),
	    lis, &cfg->listeners[i]);
}

static const struct group_list local_list = { "listeners: entry %d: ",
    "", sizeof(struct listener_conf), offsetof(struct config, listeners),
    offsetof(struct config, n_listeners), 0, local_entry };

int
listeners_local(struct loader *ld, const config_setting_t *s,
    struct config *cfg)
{
	if (s == NULL) {
		/* The default listener. */
		cfg->listeners = xcalloc(1, sizeof(*cfg->listeners));
		cfg->n_listeners = 1;
		return local_entry(ld, NULL, 0, cfg);
	}
	return parse_groups(ld, s, "listeners", &local_list, cfg);
}

void
config_listeners_free(struct config *cfg)
{
	struct listener_conf	*l;
	int			 i;

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
}

const struct listener_conf *
config_listener(const struct config *cfg, const char *name)
{
	int	i;

	i = find_named(cfg->listeners, cfg->n_listeners,
	    sizeof(*cfg->listeners), L(name), name);
	return i != -1 ? &cfg->listeners[i] : NULL;
}

const char *
batch_mode_to_text(enum batch_mode m)
{
	return enum_text(&batch_enum, m);
}
