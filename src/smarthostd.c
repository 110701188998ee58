/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smarthostd.c — the process: arguments, start-up order, signals, reload
 * and shutdown.  It owns the one reference to the configuration in force
 * and the event loop; everything else is set up here and runs from it.
 *
 * Start-up: read and validate the file (exit 1 with file:line on error),
 * open the spool, bind the listeners, detach (unless -f), recover the
 * queue, then run.  SIGHUP builds a complete new configuration and swaps it
 * in only if every step succeeds.  SIGTERM/SIGINT stop accepting, let
 * sessions and deliveries in progress finish for a bounded time, and exit 0
 * with the queue on disk.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "incoming.h"
#include "control.h"
#include "resolver.h"
#include "log.h"
#include "privread.h"
#include "metrics.h"
#include "queue.h"
#include "receive.h"
#include "relay.h"
#include "sdnotify.h"
#include "smtp_server.h"
#include "spool.h"
#include "receive_filters.h"
#include "spool_commit.h"
#include "stats.h"
#include "tls_client.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define SHUTDOWN_GRACE	10	/* seconds sessions may take to finish */

struct daemon {
	struct event_base	*base;
	struct config		*cfg;		/* the one in force */
	struct spool		*spool;
	struct spool_commits	*commits;	/* the group commit */
	struct resolver		*dns;
	struct receive		*receive;	/* every way mail comes in */
	struct queue		*queue;
	struct smtp_server	*server;
	struct incoming		*incoming;	/* smarthost-sendmail's mail */
	struct control		*control;	/* NULL: disabled */
	struct metrics		*metrics;	/* its HTTP listener may be off */
	char			*cfgpath;	/* absolute: the daemon chdirs */
	int			 foreground;
	struct event		*ev_hup, *ev_term, *ev_int, *ev_tick;
	time_t			 stopping;	/* when shutdown began, or 0 */
	int			 pid_fd;	/* pid file, or -1 */
	char			*pid_path;	/* as opened at start */
};

/* receive.c's sink: a message is durable; the queue takes it. */
static void
queue_sink(void *arg, struct envelope *env)
{
	struct daemon	*d = arg;

	queue_add(d->queue, env);
}

/* The usage on stdout with status 0 (asked for), else on stderr. */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: smarthostd [-dfhnv] [-c file]\n"
	    "  -c file    configuration file (default %s/smarthostd.conf)\n"
	    "  -f         stay in the foreground and log to stderr\n"
	    "  -n         check the configuration file and exit\n"
	    "  -d         log at debug level\n"
	    "  -v, --version  print the version and exit\n"
	    "  -h, --help     print this help and exit\n", SYSCONFDIR);
	exit(status);
}

/* What the loader found legal but unwise, at start, -n and reload. */
static void
log_config_warnings(const struct config *cfg)
{
	int	i;

	for (i = 0; i < cfg->n_warnings; i++)
		log_warnx("warning: %s", cfg->warnings[i]);
}

static int
reload_config(struct daemon *d, char *err, size_t errlen)
{
	struct config	*cfg;

	log_info("reloading %s", d->cfgpath);
	if ((cfg = config_load(d->cfgpath, err, errlen)) == NULL) {
		log_warnx("reload failed, configuration unchanged: %s", err);
		return -1;
	}
	log_config_warnings(cfg);
	if (strcmp(cfg->spool, d->cfg->spool) != 0)
		log_warnx("reload: spool directory changes take effect at "
		    "restart; still using %s", d->cfg->spool);
	if ((cfg->control == NULL) != (d->cfg->control == NULL) ||
	    (cfg->control != NULL && strcmp(cfg->control, d->cfg->control)))
		log_warnx("reload: control socket changes take effect at "
		    "restart");
	if (smtp_server_configure(d->server, cfg, err, errlen) == -1) {
		log_warnx("reload failed, configuration unchanged: %s", err);
		config_unref(cfg);
		return -1;
	}
	log_setup(d->foreground || cfg->log_stderr, cfg->log_level);
	queue_set_config(d->queue, cfg);
	relay_reconfigure(cfg);
	resolver_reload(d->dns, cfg);
	/* New connections read trust anchors and client certificates anew. */
	tls_client_cleanup();
	if (metrics_configure(d->metrics, cfg, err, errlen) == -1)
		log_warnx("reload: %s", err);
	config_unref(d->cfg);
	d->cfg = cfg;
	stats_inc(STAT_RELOADS);
	log_info("reloaded %s", d->cfgpath);
	return 0;
}

/* SIGHUP and smarthostctl reload: 0, or -1 with the reason in err.  The
 * service manager sees RELOADING until READY comes back, either way. */
static int
reload(struct daemon *d, char *err, size_t errlen)
{
	int	r;

	sdnotify_reloading();
	r = reload_config(d, err, errlen);
	sdnotify_send(r == 0 ? "READY=1\nSTATUS=running" :
	    "READY=1\nSTATUS=reload failed, configuration unchanged");
	return r;
}

static int
control_reload(void *arg, char *err, size_t errlen)
{
	return reload(arg, err, errlen);
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon	*d = arg;
	/* Deliveries done, and the QUITs relay_shutdown() sent answered. */
	int		 idle = queue_quiesce(d->queue) && relay_quiet();
	int		 sessions = smtp_server_sessions(d->server);

	if ((idle && sessions == 0) || now() - d->stopping >= SHUTDOWN_GRACE) {
		if (sessions > 0 || !idle)
			log_info("shutdown: %d sessions and deliveries cut "
			    "short; the queue is on disk", sessions);
		event_base_loopexit(d->base, NULL);
	}
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct daemon	*d = arg;
	struct timeval	 tv = { 0, 100 * 1000 };

	if (sig == SIGHUP) {
		char	err[1024];

		reload(d, err, sizeof(err));
		return;
	}
	if (d->stopping)
		return;
	log_info("received signal %d, shutting down", (int)sig);
	sdnotify_send("STOPPING=1");
	d->stopping = now();
	smtp_server_stop_listening(d->server);
	smtp_server_shutdown_sessions(d->server);
	queue_quiesce(d->queue);
	/* Idle pooled connections say QUIT while the loop still runs. */
	relay_shutdown();
	d->ev_tick = event_new(d->base, -1, EV_PERSIST, tick_cb, d);
	evtimer_add(d->ev_tick, &tv);
}

/*
 * After the listeners are bound (port 25 needs root), become cfg->user for
 * good: the spool is given to it first, so the queue stays writable.  A
 * reload that adds a listener on a privileged port will then fail to bind,
 * and is refused as a whole (as any reload whose sockets cannot open).
 */
static void
drop_privileges(struct daemon *d)
{
	struct passwd	*pw;
	char		 err[1024];

	if (d->cfg->user == NULL)
		return;
	errno = 0;
	if ((pw = getpwnam(d->cfg->user)) == NULL)
		fatalx("user \"%s\": no such user", d->cfg->user);
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid())
			return;
		fatalx("user \"%s\": only root can switch to another user",
		    d->cfg->user);
	}
	if (spool_chown(d->spool, pw->pw_uid, pw->pw_gid, err, sizeof(err)) ==
	    -1)
		fatalx("spool: %s", err);
	/* The daemon removes its control socket at exit; root can still
	 * connect to it, being root. */
	if (d->cfg->control != NULL &&
	    fchownat(AT_FDCWD, d->cfg->control, pw->pw_uid, pw->pw_gid,
	    AT_SYMLINK_NOFOLLOW) == -1 &&
	    errno != ENOENT)
		fatal("cannot give %s to user \"%s\"", d->cfg->control,
		    d->cfg->user);
	/* Keys, users and password files stay readable as root for
	 * reloads, through a helper that serves only the files the
	 * configuration names (privread.h). */
	if (privread_start(d->cfgpath, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to user \"%s\"", d->cfg->user);
	if (setuid(0) != -1)
		fatalx("still able to regain root after dropping privileges");
	log_info("running as user %s (uid %ld, gid %ld)", d->cfg->user,
	    (long)pw->pw_uid, (long)pw->pw_gid);
}

/*
 * The configuration file's path made absolute against the working
 * directory at start, so that SIGHUP and smarthostctl reload read the same
 * file after daemon() has changed directory to "/".  Symbolic links are
 * kept as they are: an administrator who points the link elsewhere means
 * the new file to be read.
 */
static char *
absolute_config_path(const char *path)
{
	char	*cwd, *abs;

	if (path[0] == '/')
		return xstrdup(path);
	if ((cwd = getcwd(NULL, 0)) == NULL)
		fatal("cannot make %s absolute: getcwd", path);
	while (path[0] == '.' && path[1] == '/')
		for (path += 2; *path == '/'; path++)
			;
	abs = xasprintf("%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/",
	    path);
	free(cwd);
	return abs;
}

/*
 * The pid file is opened before the privilege drop, so that it may live
 * where only root writes (/run), and filled in after daemon() with the
 * final pid.  The descriptor stays open: at a clean exit the file is
 * removed, or, when the dropped user may not remove it from its
 * directory, emptied so that it names no process (doc/decisions.md).
 */
static void
pid_file_open(struct daemon *d)
{
	if (d->cfg->pid_file == NULL)
		return;
	d->pid_path = xstrdup(d->cfg->pid_file);
	if ((d->pid_fd = open(d->pid_path, O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1)
		fatal("cannot open pid file %s", d->pid_path);
	/* Whatever the umask: it is for everyone to read. */
	if (fchmod(d->pid_fd, 0644) == -1)
		fatal("cannot set the mode of pid file %s", d->pid_path);
}

static void
pid_file_write(struct daemon *d)
{
	char	buf[32];
	int	n;

	if (d->pid_fd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(d->pid_fd, 0) == -1 ||
	    pwrite(d->pid_fd, buf, (size_t)n, 0) != n)
		log_warn("cannot write pid file %s", d->pid_path);
}

static void
pid_file_remove(struct daemon *d)
{
	if (d->pid_fd == -1)
		return;
	if (unlinkat(AT_FDCWD, d->pid_path, 0) == -1 && errno != ENOENT &&
	    ftruncate(d->pid_fd, 0) == -1)
		log_warn("cannot remove or empty pid file %s", d->pid_path);
	close(d->pid_fd);
	d->pid_fd = -1;
	free(d->pid_path);
	d->pid_path = NULL;
}

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	struct daemon	 d;
	char		 err[1024];
	int		 ch, check = 0, debug = 0, n;

	const char	*cfgarg = SYSCONFDIR "/smarthostd.conf";

	memset(&d, 0, sizeof(d));
	d.pid_fd = -1;
	while ((ch = getopt_long(argc, argv, "c:dfhnv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			cfgarg = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			d.foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'h':
			usage(0);
		case 'v':
			/* A build with features left out says which
			 * (configure.ac), as the tests and admins ask. */
			if (FEATURES_OUT[0] != '\0')
				printf("smarthostd %s (built without: %s)\n",
				    PACKAGE_VERSION, FEATURES_OUT);
			else
				printf("smarthostd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);

	log_init("smarthostd", 1, debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	/* Errors name the file as it was given; reloads use the
	 * absolute path. */
	if ((d.cfg = config_load(cfgarg, err, sizeof(err))) == NULL) {
		die(1, "%s", err);
	}
	log_config_warnings(d.cfg);
	if (check) {
		printf("%s: configuration OK\n", cfgarg);
		config_unref(d.cfg);
		return 0;
	}
	d.cfgpath = absolute_config_path(cfgarg);
	log_setup(d.foreground || d.cfg->log_stderr,
	    debug ? LOG_LEVEL_DEBUG : d.cfg->log_level);

	signal(SIGPIPE, SIG_IGN);
	if (sdnotify_init(err, sizeof(err)) == -1)
		log_warnx("%s", err);
	/* MX shuffling and retry jitter must differ between starts. */
	{
		struct timespec	ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		srandom((unsigned)(ts.tv_nsec ^ ts.tv_sec ^ getpid()));
	}
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((d.spool = spool_open(d.cfg->spool, err, sizeof(err))) == NULL)
		fatalx("spool: %s", err);
	if ((d.commits = spool_commits_new(d.spool, d.base)) == NULL)
		fatal("spool: cannot set up commits");
	if ((d.dns = resolver_new(d.base, d.cfg, err, sizeof(err))) == NULL)
		fatalx("resolver: %s", err);
	relay_init(d.base, d.dns);
	d.receive = receive_new(d.spool, d.commits, queue_sink, &d);
	receive_set_hooks(d.receive, &receive_filters, NULL);
	d.queue = queue_new(d.base, d.spool, d.receive, d.cfg);
	d.server = smtp_server_new(d.base, d.spool, d.receive);
	if (smtp_server_configure(d.server, d.cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	d.metrics = metrics_new(d.base, d.queue, d.server);
	if (metrics_configure(d.metrics, d.cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* Before any privilege drop: the socket may live where only root
	 * may write. */
	if (d.cfg->control != NULL && (d.control = control_new(d.base,
	    d.cfg->control, d.queue, d.server, control_reload, &d, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	pid_file_open(&d);
	drop_privileges(&d);

	if (!d.foreground) {
		/* Keep stderr when the file asks for logs there. */
		if (daemon(0, d.cfg->log_stderr) == -1)
			fatal("daemon");
		if (event_reinit(d.base) == -1)
			fatalx("event_reinit failed");
	}
	pid_file_write(&d);

	d.ev_hup = evsignal_new(d.base, SIGHUP, signal_cb, &d);
	d.ev_term = evsignal_new(d.base, SIGTERM, signal_cb, &d);
	d.ev_int = evsignal_new(d.base, SIGINT, signal_cb, &d);
	evsignal_add(d.ev_hup, NULL);
	evsignal_add(d.ev_term, NULL);
	evsignal_add(d.ev_int, NULL);

	stats_start(now());
	n = queue_recover(d.queue);
	log_info("smarthostd %s started, %d queued message%s recovered",
	    PACKAGE_VERSION, n, n == 1 ? "" : "s");
	/* After recovery: a file picked up now is new mail, not a
	 * message the queue already holds. */
	d.incoming = incoming_new(d.base, d.spool, d.queue, d.receive);
	sdnotify_send("READY=1\nSTATUS=running");

	event_base_dispatch(d.base);

	log_info("smarthostd stopped; %d message%s queued", queue_length(d.queue),
	    queue_length(d.queue) == 1 ? "" : "s");
	sdnotify_close();
	control_free(d.control);
	metrics_free(d.metrics);
	incoming_free(d.incoming);
	smtp_server_free(d.server);
	/* What relayers still hold ends before the queue that gave it. */
	relay_exit();
	queue_free(d.queue);
	resolver_free(d.dns);
	/* Commits first: undoing them needs the spool's directories. */
	spool_commits_free(d.commits);
	spool_free(d.spool);
	/* After the commits: abandoned ones were still receive.c's. */
	receive_free(d.receive);
	event_free(d.ev_hup);
	event_free(d.ev_term);
	event_free(d.ev_int);
	if (d.ev_tick)
		event_free(d.ev_tick);
	pid_file_remove(&d);
	config_unref(d.cfg);
	event_base_free(d.base);
	privread_stop();
	free(d.cfgpath);
	return 0;
}
