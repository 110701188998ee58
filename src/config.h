/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config.h — the configuration: one complete, validated, immutable,
 * reference-counted object built from a libconfig file.
 *
 * config_load() either returns a whole object or an error naming file:line;
 * nothing is half-applied.  The daemon holds one reference to the current
 * configuration; each session and delivery attempt holds its own reference
 * for as long as it lives, so SIGHUP can build a new object and swap it in
 * without disturbing work in progress.  No field is modified after load.
 */
#ifndef SMARTHOSTD_CONFIG_H
#define SMARTHOSTD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "cidr.h"
#include "dkim_sign.h"
#include "log.h"
#include "ratelimit.h"
#include "rewrite.h"

/*
 * Mail that did not arrive through a listener routes as if it came from one
 * of these (rules may name them in `listener`); no listener may be so named.
 */
#define LISTENER_SENDMAIL	"sendmail"	/* smarthost-sendmail */
#define LISTENER_BOUNCE		"bounce"	/* our own DSNs */

enum listener_tls { LTLS_NONE, LTLS_STARTTLS, LTLS_IMPLICIT };
enum auth_mode { AUTH_NONE, AUTH_OPTIONAL, AUTH_REQUIRED };
enum batch_mode { BATCH_BIFURCATE_ALWAYS, BATCH_BY_DOMAIN, BATCH_BY_ROUTE };
enum bare_lf_mode { BARE_LF_NORMALIZE, BARE_LF_REJECT };
enum relay_type { RELAY_SMTP, RELAY_MX, RELAY_MAILDROP, RELAY_MAILDIR };
enum client_tls { CTLS_NONE, CTLS_OPPORTUNISTIC, CTLS_REQUIRED, CTLS_VERIFY };
enum dane_mode { DANE_OFF, DANE_OPPORTUNISTIC, DANE_MANDATORY };
enum received_mode { RECEIVED_FULL, RECEIVED_HIDE_CLIENT, RECEIVED_NONE };

struct listener_conf {
	char		*name;
	char		*address;		/* IP literal */
	int		 port;
	enum listener_tls tls;
	char		*cert, *key;		/* NULL when tls is none */
	bool		 require_tls;
	struct cidr	*relay_from;
	int		 n_relay_from;
	bool		 proxy_protocol;	/* a PROXY header first */
	struct cidr	*proxy_from;		/* who may send one */
	int		 n_proxy_from;
	enum auth_mode	 auth;
	char		*users;			/* NULL when auth is none */
	enum batch_mode	 batch;
	uint64_t	 max_message_size;
	int		 max_recipients;
	int		 max_connections;
	int		 auth_max_failures;	/* per client address; 0: none */
	long		 auth_failure_window;	/* seconds */
	long		 auth_penalty;		/* seconds */
	int		 max_connections_per_ip;	/* 0: no limit */
	long		 timeout;		/* seconds */
	int		 min_data_rate;		/* octets/s in DATA, 0: none */
	char		*banner;		/* the whole 220 greeting text */
	enum bare_lf_mode bare_lf;
	bool		 add_message_id, add_date;
	char		**strip_headers;	/* field names removed */
	int		 n_strip_headers;
	enum received_mode received_header;
	int		 line;			/* where it was declared */
};

/* A field added here must be compared in relayer_conf_same() (relay.c),
 * or a reload would keep a relayer's connections across its change. */
struct relayer_conf {
	char		*name;
	enum relay_type	 type;
	int		 line;
	/* smtp and mx */
	enum client_tls	 tls;
	bool		 implicit_tls;
	char		*ca_file, *ca_path;	/* NULL: system store */
	char		*tls_cert, *tls_key;	/* client certificate, or NULL */
	char		*auth_username;		/* NULL: no AUTH */
	char		*auth_password;		/* read from password_file at load */
	enum dane_mode	 dane;			/* mx only; needs trust_ad to
						   ever apply; read it with
						   RELAYER_DANE */
	char		*ehlo_as;		/* defaults to hostname */
	int		 pool_size;
	long		 idle_timeout;
	int		 max_deliveries_per_connection;
	struct rate_spec rate;			/* count 0: no limit */
	long		 connect_timeout, command_timeout, data_timeout;
	int		 port;			/* smtp and mx: 25 */
	/* mx */
	bool		 mta_sts;		/* apply MTA-STS (mta_sts.h);
						   read it with RELAYER_MTA_STS */
	/* smtp */
	char		**hosts;		/* in order; names or IP literals */
	int		 n_hosts;
	/* maildrop */
	char		**command;		/* argv template, NULL-terminated */
	int		 n_command;
	long		 timeout;		/* maildrop: 60s by default */
	/* maildir */
	char		*path;			/* template, absolute after load */
};

struct rule_conf {
	char		**recipient_domain;	/* lower-cased patterns */
	int		 n_recipient_domain;
	char		**sender_domain;
	int		 n_sender_domain;
	char		**listener;
	int		 n_listener;
	char		*routing_domain;	/* NULL: unchanged */
	char		*relayer;		/* NULL: not set by this rule */
	int		 line;
};

struct mx_host {
	char		*name;			/* host name, or NULL for a literal */
	char		*addr;			/* IP literal, or NULL: resolve name */
	int		 port;			/* 0: the relayer's port */
};

struct domain_conf {
	char		*domain;		/* lower-cased; may begin "*." */
	struct mx_host	*mx_list;		/* force_mx is a one-entry list */
	int		 n_mx;
	char		*relayer;		/* NULL: not set */
	bool		 accept;
	bool		 has_tls;
	enum client_tls	 tls;
	struct rate_spec rate;			/* count 0: the relayer's */
	int		 line;
};

/* The `metrics` HTTP listener; off unless the group is given. */
struct metrics_conf {
	bool		 enabled;
	char		*address;		/* IP literal */
	int		 port;
	struct cidr	*allow_from;
	int		 n_allow_from;
	int		 line;
};

struct config {
	int		 refcnt;
	char		*path;			/* the file as given */

	char		*hostname;
	char		*user;			/* NULL: no privilege drop */
	char		*spool;			/* absolute */
	char		*control;		/* absolute, or NULL if "" */
	char		*pid_file;		/* NULL: none */
	bool		 log_stderr;
	enum log_level	 log_level;

	char		**nameservers;		/* NULL: /etc/resolv.conf */
	int		 n_nameservers;
	int		 resolver_port;
	char		*hosts_file;		/* NULL: /etc/hosts */
	long		 resolver_timeout;
	int		 resolver_attempts;
	bool		 resolver_trust_ad;	/* believe the AD bit */

	long		 retry_interval, max_retry_interval, max_age;
	bool		 bounces;
	long		 delay_warning;		/* seconds; 0: off */

	struct rewrite_conf rewrite;

	struct listener_conf *listeners;
	int		 n_listeners;
	struct relayer_conf *relayers;		/* always holds one named "mx" */
	int		 n_relayers;

	struct metrics_conf metrics;

	char		*default_relayer;	/* NULL: "mx" */
	struct rule_conf *rules;
	int		 n_rules;
	struct domain_conf *domains;
	int		 n_domains;

	struct dkim_signer *dkim;		/* keys loaded, in file order */
	int		 n_dkim;

	/* "file:line: message" lines the loader wants logged (not errors). */
	char		**warnings;
	int		 n_warnings;
};

/*
 * Read and validate a whole file.  On error returns NULL and writes one
 * line "file:line: message" into err.  Relative paths in the file are taken
 * relative to the directory that holds the file, and stored absolute.
 */
struct config	*config_load(const char *path, char *err, size_t errlen);

/*
 * For the local tools (smarthost-sendmail, smarthostctl), which must work
 * for a user who cannot read the TLS keys, password and users files that
 * config_load() checks: only hostname, spool, control and the listeners'
 * max_message_size (so incoming_max_size() works), read by the same code
 * with the same defaults.  Everything else is left unread and empty.
 */
struct config	*config_load_local(const char *path, char *err,
		    size_t errlen);

/* Build from a string, for tests; `name` stands for the file in errors. */
struct config	*config_load_string(const char *text, const char *name,
		    char *err, size_t errlen);

struct config	*config_ref(struct config *);
void		 config_unref(struct config *);

const struct relayer_conf *config_relayer(const struct config *, const char *name);
const struct listener_conf *config_listener(const struct config *, const char *name);

const char	*relay_type_to_text(enum relay_type);
const char	*client_tls_to_text(enum client_tls);
const char	*dane_mode_to_text(enum dane_mode);
const char	*batch_mode_to_text(enum batch_mode);

/* A relayer's mta_sts: in a build without MTA-STS (configure.ac) it is
 * refused at load, so the constant false lets the compiler leave out what
 * only a policy needs (relay_mx.c, relay_pool_walk.c). */
#ifdef WITH_MTA_STS
#define RELAYER_MTA_STS(rc)	((rc)->mta_sts)
#else
#define RELAYER_MTA_STS(rc)	false
#endif

/* A relayer's dane: in a build without DANE (configure.ac) anything but
 * "off" is refused at load, so the constant DANE_OFF lets the compiler
 * leave out the TLSA step (relay_pool_walk.c). */
#ifdef WITH_DANE
#define RELAYER_DANE(rc)	((rc)->dane)
#else
#define RELAYER_DANE(rc)	DANE_OFF
#endif
/* A listener's auth, likewise: without AUTH for clients anything but
 * "none" is refused at load, so the users files and the EHLO keyword go. */
#ifdef WITH_AUTH_SERVER
#define LISTENER_AUTH(lc)	((lc)->auth)
#else
#define LISTENER_AUTH(lc)	AUTH_NONE
#endif

#endif
