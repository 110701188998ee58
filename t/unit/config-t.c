/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config-t.c — config_load() and config_load_string(): every setting of
 * config.md read from a full file, the defaults of an empty one, and the
 * exact "file:line: message" of each kind of mistake.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "incoming.h"
#include "cidr.h"
#include "units.h"
#include "util.h"
#include "../tap.h"

static char	 dir[64];		/* scratch directory */
static char	*cwd;
static int	 have_certs;
static char	 err[1024];

static void
write_file(const char *name, const char *text)
{
	char	 path[PATH_MAX];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
}

/* Replace every "@D@" by the scratch directory. */
static char *
subst(const char *in)
{
	size_t	 len = strlen(in) + 1;
	char	*out, *o;
	const char *p;

	for (p = in; (p = strstr(p, "@D@")) != NULL; p += 3)
		len += strlen(dir);
	out = o = xmalloc(len);
	while (*in != '\0') {
		if (strncmp(in, "@D@", 3) == 0) {
			o += sprintf(o, "%s", dir);
			in += 3;
		} else
			*o++ = *in++;
	}
	*o = '\0';
	return out;
}

static struct config *
load(const char *text)
{
	char		*t = subst(text);
	struct config	*cfg;

	err[0] = '\0';
	cfg = config_load_string(t, "t.conf", err, sizeof(err));
	free(t);
	return cfg;
}

/* The file must be refused with exactly this message. */
static void
bad(const char *text, const char *want, const char *name)
{
	struct config	*cfg;
	char		*w = subst(want);
	char		 label[256];

	cfg = load(text);
	snprintf(label, sizeof(label), "%s: refused", name);
	ok(cfg == NULL, label);
	snprintf(label, sizeof(label), "%s: message", name);
	is_str(err, w, label);
	config_unref(cfg);
	free(w);
}

/* As bad(), for errors that quote a reason from units.c or cidr.c. */
static void
bad_reason(const char *text, const char *want_fmt, const char *reason,
    const char *name)
{
	char	want[512];

	snprintf(want, sizeof(want), want_fmt, reason);
	bad(text, want, name);
}

static const char *
dur_reason(const char *s)
{
	static char	 why[UNITS_ERRLEN];
	long		 v;

	if (duration_parse(s, &v, why) == 0)
		return "(accepted)";
	return why;
}

static const char *
size_reason(const char *s)
{
	static char	 why[UNITS_ERRLEN];
	uint64_t	 v;

	if (size_parse(s, &v, why) == 0)
		return "(accepted)";
	return why;
}

static const char *
cidr_reason(const char *s)
{
	const char	*why = "(accepted)";
	struct cidr	 c;

	cidr_parse(s, &c, &why);
	return why;
}

static void
skip(const char *why)
{
	char	label[256];

	snprintf(label, sizeof(label), "# skip %s", why);
	tap_result(1, label);
}

static void
setup(void)
{
	char	cmd[1024];

	strlcpy_(dir, "/tmp/config-t.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL) {
		printf("# mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	if ((cwd = getcwd(NULL, 0)) == NULL)
		exit(1);
	write_file("isp.pass", "s3cret\n");
	write_file("crlf.pass", "pa ss\r\n");
	write_file("empty.pass", "\n");
	write_file("users", "alice:$6$salt$hash\n");
	write_file("garbage.pem", "this is not PEM\n");
	write_file("inc.conf", "hostname = \"inc.test\";\n");
	write_file("badinc.conf", "queue = {\n  max_age = \"5 days\";\n};\n");
	snprintf(cmd, sizeof(cmd), "cd %s && openssl req -x509 -newkey rsa:2048 "
	    "-nodes -subj /CN=localhost -days 2 -keyout key.pem -out cert.pem "
	    ">/dev/null 2>&1 && openssl req -x509 -newkey rsa:2048 -nodes "
	    "-subj /CN=other -days 2 -keyout key2.pem -out cert2.pem "
	    ">/dev/null 2>&1", dir);
	have_certs = system(cmd) == 0;
	if (!have_certs)
		printf("# openssl not usable: certificate cases skipped\n");
}

static void
teardown(void)
{
	char	cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cwd);
}

/*
 * The defaults of config.md, from an empty file.
 */
static void
test_defaults(void)
{
	struct config			*cfg;
	const struct listener_conf	*l;
	const struct relayer_conf	*r;
	char				 host[256], want[512];

	cfg = load("");
	ok(cfg != NULL, "empty file loads");
	if (cfg == NULL) {
		printf("# %s\n", err);
		return;
	}
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	is_int(cfg->refcnt, 1, "one reference");
	is_str(cfg->path, "t.conf", "path is the name given");
	is_str(cfg->hostname, host, "hostname from gethostname()");
	ok(cfg->user == NULL, "no user");
	is_str(cfg->spool, "/var/spool/smarthostd", "spool default");
	is_str(cfg->control, "/var/spool/smarthostd/control.sock",
	    "control default");
	ok(cfg->pid_file == NULL, "no pid_file");
	ok(!cfg->log_stderr, "log to syslog");
	is_int(cfg->log_level, LOG_LEVEL_INFO, "log level info");
	ok(cfg->nameservers == NULL && cfg->n_nameservers == 0,
	    "nameservers from resolv.conf");
	is_int(cfg->resolver_port, 53, "resolver port 53");
	is_int(cfg->resolver_timeout, 5, "resolver timeout 5s");
	is_int(cfg->resolver_attempts, 2, "resolver attempts 2");
	is_int(cfg->retry_interval, 60, "retry_interval 1m");
	is_int(cfg->max_retry_interval, 3600, "max_retry_interval 1h");
	is_int(cfg->max_age, 5 * 86400, "max_age 5d");
	ok(cfg->bounces, "bounces on");

	is_int(cfg->n_listeners, 1, "one default listener");
	l = config_listener(cfg, "default");
	ok(l != NULL, "named \"default\"");
	if (l != NULL) {
		is_str(l->address, "127.0.0.1", "listener address");
		is_int(l->port, 25, "listener port");
		is_int(l->tls, LTLS_NONE, "listener tls none");
		ok(l->cert == NULL && l->key == NULL, "no cert/key");
		ok(!l->require_tls, "require_tls off");
		is_int(l->n_relay_from, 2, "relay_from two entries");
		if (l->n_relay_from == 2) {
			is_int(l->relay_from[0].family, AF_INET, "127/8 v4");
			is_int(l->relay_from[0].prefix, 8, "127/8 prefix");
			is_int(l->relay_from[0].addr[0], 127, "127/8 addr");
			is_int(l->relay_from[1].family, AF_INET6, "::1 v6");
			is_int(l->relay_from[1].prefix, 128, "::1 prefix");
			is_int(l->relay_from[1].addr[15], 1, "::1 addr");
		}
		is_int(l->auth, AUTH_NONE, "auth none");
		ok(l->users == NULL, "no users");
		is_int(l->batch, BATCH_BY_DOMAIN, "BatchByDomain");
		ok(l->max_message_size == 25 * 1024 * 1024, "25M");
		is_int(l->max_recipients, 100, "max_recipients");
		is_int(l->max_connections, 100, "max_connections");
		is_int(l->timeout, 300, "timeout 5m");
		is_int(l->max_connections_per_ip, 10,
		    "max_connections_per_ip 10 (issue #16)");
		is_int(l->min_data_rate, 500, "min_data_rate 500 octets/s");
		ok(!l->proxy_protocol, "no PROXY header expected");
		is_int(l->n_proxy_from, 2, "proxy_from: loopback v4 and v6");
		snprintf(want, sizeof(want), "%s ESMTP smarthostd", host);
		is_str(l->banner, want, "banner with hostname");
		is_int(l->bare_lf, BARE_LF_NORMALIZE, "bare_lf normalize");
		ok(!l->add_message_id && !l->add_date, "no header additions");
	}

	is_int(cfg->n_relayers, 1, "only the implicit relayer");
	r = config_relayer(cfg, "mx");
	ok(r != NULL, "relayer mx exists");
	if (r != NULL) {
		is_int(r->type, RELAY_MX, "of type mx");
		is_int(r->tls, CTLS_OPPORTUNISTIC, "tls opportunistic");
		ok(!r->implicit_tls, "no implicit tls");
		ok(r->ca_file == NULL && r->ca_path == NULL, "system store");
		ok(r->auth_username == NULL, "no auth");
		is_str(r->ehlo_as, host, "ehlo_as hostname");
		is_int(r->pool_size, 4, "pool_size 4");
		is_int(r->idle_timeout, 30, "idle_timeout 30s");
		is_int(r->max_deliveries_per_connection, 100, "max deliveries");
		is_int(r->connect_timeout, 30, "connect 30s");
		is_int(r->command_timeout, 300, "command 5m");
		is_int(r->data_timeout, 600, "data 10m");
		is_int(r->port, 25, "port 25");
	}
	ok(cfg->default_relayer == NULL, "default_relayer unset");
	is_int(cfg->n_rules, 0, "no rules");
	is_int(cfg->n_domains, 0, "no domains");
	ok(config_relayer(cfg, "nope") == NULL, "config_relayer miss");
	ok(config_listener(cfg, "nope") == NULL, "config_listener miss");

	ok(config_ref(cfg) == cfg, "config_ref returns the object");
	is_int(cfg->refcnt, 2, "two references");
	config_unref(cfg);
	is_int(cfg->refcnt, 1, "back to one");
	config_unref(cfg);
	config_unref(NULL);
}

/*
 * Every setting, with values other than the defaults.
 */
static const char full_text[] =
"# every setting\n"						/* 1 */
"hostname = \"relay.example.net\";\n"
"user = \"nobody\";\n"
"spool = \"spool\";\n"
"control = \"/run/sh.sock\";\n"					/* 5 */
"pid_file = \"run/sh.pid\";\n"
"log = { to = \"stderr\"; level = \"debug\"; };\n"
"resolver = { nameservers = [ \"127.0.0.1\", \"::1\" ]; port = 5353;\n"
"  timeout = \"2s\"; attempts = 3; };\n"
"queue = { retry_interval = 30; max_retry_interval = \"2h\";\n" /* 10 */
"  max_age = \"1d\"; bounces = false; };\n"
"listeners = (\n"
"  { name = \"lan\"; address = \"0.0.0.0\"; port = 2525;\n"
"    relay_from = [ \"192.168.1.0/24\", \"2001:db8::/32\", \"10.0.0.1\" ];\n"
"    batch_handling = \"BatchByRoute\"; max_message_size = \"512K\";\n" /* 15 */
"    max_recipients = 10; max_connections = 7; timeout = \"90s\";\n"
"    banner = \"mail.example ESMTP ready\"; bare_lf = \"reject\";\n"
"    add_message_id = true; add_date = true; },\n"
"  { name = \"sub\"; address = \"::1\"; port = 587;\n"
"    tls = \"starttls\"; cert = \"@D@/cert.pem\"; key = \"@D@/key.pem\";\n" /* 20 */
"    require_tls = true; auth = \"required\"; users = \"@D@/users\";\n"
"    relay_from = [ ]; max_message_size = 1048576; },\n"
"  { name = \"smtps\"; port = 465; tls = \"implicit\";\n"
"    cert = \"@D@/cert.pem\"; key = \"@D@/key.pem\"; auth = \"optional\";\n"
"    users = \"@D@/users\"; batch_handling = \"BifurcateAlways\"; }\n" /* 25 */
");\n"
"relayers = (\n"
"  { name = \"isp\"; type = \"smtp\"; host = [ \"smtp.isp.example\", \"192.0.2.1\" ];\n"
"    port = 587; tls = \"verify\"; ca_file = \"@D@/cert.pem\"; ca_path = \"@D@\";\n"
"    auth = { username = \"me@isp.example\"; password_file = \"@D@/isp.pass\"; };\n" /* 30 */
"    ehlo_as = \"client.example\"; pool_size = 2; idle_timeout = \"1m\";\n"
"    max_deliveries_per_connection = 50; connect_timeout = \"10s\";\n"
"    command_timeout = \"2m\"; data_timeout = \"20m\"; },\n"
"  { name = \"one\"; type = \"smtp\"; host = \"2001:db8::25\"; implicit_tls = true;\n"
"    port = 465; auth = { username = \"u\"; password = \"inline\"; }; },\n" /* 35 */
"  { name = \"crlf\"; type = \"smtp\"; host = \"h.example\"; tls = \"required\";\n"
"    auth = { username = \"u\"; password_file = \"@D@/crlf.pass\"; }; },\n"
"  { name = \"local\"; type = \"maildrop\";\n"
"    command = [ \"/usr/bin/maildrop\", \"-f\", \"%{sender}\", \"%{recipient}\" ];\n"
"    timeout = \"2m\"; },\n"					/* 40 */
"  { name = \"box\"; type = \"maildir\"; path = \"mail/%{domain}/%{local}\"; }\n"
");\n"
"routing = {\n"
"  default_relayer = \"isp\";\n"
"  rules = (\n"							/* 45 */
"    { recipient_domain = [ \"*.Corp.Example\", \"corp.example\" ];\n"
"      routing_domain = \"GW.corp.example\"; },\n"
"    { sender_domain = \"alerts.example\"; relayer = \"mx\"; },\n"
"    { listener = [ \"lan\", \"sendmail\" ]; recipient_domain = \"lan.example\";\n"
"      relayer = \"box\"; }\n"					/* 50 */
"  );\n"
"  domains = (\n"
"    { domain = \"Example.COM\"; mx_list = ( \"mx1.internal\",\n"
"      { name = \"mx2.internal\"; addr = \"10.0.0.2\"; port = 2525; },\n"
"      \"[10.0.0.3]\", \"[IPv6:2001:db8::1]\", { name = \"mx5.internal\"; } ); },\n" /* 55 */
"    { domain = \"example.org\"; force_mx = \"smarthost.example.org\";\n"
"      tls = \"required\"; },\n"
"    { domain = \"*.lan.example\"; accept = true; relayer = \"box\"; },\n"
"    { domain = \"lit.example\"; force_mx = \"[192.0.2.7]\"; relayer = \"mx\"; }\n"
"  );\n"								/* 60 */
"};\n";

/*
 * A build without an optional feature (configure.ac) refuses the full file
 * at the first setting that needs it; the rest of the file is checked with
 * each such setting replaced, on the same lines, so every line number
 * stays.  In file order; refusal is the message for the first.
 */
struct full_edit {
	const char	*from, *to, *refusal;
};
static const struct full_edit full_edits[] = {
#ifndef WITH_AUTH_SERVER
	{ " auth = \"required\"; users = \"@D@/users\";", "",
	  "t.conf:21: listener \"sub\": auth: smarthostd was built without "
	  "AUTH for clients (./configure --enable-auth-server)" },
	{ " auth = \"optional\";\n", "\n", NULL },
	{ "    users = \"@D@/users\"; batch_handling", "    batch_handling",
	  NULL },
#endif
#ifndef WITH_MAILDROP
	/* A maildir relayer of the same name in its place. */
	{ "  { name = \"local\"; type = \"maildrop\";\n"
	  "    command = [ \"/usr/bin/maildrop\", \"-f\", \"%{sender}\", "
	  "\"%{recipient}\" ];\n"
	  "    timeout = \"2m\"; },\n",
	  "  { name = \"local\"; type = \"maildir\";\n"
	  "    path = \"/var/mail/%{local}\";\n"
	  "    },\n",
	  "t.conf:38: relayer \"local\": type: smarthostd was built without "
	  "the maildrop relayer (./configure --enable-maildrop)" },
#endif
	{ NULL, NULL, NULL }
};

/* The full file with every edit made; NULL if one does not apply. */
static char *
full_text_edited(void)
{
	const struct full_edit	*e;
	char			*t = xstrdup(full_text), *out;
	const char		*p;

	for (e = full_edits; e->from != NULL; e++) {
		if ((p = strstr(t, e->from)) == NULL) {
			free(t);
			return NULL;
		}
		out = xmalloc(strlen(t) + strlen(e->to) + 1);
		memcpy(out, t, (size_t)(p - t));
		strcpy(out + (p - t), e->to);
		strcat(out, p + strlen(e->from));
		free(t);
		t = out;
	}
	return t;
}

static void
test_full(void)
{
	struct config			*cfg;
	const struct listener_conf	*l;
	const struct relayer_conf	*r;
	const struct rule_conf		*u;
	const struct domain_conf	*d;
	char				 want[PATH_MAX];
	int				 i, found;
	char				*text;
	int				 refused;

	if (!have_certs) {
		skip("full file needs openssl certificates");
		return;
	}
	if (full_edits[0].from == NULL)
		cfg = load(full_text);
	else {
		cfg = load(full_text);
		refused = cfg == NULL && strstr(err, full_edits[0].refusal) !=
		    NULL;
		ok(refused, "a feature left out: the full file is refused "
		    "where it is first used");
		if (!refused)
			printf("#   %s\n", err);
		config_unref(cfg);
		text = full_text_edited();
		ok(text != NULL, "a feature left out: its settings replaced");
		cfg = text != NULL ? load(text) : NULL;
		free(text);
	}
	ok(cfg != NULL, "full file loads");
	if (cfg == NULL) {
		printf("# %s\n", err);
		return;
	}
	is_str(cfg->hostname, "relay.example.net", "hostname");
	is_str(cfg->user, "nobody", "user");
	snprintf(want, sizeof(want), "%s/spool", cwd);
	is_str(cfg->spool, want, "relative spool is under the cwd");
	is_str(cfg->control, "/run/sh.sock", "control");
	snprintf(want, sizeof(want), "%s/run/sh.pid", cwd);
	is_str(cfg->pid_file, want, "pid_file absolute");
	ok(cfg->log_stderr, "log to stderr");
	is_int(cfg->log_level, LOG_LEVEL_DEBUG, "log level debug");
	is_int(cfg->n_nameservers, 2, "two nameservers");
	is_str(cfg->nameservers[0], "127.0.0.1", "nameserver 1");
	is_str(cfg->nameservers[1], "::1", "nameserver 2");
	ok(cfg->nameservers[2] == NULL, "nameservers NULL-terminated");
	is_int(cfg->resolver_port, 5353, "resolver port");
	is_int(cfg->resolver_timeout, 2, "resolver timeout");
	is_int(cfg->resolver_attempts, 3, "resolver attempts");
	is_int(cfg->retry_interval, 30, "retry_interval as integer");
	is_int(cfg->max_retry_interval, 7200, "max_retry_interval");
	is_int(cfg->max_age, 86400, "max_age");
	ok(!cfg->bounces, "bounces off");

	is_int(cfg->n_listeners, 3, "three listeners");
	l = config_listener(cfg, "lan");
	ok(l != NULL, "listener lan");
	is_int(l->line, 13, "lan declared on line 13");
	is_str(l->address, "0.0.0.0", "lan address");
	is_int(l->port, 2525, "lan port");
	is_int(l->n_relay_from, 3, "lan relay_from");
	is_int(l->relay_from[1].family, AF_INET6, "lan relay_from v6");
	is_int(l->relay_from[1].prefix, 32, "lan relay_from /32");
	is_int(l->relay_from[2].prefix, 32, "bare address: full prefix");
	is_int(l->batch, BATCH_BY_ROUTE, "BatchByRoute");
	ok(l->max_message_size == 512 * 1024, "512K");
	is_int(l->max_recipients, 10, "max_recipients");
	is_int(l->max_connections, 7, "max_connections");
	is_int(l->timeout, 90, "timeout 90s");
	is_str(l->banner, "mail.example ESMTP ready", "banner as given");
	is_int(l->bare_lf, BARE_LF_REJECT, "bare_lf reject");
	ok(l->add_message_id && l->add_date, "header additions");
	l = config_listener(cfg, "sub");
	ok(l != NULL, "listener sub");
	is_str(l->address, "::1", "sub address");
	is_int(l->tls, LTLS_STARTTLS, "starttls");
	snprintf(want, sizeof(want), "%s/cert.pem", dir);
	is_str(l->cert, want, "cert");
	snprintf(want, sizeof(want), "%s/key.pem", dir);
	is_str(l->key, want, "key");
	ok(l->require_tls, "require_tls");
#ifdef WITH_AUTH_SERVER
	is_int(l->auth, AUTH_REQUIRED, "auth required");
	snprintf(want, sizeof(want), "%s/users", dir);
	is_str(l->users, want, "users");
#else
	skip("listener auth and users: smarthostd was built without AUTH "
	    "for clients (./configure --enable-auth-server)");
#endif
	is_int(l->n_relay_from, 0, "relay_from [ ] is none");
	ok(l->max_message_size == 1048576, "size as integer");
	l = config_listener(cfg, "smtps");
	is_int(l->tls, LTLS_IMPLICIT, "implicit");
#ifdef WITH_AUTH_SERVER
	is_int(l->auth, AUTH_OPTIONAL, "auth optional");
#endif
	is_int(l->batch, BATCH_BIFURCATE_ALWAYS, "BifurcateAlways");
	is_str(l->address, "127.0.0.1", "address default");

	is_int(cfg->n_relayers, 6, "five relayers and the implicit mx");
	r = config_relayer(cfg, "isp");
	is_int(r->type, RELAY_SMTP, "isp smtp");
	is_int(r->line, 28, "isp on line 28");
	is_int(r->n_hosts, 2, "two hosts");
	is_str(r->hosts[0], "smtp.isp.example", "host 1");
	is_str(r->hosts[1], "192.0.2.1", "host 2");
	ok(r->hosts[2] == NULL, "hosts NULL-terminated");
	is_int(r->port, 587, "isp port");
	is_int(r->tls, CTLS_VERIFY, "verify");
	snprintf(want, sizeof(want), "%s/cert.pem", dir);
	is_str(r->ca_file, want, "ca_file");
	is_str(r->ca_path, dir, "ca_path");
	is_str(r->auth_username, "me@isp.example", "username");
	is_str(r->auth_password, "s3cret", "password_file read, newline gone");
	is_str(r->ehlo_as, "client.example", "ehlo_as");
	is_int(r->pool_size, 2, "pool_size");
	is_int(r->idle_timeout, 60, "idle_timeout");
	is_int(r->max_deliveries_per_connection, 50, "max deliveries");
	is_int(r->connect_timeout, 10, "connect_timeout");
	is_int(r->command_timeout, 120, "command_timeout");
	is_int(r->data_timeout, 1200, "data_timeout");
	ok(r->command == NULL && r->path == NULL, "no maildrop/maildir");
	r = config_relayer(cfg, "one");
	is_int(r->n_hosts, 1, "a single host string");
	is_str(r->hosts[0], "2001:db8::25", "IPv6 host");
	ok(r->implicit_tls, "implicit_tls");
	is_int(r->tls, CTLS_VERIFY, "implicit_tls with auth: verify");
	is_str(r->auth_password, "inline", "inline password");
	is_str(r->ehlo_as, "relay.example.net", "ehlo_as is hostname");
	r = config_relayer(cfg, "crlf");
	is_int(r->tls, CTLS_REQUIRED, "tls required");
	is_str(r->auth_password, "pa ss", "CRLF stripped, space kept");
	for (i = 0, found = 0; i < cfg->n_warnings; i++)
		if (strstr(cfg->warnings[i], ":36: relayer \"crlf\": auth with "
		    "tls = \"required\": the password goes to any server") !=
		    NULL)
			found++;
	is_int(found, 1, "auth with required: warning with file:line");
	r = config_relayer(cfg, "local");
#ifdef WITH_MAILDROP
	is_int(r->type, RELAY_MAILDROP, "maildrop");
	is_int(r->n_command, 4, "command argv");
	is_str(r->command[0], "/usr/bin/maildrop", "argv[0]");
	is_str(r->command[2], "%{sender}", "template kept");
	ok(r->command[4] == NULL, "command NULL-terminated");
	is_int(r->timeout, 120, "maildrop timeout");
#else
	skip("maildrop relayer settings: smarthostd was built without the "
	    "maildrop relayer (./configure --enable-maildrop)");
	is_int(r->type, RELAY_MAILDIR, "maildrop left out: maildir in its place");
#endif
	ok(r->ehlo_as == NULL && r->hosts == NULL, "no smtp fields");
	r = config_relayer(cfg, "box");
	is_int(r->type, RELAY_MAILDIR, "maildir");
	snprintf(want, sizeof(want), "%s/mail/%%{domain}/%%{local}", cwd);
	is_str(r->path, want, "maildir path absolute");
	r = config_relayer(cfg, "mx");
	ok(r != NULL && r->type == RELAY_MX, "implicit mx added");
	is_int(r->line, 0, "implicit mx has no line");

	is_str(cfg->default_relayer, "isp", "default_relayer");
	is_int(cfg->n_rules, 3, "three rules");
	u = &cfg->rules[0];
	is_int(u->n_recipient_domain, 2, "rule 1 patterns");
	is_str(u->recipient_domain[0], "*.corp.example", "lower-cased");
	is_str(u->routing_domain, "gw.corp.example", "routing_domain lower");
	ok(u->relayer == NULL, "rule 1 no relayer");
	is_int(u->line, 46, "rule 1 line");
	u = &cfg->rules[1];
	is_int(u->n_sender_domain, 1, "sender_domain as string");
	is_str(u->sender_domain[0], "alerts.example", "sender pattern");
	is_str(u->relayer, "mx", "rule 2 relayer");
	ok(u->routing_domain == NULL, "rule 2 no routing_domain");
	u = &cfg->rules[2];
	is_int(u->n_listener, 2, "listener array");
	is_str(u->listener[1], "sendmail", "\"sendmail\" is always a listener");

	is_int(cfg->n_domains, 4, "four domains");
	d = &cfg->domains[0];
	is_str(d->domain, "example.com", "domain lower-cased");
	is_int(d->n_mx, 5, "mx_list entries");
	is_str(d->mx_list[0].name, "mx1.internal", "mx 1 name");
	ok(d->mx_list[0].addr == NULL && d->mx_list[0].port == 0, "mx 1 plain");
	is_str(d->mx_list[1].name, "mx2.internal", "mx 2 name");
	is_str(d->mx_list[1].addr, "10.0.0.2", "mx 2 addr");
	is_int(d->mx_list[1].port, 2525, "mx 2 port");
	ok(d->mx_list[2].name == NULL, "literal has no name");
	is_str(d->mx_list[2].addr, "10.0.0.3", "v4 literal");
	is_str(d->mx_list[3].addr, "2001:db8::1", "v6 literal");
	ok(d->mx_list[4].addr == NULL && d->mx_list[4].port == 0,
	    "group with name only");
	ok(!d->has_tls && !d->accept && d->relayer == NULL, "no overrides");
	d = &cfg->domains[1];
	is_int(d->n_mx, 1, "force_mx is one entry");
	is_str(d->mx_list[0].name, "smarthost.example.org", "force_mx host");
	ok(d->has_tls && d->tls == CTLS_REQUIRED, "tls override");
	d = &cfg->domains[2];
	is_str(d->domain, "*.lan.example", "wildcard domain");
	ok(d->accept, "accept");
	is_str(d->relayer, "box", "domain relayer");
	is_int(d->n_mx, 0, "no mx_list");
	d = &cfg->domains[3];
	is_str(d->mx_list[0].addr, "192.0.2.7", "force_mx literal");
	is_int(d->line, 59, "domain line");

	is_str(relay_type_to_text(RELAY_MAILDROP), "maildrop", "type text");
	is_str(relay_type_to_text(RELAY_SMTP), "smtp", "type text smtp");
	is_str(client_tls_to_text(CTLS_VERIFY), "verify", "tls text");
	is_str(client_tls_to_text(CTLS_NONE), "none", "tls text none");
	is_str(batch_mode_to_text(BATCH_BY_ROUTE), "BatchByRoute", "batch text");
	is_str(batch_mode_to_text(BATCH_BIFURCATE_ALWAYS), "BifurcateAlways",
	    "batch text 2");
	config_unref(cfg);
}

/* A file named "mx" of another type replaces the implicit one. */
static void
test_own_mx(void)
{
	struct config	*cfg;

	cfg = load("relayers = ( { name = \"mx\"; type = \"smtp\";"
	    " host = \"h.example\"; } );\n");
	ok(cfg != NULL, "own mx relayer loads");
	if (cfg == NULL)
		return;
	is_int(cfg->n_relayers, 1, "no second mx");
	is_int(config_relayer(cfg, "mx")->type, RELAY_SMTP, "mx is smtp");
	config_unref(cfg);

	cfg = load("control = \"\";\nspool = \"./q/../q2/\";\n"
	    "listeners = ( );\n");
	ok(cfg != NULL, "control \"\" loads");
	if (cfg == NULL)
		return;
	ok(cfg->control == NULL, "control \"\" disables");
	is_int(cfg->n_listeners, 0, "listeners ( ) means none");
	config_unref(cfg);
}

/* config_load(): paths relative to the file, @include, file errors. */
static void
test_files(void)
{
	struct config	*cfg;
	char		 path[PATH_MAX], want[PATH_MAX + 64];

	write_file("a.conf", "@include \"inc.conf\"\nspool = \"../x/spool\";\n"
	    "relayers = ( { name = \"b\"; type = \"maildir\";"
	    " path = \"./Maildir\"; } );\n");
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	cfg = config_load(path, err, sizeof(err));
	ok(cfg != NULL, "config_load with @include");
	if (cfg != NULL) {
		is_str(cfg->hostname, "inc.test", "included setting");
		is_str(cfg->path, path, "path kept");
		is_str(cfg->spool, "/tmp/x/spool", "../ folded against the "
		    "file's directory");
		snprintf(want, sizeof(want), "%s/Maildir", dir);
		is_str(config_relayer(cfg, "b")->path, want,
		    "maildir path relative to the file");
		config_unref(cfg);
	} else
		printf("# %s\n", err);

	write_file("b.conf", "hostname = \"b.test\";\n@include \"badinc.conf\"\n");
	snprintf(path, sizeof(path), "%s/b.conf", dir);
	cfg = config_load(path, err, sizeof(err));
	ok(cfg == NULL, "error in an included file");
	snprintf(want, sizeof(want), "%s/badinc.conf:2: queue: max_age: "
	    "invalid duration \"5 days\": %s", dir, dur_reason("5 days"));
	is_str(err, want, "names the included file and its line");

	write_file("c.conf", "hostname = \"c.test\";\n@include \"nope.conf\"\n");
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	cfg = config_load(path, err, sizeof(err));
	ok(cfg == NULL, "missing include");
	snprintf(want, sizeof(want), "%s:2: @include \"nope.conf\": No such "
	    "file or directory", path);
	is_str(err, want, "missing include names the including file:line");

	snprintf(path, sizeof(path), "%s/none.conf", dir);
	cfg = config_load(path, err, sizeof(err));
	ok(cfg == NULL, "missing file");
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	is_str(err, want, "missing file named");

	/* Errors in the main file name it as given. */
	write_file("d.conf", "hostname = \"d.test\";\nbogus = 1;\n");
	snprintf(path, sizeof(path), "%s/d.conf", dir);
	cfg = config_load(path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:2: unknown setting \"bogus\"", path);
	is_str(err, want, "config_load error names the path as given");
}

/*
 * The shipped example, as it is and with its commented-out examples
 * switched on (so the comments are known to be valid).
 */
static int
uncommentable(const char *line)
{
	const char	*p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '#')
		return 0;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, ", {", 3) == 0 || strchr("{})\"", *p) != NULL)
		return 1;
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	return p != line && strncmp(p, " = ", 3) == 0;
}

static void
test_example(void)
{
	const char	*srcdir = getenv("SRCDIR");
	char		 path[PATH_MAX], line[1024], out[PATH_MAX];
	struct config	*cfg;
	FILE		*in, *o;
	char		*hash;
	int		 n = 0;

	if (srcdir == NULL)
		srcdir = "..";
	snprintf(path, sizeof(path), "%s/etc/smarthostd.conf", srcdir);
	if (access(path, R_OK) == -1) {
		snprintf(path, sizeof(path), "%s/etc/smarthostd.conf", ".");
		if (access(path, R_OK) == -1) {
			skip("etc/smarthostd.conf not found (set SRCDIR)");
			return;
		}
	}
	cfg = config_load(path, err, sizeof(err));
	ok(cfg != NULL, "the shipped example loads");
	if (cfg == NULL) {
		printf("# %s\n", err);
		return;
	}
	ok(config_listener(cfg, "loopback") != NULL &&
	    config_listener(cfg, "loopback")->port == 2525, "example listener");
	is_str(cfg->default_relayer, "box", "example default relayer");
	ok(cfg->log_stderr, "example logs to stderr");
	ok(strstr(cfg->spool, "/var/spool") != NULL && strstr(cfg->spool,
	    "..") == NULL, "example spool under the tree");
	config_unref(cfg);

	if ((in = fopen(path, "r")) == NULL)
		return;
	snprintf(out, sizeof(out), "%s/example.conf", dir);
	if ((o = fopen(out, "w")) == NULL) {
		fclose(in);
		return;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		if (uncommentable(line)) {
			hash = strchr(line, '#');
			memmove(hash, hash + 1, strlen(hash));
			if (*hash == ' ' || *hash == '\t')
				memmove(hash, hash + 1, strlen(hash));
			n++;
		}
		fputs(line, o);
	}
	fclose(in);
	fclose(o);
	ok(n > 20, "example has commented-out settings");
	cfg = config_load(out, err, sizeof(err));
	ok(cfg != NULL, "the example with every comment switched on loads");
	if (cfg == NULL) {
		printf("# %s\n", err);
		return;
	}
	ok(config_relayer(cfg, "isp") != NULL, "example isp relayer");
	is_str(config_relayer(cfg, "isp")->auth_password, "s3cret",
	    "example password_file next to the file");
	is_int(cfg->n_rules, 3, "example rules");
	is_int(cfg->n_domains, 3, "example domains");
	config_unref(cfg);
}

/*
 * Mistakes: each with its exact message.
 */
struct bad_case {
	const char	*name, *text, *want;
};

static const struct bad_case bad_cases[] = {
	/* syntax and top level */
	{ "syntax error", "hostname = \"a.test\";\nspool = ;\n",
	  "t.conf:2: syntax error" },
	{ "unbalanced group", "routing = {\n  default_relayer = \"mx\";\n",
	  "t.conf:3: syntax error" },
	{ "duplicate setting", "spool = \"/x\";\nspool = \"/y\";\n",
	  "t.conf:2: duplicate setting name" },
	{ "unknown top-level", "hostname = \"a.test\";\nhostnmae = \"b\";\n",
	  "t.conf:2: unknown setting \"hostnmae\"" },
	{ "empty hostname", "\nhostname = \"\";\n",
	  "t.conf:2: hostname: must not be empty" },
	{ "bad hostname", "hostname = \"a b\";\n",
	  "t.conf:1: hostname: \"a b\" is not a host name" },
	{ "spool not a string", "spool = 5;\n",
	  "t.conf:1: spool: expected a string" },
	{ "control not a string", "control = false;\n",
	  "t.conf:1: control: expected a string" },
	{ "control chars quoted safely", "hostname = \"a\\nb\";\n",
	  "t.conf:1: hostname: \"a?b\" is not a host name" },
	/* log */
	{ "log not a group", "log = \"stderr\";\n",
	  "t.conf:1: log: expected a group { }" },
	{ "log unknown", "log = {\n  lvl = \"info\";\n};\n",
	  "t.conf:2: log: unknown setting \"lvl\"" },
	{ "log level", "log = { level = \"verbose\"; };\n",
	  "t.conf:1: log: unknown log level \"verbose\" (expected error, warn, "
	  "info, debug)" },
	{ "log to", "log = { to = \"file\"; };\n",
	  "t.conf:1: log: unknown log destination \"file\" (expected syslog, "
	  "stderr)" },
	/* resolver and queue */
	{ "resolver unknown", "resolver = {\n  port = 53;\n  retries = 2;\n};\n",
	  "t.conf:3: resolver: unknown setting \"retries\"" },
	{ "resolver nameserver", "resolver = {\n  nameservers = [ \"127.0.0.1\","
	  " \"dns.example\" ];\n};\n",
	  "t.conf:2: resolver: nameservers: \"dns.example\" is not an IP "
	  "address" },
	{ "resolver port", "resolver = { port = 0; };\n",
	  "t.conf:1: resolver: port: 0 is out of range (1..65535)" },
	{ "resolver attempts type", "resolver = { attempts = \"2\"; };\n",
	  "t.conf:1: resolver: attempts: expected an integer" },
	{ "queue unknown", "queue = { max_ages = \"5d\"; };\n",
	  "t.conf:1: queue: unknown setting \"max_ages\"" },
	{ "zero duration", "queue = {\n  max_age = 0;\n};\n",
	  "t.conf:2: queue: max_age: must be positive" },
	{ "float duration", "queue = { max_age = 1.5; };\n",
	  "t.conf:1: queue: max_age: expected a duration (seconds, or a string "
	  "such as \"5m\")" },
	{ "bool type", "queue = { bounces = \"yes\"; };\n",
	  "t.conf:1: queue: bounces: expected true or false" },
	/* listeners */
	{ "listeners not a list", "listeners = { name = \"x\"; };\n",
	  "t.conf:1: listeners: expected a list ( ) of groups { }" },
	{ "listener not a group", "listeners = ( \"x\" );\n",
	  "t.conf:1: listeners: entry 1: expected a group { }" },
	{ "listener unknown", "listeners = (\n  { name = \"x\"; port = 2525;\n"
	  "    relay_frm = [ ]; }\n);\n",
	  "t.conf:3: listener \"x\": unknown setting \"relay_frm\"" },
	{ "listener without name", "listeners = (\n  { port = 2525; }\n);\n",
	  "t.conf:2: listeners: entry 1: name is required" },
	{ "listener bad name", "listeners = ( { name = \"a b\"; } );\n",
	  "t.conf:1: listeners: entry 1: name \"a b\": only letters, digits, "
	  "\".\", \"-\" and \"_\" are allowed (at most 64)" },
	{ "listener duplicate", "listeners = (\n  { name = \"x\"; port = 2525; },"
	  "\n  { name = \"x\"; port = 2526; }\n);\n",
	  "t.conf:3: listener \"x\" is defined twice" },
	{ "listener same endpoint", "listeners = (\n  { name = \"a\"; address ="
	  " \"::\"; },\n  { name = \"b\"; address = \"0::0\"; }\n);\n",
	  "t.conf:3: listener \"b\": address 0::0 port 25 is already used by "
	  "listener \"a\"" },
	{ "listener address", "listeners = ( { name = \"x\";\n  address = "
	  "\"localhost\"; } );\n",
	  "t.conf:2: listener \"x\": address: \"localhost\" is not an IPv4 or "
	  "IPv6 address" },
	{ "listener port type", "listeners = ( { name = \"x\";\n  port = "
	  "\"25\"; } );\n",
	  "t.conf:2: listener \"x\": port: expected an integer" },
	{ "listener port range", "listeners = ( { name = \"x\"; port = 70000; }"
	  " );\n",
	  "t.conf:1: listener \"x\": port: 70000 is out of range (1..65535)" },
	{ "listener tls", "listeners = ( { name = \"x\"; tls = \"yes\"; } );\n",
	  "t.conf:1: listener \"x\": unknown tls mode \"yes\" (expected none, "
	  "starttls, implicit)" },
	{ "tls without cert", "listeners = ( { name = \"x\";\n  tls = "
	  "\"starttls\"; } );\n",
	  "t.conf:2: listener \"x\": cert and key are required with tls = "
	  "\"starttls\"" },
	{ "cert without tls", "listeners = ( { name = \"x\";\n  cert = "
	  "\"/c.pem\"; } );\n",
	  "t.conf:2: listener \"x\": cert is set but tls is \"none\"" },
	{ "missing cert file", "listeners = ( { name = \"x\"; tls = "
	  "\"implicit\";\n  cert = \"/nonexistent/c.pem\";\n  key = "
	  "\"/nonexistent/k.pem\"; } );\n",
	  "t.conf:2: listener \"x\": cannot read cert \"/nonexistent/c.pem\": "
	  "No such file or directory" },
	{ "require_tls without tls", "listeners = ( { name = \"x\";\n  "
	  "require_tls = true; } );\n",
	  "t.conf:2: listener \"x\": require_tls needs tls = \"starttls\" or "
	  "\"implicit\"" },
#ifdef WITH_AUTH_SERVER
	{ "auth without users", "listeners = ( { name = \"x\";\n  auth = "
	  "\"required\"; } );\n",
	  "t.conf:2: listener \"x\": users is required with auth = "
	  "\"required\"" },
	{ "users unreadable", "listeners = ( { name = \"x\"; auth = "
	  "\"optional\";\n  users = \"/nonexistent/users\"; } );\n",
	  "t.conf:2: listener \"x\": cannot read users \"/nonexistent/users\": "
	  "No such file or directory" },
#else
	{ "auth left out", "listeners = ( { name = \"x\";\n  auth = "
	  "\"optional\"; users = \"@D@/users\"; } );\n",
	  "t.conf:2: listener \"x\": auth: smarthostd was built without AUTH "
	  "for clients (./configure --enable-auth-server)" },
#endif
	{ "users without auth", "listeners = ( { name = \"x\";\n  users = "
	  "\"@D@/users\"; } );\n",
	  "t.conf:2: listener \"x\": users is set but auth is \"none\"" },
	{ "auth mode", "listeners = ( { name = \"x\"; auth = \"yes\"; } );\n",
	  "t.conf:1: listener \"x\": unknown auth mode \"yes\" (expected none, "
	  "optional, required)" },
	{ "batch_handling", "listeners = ( { name = \"x\";\n  batch_handling = "
	  "\"batchbydomain\"; } );\n",
	  "t.conf:2: listener \"x\": unknown batch_handling mode "
	  "\"batchbydomain\" (expected BifurcateAlways, BatchByDomain, "
	  "BatchByRoute)" },
	{ "bare_lf", "listeners = ( { name = \"x\"; bare_lf = \"ignore\"; } );\n",
	  "t.conf:1: listener \"x\": unknown bare_lf mode \"ignore\" (expected "
	  "normalize, reject)" },
	{ "relay_from type", "listeners = ( { name = \"x\"; relay_from = "
	  "\"10.0.0.0/8\"; } );\n",
	  "t.conf:1: listener \"x\": relay_from: expected an array of CIDR "
	  "strings" },
	{ "max_recipients", "listeners = ( { name = \"x\"; max_recipients = 0;"
	  " } );\n",
	  "t.conf:1: listener \"x\": max_recipients: 0 is out of range "
	  "(1..2147483647)" },
	{ "size type", "listeners = ( { name = \"x\"; max_message_size = "
	  "true; } );\n",
	  "t.conf:1: listener \"x\": max_message_size: expected a size (bytes, "
	  "or a string such as \"25M\")" },
	{ "banner empty", "listeners = ( { name = \"x\"; banner = \"\"; } );\n",
	  "t.conf:1: listener \"x\": banner: must not be empty" },
	/* relayers */
	{ "relayer unknown", "relayers = (\n  { name = \"r\"; type = \"smtp\"; "
	  "host = \"h.test\";\n    hots = \"x\"; }\n);\n",
	  "t.conf:3: relayer \"r\": unknown setting \"hots\"" },
	{ "relayer without name", "relayers = ( { type = \"mx\"; } );\n",
	  "t.conf:1: relayers: entry 1: name is required" },
	{ "relayer without type", "relayers = (\n  { name = \"r\"; host = "
	  "\"h\"; }\n);\n",
	  "t.conf:2: relayer \"r\": type is required" },
	{ "relayer type", "relayers = ( { name = \"r\"; type = \"lmtp\"; } );\n",
	  "t.conf:1: relayer \"r\": unknown relayer type \"lmtp\" (expected "
	  "smtp, mx, maildrop, maildir)" },
	{ "relayer duplicate", "relayers = (\n  { name = \"r\"; type = \"mx\"; "
	  "},\n  { name = \"r\"; type = \"mx\"; }\n);\n",
	  "t.conf:3: relayer \"r\" is defined twice" },
	{ "command on smtp", "relayers = ( { name = \"r\"; type = \"smtp\"; "
	  "host = \"h.test\";\n  command = [ \"/bin/true\" ]; } );\n",
	  "t.conf:2: relayer \"r\": setting \"command\" does not apply to type "
	  "smtp" },
	{ "host on mx", "relayers = ( { name = \"r\"; type = \"mx\";\n  host = "
	  "\"h.test\"; } );\n",
	  "t.conf:2: relayer \"r\": setting \"host\" does not apply to type mx" },
	{ "tls on maildir", "relayers = ( { name = \"r\"; type = \"maildir\"; "
	  "path = \"/m\";\n  tls = \"none\"; } );\n",
	  "t.conf:2: relayer \"r\": setting \"tls\" does not apply to type "
	  "maildir" },
	{ "smtp without host", "relayers = ( { name = \"r\"; type = \"smtp\"; "
	  "} );\n",
	  "t.conf:1: relayer \"r\": host is required for type smtp" },
	{ "smtp host empty", "relayers = ( { name = \"r\"; type = \"smtp\";\n  "
	  "host = [ ]; } );\n",
	  "t.conf:2: relayer \"r\": host: must not be empty" },
	{ "smtp host bad", "relayers = ( { name = \"r\"; type = \"smtp\";\n  "
	  "host = [ \"ok.test\",\n \"a b\" ]; } );\n",
	  "t.conf:3: relayer \"r\": host: \"a b\" is not a host name or IP "
	  "address" },
	{ "smtp host type", "relayers = ( { name = \"r\"; type = \"smtp\"; "
	  "host = 5; } );\n",
	  "t.conf:1: relayer \"r\": host: expected a string or an array of "
	  "strings" },
	{ "relayer tls", "relayers = (\n  { name = \"isp\"; type = \"smtp\"; "
	  "host = \"h.test\";\n    tls = \"yes\"; }\n);\n",
	  "t.conf:3: relayer \"isp\": unknown tls mode \"yes\" (expected none, "
	  "opportunistic, required, verify)" },
	{ "implicit_tls with none", "relayers = ( { name = \"r\"; type = "
	  "\"mx\";\n  tls = \"none\"; implicit_tls = true; } );\n",
	  "t.conf:2: relayer \"r\": implicit_tls contradicts tls = \"none\"" },
	{ "pool_size", "relayers = ( { name = \"r\"; type = \"mx\"; pool_size "
	  "= 0; } );\n",
	  "t.conf:1: relayer \"r\": pool_size: 0 is out of range (1..10000)" },
	{ "ca_file missing", "relayers = ( { name = \"r\"; type = \"mx\";\n  "
	  "ca_file = \"/nonexistent/ca.pem\"; } );\n",
	  "t.conf:2: relayer \"r\": cannot read ca_file \"/nonexistent/ca.pem\""
	  ": No such file or directory" },
#ifdef WITH_MAILDROP
	{ "maildrop without command", "relayers = ( { name = \"r\"; type = "
	  "\"maildrop\"; } );\n",
	  "t.conf:1: relayer \"r\": command is required for type maildrop" },
	{ "maildrop relative command", "relayers = ( { name = \"r\"; type = "
	  "\"maildrop\";\n  command = [ \"maildrop\" ]; } );\n",
	  "t.conf:2: relayer \"r\": command: \"maildrop\" is not an absolute "
	  "path" },
	{ "maildrop empty command", "relayers = ( { name = \"r\"; type = "
	  "\"maildrop\"; command = [ ]; } );\n",
	  "t.conf:1: relayer \"r\": command: must not be empty" },
	{ "maildrop placeholder", "relayers = ( { name = \"r\"; type = "
	  "\"maildrop\";\n  command = [ \"/bin/md\", \"%{user}\" ]; } );\n",
	  "t.conf:2: relayer \"r\": command: unknown placeholder \"%{user}\" "
	  "(expected %{sender}, %{recipient}, %{local}, %{domain})" },
#else
	{ "maildrop left out", "relayers = ( { name = \"r\";\n  type = "
	  "\"maildrop\"; command = [ \"/bin/md\" ]; } );\n",
	  "t.conf:2: relayer \"r\": type: smarthostd was built without the "
	  "maildrop relayer (./configure --enable-maildrop)" },
#endif
	{ "maildrop timeout on mx", "relayers = ( { name = \"r\"; type = "
	  "\"mx\"; timeout = \"1m\"; } );\n",
	  "t.conf:1: relayer \"r\": setting \"timeout\" does not apply to type "
	  "mx" },
	{ "maildir without path", "relayers = ( { name = \"r\"; type = "
	  "\"maildir\"; } );\n",
	  "t.conf:1: relayer \"r\": path is required for type maildir" },
	{ "maildir unterminated", "relayers = ( { name = \"r\"; type = "
	  "\"maildir\";\n  path = \"/m/%{domain\"; } );\n",
	  "t.conf:2: relayer \"r\": path: unterminated \"%{\" in "
	  "\"/m/%{domain\"" },
	{ "auth not a group", "relayers = ( { name = \"r\"; type = \"mx\"; "
	  "auth = \"u\"; } );\n",
	  "t.conf:1: relayer \"r\": auth: expected a group { }" },
	{ "auth unknown", "relayers = ( { name = \"r\"; type = \"mx\";\n  auth "
	  "= { user = \"u\"; }; } );\n",
	  "t.conf:2: relayer \"r\": auth: unknown setting \"user\"" },
	{ "auth without username", "relayers = ( { name = \"r\"; type = "
	  "\"mx\";\n  auth = { password = \"p\"; }; } );\n",
	  "t.conf:2: relayer \"r\": auth: username is required" },
	{ "auth both passwords", "relayers = ( { name = \"r\"; type = \"mx\";\n"
	  "  auth = { username = \"u\"; password = \"p\";\n  password_file = "
	  "\"@D@/isp.pass\"; }; } );\n",
	  "t.conf:2: relayer \"r\": auth: exactly one of password and "
	  "password_file is required" },
	{ "auth no password", "relayers = ( { name = \"r\"; type = \"mx\";\n"
	  "  auth = { username = \"u\"; }; } );\n",
	  "t.conf:2: relayer \"r\": auth: exactly one of password and "
	  "password_file is required" },
	{ "password_file unreadable", "relayers = ( { name = \"r\"; type = "
	  "\"mx\";\n  auth = { username = \"u\";\n  password_file = "
	  "\"/nonexistent/p\"; }; } );\n",
	  "t.conf:3: relayer \"r\": auth: cannot read password_file "
	  "\"/nonexistent/p\": No such file or directory" },
	{ "password_file empty", "relayers = ( { name = \"r\"; type = \"mx\";"
	  "\n  auth = { username = \"u\"; password_file = \"@D@/empty.pass\"; };"
	  " } );\n",
	  "t.conf:2: relayer \"r\": auth: password_file \"@D@/empty.pass\" is "
	  "empty" },
	{ "auth with tls none", "relayers = ( { name = \"r\"; type = \"smtp\";"
	  " host = \"h\";\n  tls = \"none\";\n  auth = { username = \"u\"; "
	  "password = \"p\"; }; } );\n",
	  "t.conf:2: relayer \"r\": auth needs tls = \"verify\" (or "
	  "\"required\"), not \"none\": credentials must not go to a server "
	  "that was not asked for encryption" },
	{ "auth with tls opportunistic", "relayers = ( { name = \"r\"; type = "
	  "\"mx\";\n  auth = { username = \"u\"; password = \"p\"; };\n"
	  "  tls = \"opportunistic\"; } );\n",
	  "t.conf:3: relayer \"r\": auth needs tls = \"verify\" (or "
	  "\"required\"), not \"opportunistic\": credentials must not go to "
	  "a server that was not asked for encryption" },
	/* routing */
	{ "routing not a group", "routing = ( );\n",
	  "t.conf:1: routing: expected a group { }" },
	{ "routing unknown", "routing = {\n  default = \"mx\";\n};\n",
	  "t.conf:2: routing: unknown setting \"default\"" },
	{ "default_relayer missing", "routing = {\n  default_relayer = "
	  "\"nope\";\n};\n",
	  "t.conf:2: routing: default_relayer: unknown relayer \"nope\"" },
	{ "rules not a list", "routing = { rules = { }; };\n",
	  "t.conf:1: routing: rules: expected a list ( ) of groups { }" },
	{ "rule unknown", "routing = { rules = (\n  { recipient = \"a.test\"; "
	  "relayer = \"mx\"; }\n); };\n",
	  "t.conf:2: rule 1: unknown setting \"recipient\"" },
	{ "rule without action", "routing = { rules = (\n  { relayer = \"mx\"; "
	  "},\n  { recipient_domain = \"a.test\"; }\n); };\n",
	  "t.conf:3: rule 2: a rule needs routing_domain or relayer" },
	{ "rule relayer missing", "routing = { rules = (\n  { recipient_domain"
	  " = \"a.test\";\n    relayer = \"nope\"; }\n); };\n",
	  "t.conf:3: rule 1: unknown relayer \"nope\"" },
	{ "reserved listener name", "listeners = (\n  { name = \"bounce\"; "
	  "port = 2525; }\n);\n",
	  "t.conf:2: listeners: entry 1: listener name \"bounce\" is reserved "
	  "for bounces" },
	{ "rule listener missing", "routing = { rules = (\n  { listener = [ "
	  "\"default\",\n  \"lan\" ]; relayer = \"mx\"; }\n); };\n",
	  "t.conf:3: rule 1: unknown listener \"lan\"" },
	{ "rule bad pattern", "routing = { rules = ( { recipient_domain = "
	  "\"a..b\"; relayer = \"mx\"; } ); };\n",
	  "t.conf:1: rule 1: recipient_domain: invalid domain pattern "
	  "\"a..b\"" },
	{ "rule star pattern", "routing = { rules = ( { sender_domain = [ "
	  "\"*\" ]; relayer = \"mx\"; } ); };\n",
	  "t.conf:1: rule 1: sender_domain: invalid domain pattern \"*\"" },
	{ "rule matcher type", "routing = { rules = ( { sender_domain = 5; "
	  "relayer = \"mx\"; } ); };\n",
	  "t.conf:1: rule 1: sender_domain: expected a string or an array of "
	  "strings" },
	{ "rule matcher element type", "routing = { rules = ( {\n  "
	  "recipient_domain = ( \"a.test\",\n  5 ); relayer = \"mx\"; } ); };\n",
	  "t.conf:3: rule 1: recipient_domain: expected a string or an array "
	  "of strings" },
	{ "rule routing_domain", "routing = { rules = ( { routing_domain = "
	  "\"*.x\"; } ); };\n",
	  "t.conf:1: rule 1: routing_domain: \"*.x\" is not a domain" },
	{ "domains not a list", "routing = { domains = \"a.test\"; };\n",
	  "t.conf:1: routing: domains: expected a list ( ) of groups { }" },
	{ "domain without domain", "routing = { domains = (\n  { accept = "
	  "true; }\n); };\n",
	  "t.conf:2: domains: entry 1: domain is required" },
	{ "domain unknown", "routing = { domains = (\n  { domain = \"a.test\";"
	  "\n    mx = \"x\"; }\n); };\n",
	  "t.conf:3: domain \"a.test\": unknown setting \"mx\"" },
	{ "malformed v4 literal", "routing = { domains = ( { domain = "
	  "\"a.test\";\n  mx_list = ( \"mx.a.test\",\n  \"[10.0.0.300]\" ); } );"
	  " };\n",
	  "t.conf:3: domain \"a.test\": mx_list: malformed domain literal "
	  "\"[10.0.0.300]\"" },
	{ "v6 literal without tag", "routing = { domains = ( { domain = "
	  "\"a.test\";\n  force_mx = \"[2001:db8::1]\"; } ); };\n",
	  "t.conf:2: domain \"a.test\": force_mx: malformed domain literal "
	  "\"[2001:db8::1]\"" },
	{ "unclosed literal", "routing = { domains = ( { domain = \"a.test\"; "
	  "mx_list = [ \"[10.0.0.1\" ]; } ); };\n",
	  "t.conf:1: domain \"a.test\": mx_list: malformed domain literal "
	  "\"[10.0.0.1\"" },
	{ "mx_list and force_mx", "routing = { domains = ( { domain = "
	  "\"a.test\";\n  mx_list = ( \"m.test\" );\n  force_mx = \"n.test\"; }"
	  " ); };\n",
	  "t.conf:3: domain \"a.test\": mx_list and force_mx cannot both be "
	  "set" },
	{ "mx_list on smtp relayer", "relayers = ( { name = \"isp\"; type = "
	  "\"smtp\"; host = \"h.test\"; } );\nrouting = { domains = ( {\n  "
	  "domain = \"a.test\"; mx_list = ( \"m.test\" );\n  relayer = \"isp\";"
	  " } ); };\n",
	  "t.conf:4: domain \"a.test\": mx_list needs a relayer of type mx, "
	  "but relayer \"isp\" is of type smtp" },
	{ "force_mx with mx of type smtp", "relayers = ( { name = \"mx\"; type"
	  " = \"smtp\"; host = \"h.test\"; } );\nrouting = { domains = ( {\n  "
	  "domain = \"a.test\";\n  force_mx = \"m.test\"; } ); };\n",
	  "t.conf:4: domain \"a.test\": force_mx needs a relayer of type mx, "
	  "but relayer \"mx\" is of type smtp" },
	{ "mx_list empty", "routing = { domains = ( { domain = \"a.test\"; "
	  "mx_list = ( ); } ); };\n",
	  "t.conf:1: domain \"a.test\": mx_list: must not be empty" },
	{ "mx_list group without name", "routing = { domains = ( { domain = "
	  "\"a.test\";\n  mx_list = ( { addr = \"10.0.0.1\"; } ); } ); };\n",
	  "t.conf:2: domain \"a.test\": mx_list: entry 1: name is required" },
	{ "mx_list group addr", "routing = { domains = ( { domain = \"a.test\";"
	  "\n  mx_list = ( \"m.test\", { name = \"n.test\";\n  addr = "
	  "\"10.0.0\"; } ); } ); };\n",
	  "t.conf:3: domain \"a.test\": mx_list: entry 2: addr: \"10.0.0\" is "
	  "not an IP address" },
	{ "mx_list group unknown", "routing = { domains = ( { domain = "
	  "\"a.test\";\n  mx_list = ( { name = \"m.test\"; host = \"x\"; } ); }"
	  " ); };\n",
	  "t.conf:2: domain \"a.test\": mx_list: entry 1: unknown setting "
	  "\"host\"" },
	{ "mx_list group port", "routing = { domains = ( { domain = \"a.test\";"
	  "\n  mx_list = ( { name = \"m.test\"; port = 0; } ); } ); };\n",
	  "t.conf:2: domain \"a.test\": mx_list: entry 1: port: 0 is out of "
	  "range (1..65535)" },
	{ "mx_list entry type", "routing = { domains = ( { domain = \"a.test\";"
	  "\n  mx_list = ( 5 ); } ); };\n",
	  "t.conf:2: domain \"a.test\": mx_list: entry 1: expected a string or "
	  "a group { name; addr; port; }" },
	{ "domain relayer missing", "routing = { domains = ( { domain = "
	  "\"a.test\";\n  relayer = \"nope\"; } ); };\n",
	  "t.conf:2: domain \"a.test\": unknown relayer \"nope\"" },
	{ "domain tls", "routing = { domains = ( { domain = \"a.test\";\n  tls"
	  " = \"on\"; } ); };\n",
	  "t.conf:2: domain \"a.test\": unknown tls mode \"on\" (expected none, "
	  "opportunistic, required, verify)" },
	{ "domain accept type", "routing = { domains = ( { domain = "
	  "\"a.test\"; accept = 1; } ); };\n",
	  "t.conf:1: domain \"a.test\": accept: expected true or false" },
	{ "domain duplicate", "routing = { domains = (\n  { domain = "
	  "\"a.test\"; accept = true; },\n  { domain = \"A.test\"; accept = "
	  "false; }\n); };\n",
	  "t.conf:3: domain \"a.test\" is listed twice (first at line 2)" },
	{ "domain bad", "routing = { domains = ( { domain = \"a b\"; } ); };\n",
	  "t.conf:1: domains: entry 1: domain: invalid domain pattern \"a b\"" },
};

static void
test_bad(void)
{
	size_t	i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		bad(bad_cases[i].text, bad_cases[i].want, bad_cases[i].name);

	bad_reason("queue = {\n  retry_interval = \"5x\";\n};\n",
	    "t.conf:2: queue: retry_interval: invalid duration \"5x\": %s",
	    dur_reason("5x"), "bad duration");
	bad_reason("relayers = ( { name = \"r\"; type = \"mx\";\n  idle_timeout"
	    " = \"-1s\"; } );\n",
	    "t.conf:2: relayer \"r\": idle_timeout: invalid duration \"-1s\": "
	    "%s", dur_reason("-1s"), "negative duration");
	bad_reason("listeners = ( { name = \"x\";\n  max_message_size = "
	    "\"25Q\"; } );\n",
	    "t.conf:2: listener \"x\": max_message_size: invalid size \"25Q\": "
	    "%s", size_reason("25Q"), "bad size");
	bad_reason("listeners = ( { name = \"x\";\n  relay_from = [ "
	    "\"10.0.0.1/8\" ]; } );\n",
	    "t.conf:2: listener \"x\": relay_from: invalid CIDR \"10.0.0.1/8\": "
	    "%s", cidr_reason("10.0.0.1/8"), "CIDR with host bits");
	bad_reason("listeners = ( { name = \"x\";\n  relay_from = [ "
	    "\"127.0.0.0/8\",\n  \"10.0.0.0/33\" ]; } );\n",
	    "t.conf:3: listener \"x\": relay_from: invalid CIDR \"10.0.0.0/33\""
	    ": %s", cidr_reason("10.0.0.0/33"), "CIDR prefix too long");
	bad_reason("listeners = ( { name = \"x\"; proxy_protocol = true;\n"
	    "  proxy_from = [ \"10.0.0.1/8\" ]; } );\n",
	    "t.conf:2: listener \"x\": proxy_from: invalid CIDR \"10.0.0.1/8\": "
	    "%s", cidr_reason("10.0.0.1/8"), "proxy_from CIDR with host bits");
	bad("listeners = ( { name = \"x\";\n  proxy_from = \"10.0.0.0/8\"; } );\n",
	    "t.conf:2: listener \"x\": proxy_from: expected an array of CIDR "
	    "strings", "proxy_from not an array");
	bad("listeners = ( { name = \"x\";\n  proxy_protocol = \"yes\"; } );\n",
	    "t.conf:2: listener \"x\": proxy_protocol: expected true or false",
	    "proxy_protocol not a bool");

	if (!have_certs) {
		for (i = 0; i < 2; i++)
			skip("certificate cases need openssl");
		return;
	}
	bad("listeners = ( { name = \"x\"; tls = \"starttls\";\n  cert = "
	    "\"@D@/cert.pem\";\n  key = \"@D@/key2.pem\"; } );\n",
	    "t.conf:3: listener \"x\": key \"@D@/key2.pem\" does not match cert "
	    "\"@D@/cert.pem\"", "key does not match cert");
	/* OpenSSL words the reason; check what is ours. */
	{
		struct config	*cfg;
		char		*w;

		cfg = load("listeners = ( { name = \"x\"; tls = \"starttls\";\n"
		    "  cert = \"@D@/garbage.pem\"; key = \"@D@/key.pem\"; } );\n");
		ok(cfg == NULL, "garbage cert refused");
		w = subst("t.conf:2: listener \"x\": cannot load cert "
		    "\"@D@/garbage.pem\": ");
		ok(strncmp(err, w, strlen(w)) == 0 && strchr(err, '\n') == NULL,
		    "garbage cert message");
		if (strncmp(err, w, strlen(w)) != 0)
			printf("# got: %s\n", err);
		free(w);
		cfg = load("listeners = ( { name = \"x\"; tls = \"starttls\";\n"
		    "  cert = \"@D@/cert.pem\";\n  key = \"@D@/garbage.pem\"; } "
		    ");\n");
		ok(cfg == NULL, "garbage key refused");
		w = subst("t.conf:3: listener \"x\": cannot load key "
		    "\"@D@/garbage.pem\": ");
		ok(strncmp(err, w, strlen(w)) == 0, "garbage key message");
		if (strncmp(err, w, strlen(w)) != 0)
			printf("# got: %s\n", err);
		free(w);
	}
}

/* Issue #12: rewrite, strip_headers, received_header, delay_warning,
 * tls_cert/tls_key. */
static void
test_rewrite(void)
{
	struct config	*cfg;
	const struct listener_conf *l;

	cfg = load("listeners = ( { name = \"lan\"; strip_headers = "
	    "[ \"Received\", \"X-Originating-IP\" ]; received_header = "
	    "\"hide_client\"; } );\n"
	    "queue = { delay_warning = \"4h\"; };\n"
	    "rewrite = {\n"
	    "  sender = ( { from = \"*@*.LAN\"; to = \"alerts@example.com\"; },\n"
	    "    { from = \"*@nas.example.com\"; to = \"*@example.com\"; } );\n"
	    "  recipient = ( { from = \"root\"; to = \"admin@example.com\"; } );\n"
	    "  listeners = [ \"lan\", \"sendmail\" ];\n"
	    "};\n");
	ok(cfg != NULL, "rewrite example loads");
	if (cfg == NULL) {
		printf("# %s\n", err);
		return;
	}
	is_int(cfg->rewrite.n_sender, 2, "two sender rules");
	is_str(cfg->rewrite.sender[0].from, "*@*.lan", "from lower-cased");
	is_str(cfg->rewrite.sender[1].to, "*@example.com", "to kept");
	is_int(cfg->rewrite.sender[1].line, 5, "rule line");
	is_int(cfg->rewrite.n_recipient, 1, "one recipient rule");
	ok(cfg->rewrite.headers, "headers defaults to true");
	is_int(cfg->rewrite.n_listeners, 2, "listeners");
	is_int(cfg->delay_warning, 4 * 3600, "delay_warning 4h");
	l = config_listener(cfg, "lan");
	is_int(l->n_strip_headers, 2, "strip_headers");
	is_int(l->received_header, RECEIVED_HIDE_CLIENT, "received_header");
	config_unref(cfg);

	cfg = load("queue = { delay_warning = 0; };\n");
	ok(cfg != NULL && cfg->delay_warning == 0 &&
	    cfg->rewrite.listeners == NULL && cfg->rewrite.n_sender == 0 &&
	    config_listener(cfg, "default")->received_header == RECEIVED_FULL,
	    "defaults: no rewrite, all listeners, delay_warning off, full");
	config_unref(cfg);

	bad("rewrite = { sender = ( { from = \"a*b@x\"; to = \"y@z\"; } ); };",
	    "t.conf:1: rewrite: sender: from \"a*b@x\": \"*\" in a local "
	    "part must stand alone", "bad from pattern");
	bad("rewrite = {\n sender = ( { from = \"a@x\"; to = \"*@*.z\"; } ); };",
	    "t.conf:2: rewrite: sender: to \"*@*.z\": \"*\" only in the local "
	    "part", "* in to domain");
	bad("rewrite = {\n recipient = ( { from = \"a@x\"; } ); };",
	    "t.conf:2: rewrite: recipient: to is required", "missing to");
	bad("rewrite = {\n recipient = ( { from = \"a@x\"; to = \"b@y\";\n"
	    " too = 1; } ); };",
	    "t.conf:3: rewrite: recipient: unknown setting \"too\"",
	    "unknown setting in a rule");
	bad("rewrite = {\n listeners = [ \"nope\" ]; };",
	    "t.conf:2: rewrite: listeners: unknown listener \"nope\"",
	    "unknown rewrite listener");
	bad("rewrite = {\n header = true; };",
	    "t.conf:2: rewrite: unknown setting \"header\"",
	    "unknown rewrite setting");
	bad("listeners = ( { name = \"a\";\n strip_headers = [ \"X Bad\" ]; } );",
	    "t.conf:2: listener \"a\": strip_headers: \"X Bad\" is not a "
	    "header field name", "bad strip_headers name");
	bad("listeners = ( { name = \"a\";\n received_header = \"partial\"; } );",
	    "t.conf:2: listener \"a\": unknown received_header mode "
	    "\"partial\" (expected full, hide_client, none)",
	    "bad received_header");
	bad("queue = {\n delay_warning = \"soon\"; };",
	    "t.conf:2: queue: delay_warning: invalid duration \"soon\": expected a number",
	    "bad delay_warning");
	bad("relayers = ( { name = \"isp\"; type = \"smtp\"; host = \"h\";\n"
	    " tls_cert = \"@D@/cert.pem\"; } );",
	    "t.conf:2: relayer \"isp\": tls_cert and tls_key go together",
	    "tls_cert without tls_key");
	if (!have_certs) {
		skip("no certificates");
		return;
	}
	cfg = load("relayers = ( { name = \"isp\"; type = \"smtp\"; host = "
	    "\"h\";\n tls_cert = \"@D@/cert.pem\"; tls_key = \"@D@/key.pem\"; } );");
	ok(cfg != NULL && config_relayer(cfg, "isp")->tls_cert != NULL,
	    "tls_cert and tls_key load");
	config_unref(cfg);
	bad("relayers = ( { name = \"isp\"; type = \"smtp\"; host = \"h\";\n"
	    " tls_cert = \"@D@/cert.pem\";\n tls_key = \"@D@/key2.pem\"; } );",
	    "t.conf:3: relayer \"isp\": tls_key \"@D@/key2.pem\" does not "
	    "match tls_cert \"@D@/cert.pem\"", "mismatched client key");
	bad("relayers = ( { name = \"isp\"; type = \"smtp\"; host = \"h\";\n"
	    " tls_cert = \"@D@/nope.pem\";\n tls_key = \"@D@/key.pem\"; } );",
	    "t.conf:2: relayer \"isp\": cannot read tls_cert \"@D@/nope.pem\": "
	    "No such file or directory", "missing client cert");
	bad("relayers = ( { name = \"b\"; type = \"maildir\"; path = \"/x\";\n"
	    " tls_cert = \"@D@/cert.pem\"; } );",
	    "t.conf:2: relayer \"b\": setting \"tls_cert\" does not apply to type maildir",
	    "tls_cert on maildir");
}

/* config_load_local(): what the tools need, from a file config_load()
 * refuses for a key nobody can read; the defaults are config_load()'s. */
static void
test_local(void)
{
	struct config	*cfg;
	char		 path[PATH_MAX], want[PATH_MAX + 64];

	write_file("local.conf", "hostname = \"l.test\";\nspool = \"sp\";\n"
	    "listeners = ( { name = \"a\"; tls = \"starttls\";\n"
	    "  cert = \"/nonexistent/c.pem\"; key = \"/nonexistent/k.pem\";"
	    " max_message_size = \"40M\"; },\n"
	    "  { name = \"b\"; port = 26; } );\nrelayers = ( { name = \"r\";"
	    " type = \"smtp\"; host = [ \"h\" ]; auth = { username = \"u\";"
	    " password_file = \"/nonexistent/p\"; }; } );\n");
	snprintf(path, sizeof(path), "%s/local.conf", dir);
	ok(config_load(path, err, sizeof(err)) == NULL,
	    "local: config_load() refuses the unreadable key");
	cfg = config_load_local(path, err, sizeof(err));
	ok(cfg != NULL, "local: config_load_local() reads it");
	if (cfg == NULL) {
		printf("# %s\n", err);
		return;
	}
	is_str(cfg->hostname, "l.test", "local: hostname");
	snprintf(want, sizeof(want), "%s/sp", dir);
	is_str(cfg->spool, want, "local: spool relative to the file");
	snprintf(want, sizeof(want), "%s/sp/control.sock", dir);
	is_str(cfg->control, want, "local: control defaults under the spool");
	ok(incoming_max_size(cfg) == 40 * 1024 * 1024,
	    "local: the largest max_message_size");
	ok(cfg->listeners[1].max_message_size == 25 * 1024 * 1024,
	    "local: a listener's default max_message_size");
	config_unref(cfg);

	write_file("local2.conf", "spool = 7;\n");
	snprintf(path, sizeof(path), "%s/local2.conf", dir);
	ok(config_load_local(path, err, sizeof(err)) == NULL &&
	    strstr(err, "local2.conf:1:") != NULL,
	    "local: a bad spool is still an error with file:line");
}

int
main(void)
{
	setup();
	test_local();
	test_defaults();
	test_full();
	test_own_mx();
	test_files();
	test_example();
	test_bad();
	test_rewrite();
	teardown();
	return done_testing();
}
