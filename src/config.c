/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config.c — owns reading smarthostd.conf into one struct config: the
 * option tables of the top level, log, resolver, queue and metrics, their
 * defaults, and the checks a table cannot say.  The other sections have
 * their own files on the same private header config_opts.h:
 * config_listener.c, config_relayer.c, config_route.c, config_rewrite.c,
 * config_dkim.c.
 *
 * The tables are walked by the generic machinery of config_opts.c, in the
 * manner of tmux's options-table.c: names not in a table are refused,
 * defaults applied, values parsed by kind.  The first error stops the load
 * and is reported as one line "file:line: message"; a half-built object is
 * freed, never returned.  Loading and reference counting live here too.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "config.h"
#include "config_include.h"
#include "config_opts.h"
#include "privread.h"
#include "util.h"

#define CONFIG_MAX_SIZE	(4 * 1024 * 1024)	/* a larger file is a mistake */

/* The log group's enums. */
static const struct enum_def level_enum =
    { "log level", { "error", "warn", "info", "debug", NULL } };
static const struct enum_def to_enum =
    { "log destination", { "syslog", "stderr", NULL } };

_Static_assert(sizeof(enum listener_tls) == sizeof(int) &&
    sizeof(enum client_tls) == sizeof(int) &&
    sizeof(enum dane_mode) == sizeof(int) &&
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
check_user(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *value)
{
	const char	*str = value;

	errno = 0;
	if (getpwnam(str) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH &&
		    errno != EBADF && errno != EPERM)
			return fail(ld, s, "user \"%s\": cannot look it up: "
			    "%s", str, strerror(errno));
		return fail(ld, s, "user \"%s\": no such user", str);
	}
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
	{ .name = "trust_ad", .kind = O_BOOL, .off = C(resolver_trust_ad) },
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
 * Metrics.
 */

#ifdef WITH_METRICS
#define MC(f) offsetof(struct metrics_conf, f)

static const struct opt metrics_opts[] = {
	{ .name = "address", .kind = O_STRING, .off = MC(address),
	  .defstr = "127.0.0.1" },
	{ .name = "port", .kind = O_INT, .off = MC(port), .def = 9325,
	  .min = 1, .max = 65535 },
	{ .name = "allow_from", .kind = O_FUNC, .fn = opt_cidrs,
	  .off = MC(allow_from), .noff = MC(n_allow_from) },
};

#endif

/* Without the metrics module (./configure --disable-metrics), a `metrics`
 * group is refused at its line rather than ignored: the admin asked for a
 * listener that would not be there. */
static int
opt_metrics(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
#ifdef WITH_METRICS
	struct config	*cfg = obj;
#endif

	if (s == NULL)
		return 0;
#ifndef WITH_METRICS
	return fail_without(ld, s, o->name, "metrics", "metrics");
#else
	if (parse_group(ld, s, o->name, metrics_opts, nitems(metrics_opts),
	    &cfg->metrics) == -1)
		return -1;
	if (!is_ip_literal(cfg->metrics.address))
		return fail(ld, s, "metrics: address: \"%s\" is not an IPv4 "
		    "or IPv6 address", cfg->metrics.address);
	cfg->metrics.enabled = true;
	cfg->metrics.line = config_setting_source_line(s);
	return 0;
#endif
}

static const struct opt top_opts[] = {
	{ .name = "hostname", .kind = O_FUNC, .fn = opt_hostname },
	{ .name = "user", .kind = O_CHECKED, .fn = check_user,
	  .off = C(user) },
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

	/* In the root helper, only a file that root alone may change
	 * decides what it serves (privread.h). */
	if (privread_config_trusted(path, err, errlen) == -1)
		return NULL;
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

	if (parse_named_opts(ld, root, top_opts, nitems(top_opts), top,
	    cfg) == -1)
		return -1;
	return listeners_local(ld, config_setting_get_member(root,
	    "listeners"), cfg);
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
	char		*text, *dir, *base, *rel, why[256];
	size_t		 n;

	if ((text = read_config_file(NULL, path, &n, why, sizeof(why))) ==
	    NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}

	/* Resolved by dir_of(); absolute even where realpath() failed. */
	dir = dir_of(path);
	rel = current_dir();
	base = abs_path(rel, dir);
	free(rel);
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
	config_listeners_free(cfg);
	config_relayers_free(cfg);
	config_routing_free(cfg);
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
