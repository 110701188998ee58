/*
 * smarthostctl.c — the command-line side of the control socket: finds the
 * socket (-s, or the `control` setting of the configuration file), sends
 * one request line, prints the answer.  Exit 0 when the daemon said "ok",
 * 1 for any error, with the reason on stderr.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define CTL_TIMEOUT	60	/* seconds for the whole exchange; a reload
				   of a large file is the slowest command */
#define HEAD_MAX	4096	/* the first line of the answer */

/* The usage on stdout with status 0 (asked for), else on stderr. */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: smarthostctl [-c file] [-s socket] [--json] command [args]\n"
	    "       smarthostctl --help | --version\n"
	    "commands:\n"
	    "  queue        list queued messages\n"
	    "  show ID      one message in detail\n"
	    "  flush [ID]   attempt delivery now (one message or all)\n"
	    "  remove ID | SELECTOR | --all\n"
	    "               remove messages without a bounce\n"
	    "  hold ID | SELECTOR\n"
	    "               keep messages from delivery and expiry\n"
	    "  release ID | SELECTOR | --all\n"
	    "               let held messages go again\n"
	    "  queues       one line per scheduled queue (qshape)\n"
	    "  reload       re-read the configuration file (as SIGHUP)\n"
	    "  stats        counters since start\n"
	    "  SELECTOR     --queue NAME, --sender PATTERN, --recipient PATTERN\n"
	    "               (patterns as in rewrite; <> is the null sender)\n"
	    "  -c file      configuration file (default %s/smarthostd.conf)\n"
	    "  -s socket    control socket (instead of the file's control)\n"
	    "  --json       JSON output\n", SYSCONFDIR);
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	ap;

	fputs("smarthostctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* An argument becomes one word of the request line: no blanks, no
 * control characters, nothing the daemon would split or refuse. */
static bool
word_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static char *
socket_from_config(const char *path)
{
	struct config	*cfg;
	char		 err[1024], *sock;

	if ((cfg = config_load(path, err, sizeof(err))) == NULL)
		die("%s", err);
	if (cfg->control == NULL)
		die("%s: the control socket is disabled (control = \"\")",
		    path);
	sock = xstrdup(cfg->control);
	config_unref(cfg);
	return sock;
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy_(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		die("%s: socket path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			die("cannot connect to %s: %s (is smarthostd "
			    "running?)", path, strerror(errno));
		die("cannot connect to %s: %s", path, strerror(errno));
	}
	return fd;
}

/* Wait for fd to be ready for events before the deadline. */
static void
ctl_wait(int fd, short events, time_t deadline, const char *path)
{
	struct pollfd	pfd = { .fd = fd, .events = events };
	time_t		left;
	int		rc;

	for (;;) {
		left = deadline - time(NULL);
		if (left <= 0)
			die("%s: no answer from smarthostd within %d seconds",
			    path, CTL_TIMEOUT);
		rc = poll(&pfd, 1, (int)left * 1000);
		if (rc > 0)
			return;
		if (rc == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
	}
}

static void
ctl_send(int fd, const char *req, size_t len, time_t deadline,
    const char *path)
{
	ssize_t	n;
	size_t	off = 0;

	while (off < len) {
		ctl_wait(fd, POLLOUT, deadline, path);
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("%s: send: %s", path, strerror(errno));
		}
		off += (size_t)n;
	}
}

/* Read the answer; print it, or its error.  Returns the exit status. */
static int
ctl_answer(int fd, time_t deadline, const char *path)
{
	char	 head[HEAD_MAX + 1], buf[8192], *nl;
	size_t	 hlen = 0;
	ssize_t	 n;

	/* The first line says ok or error. */
	while ((nl = memchr(head, '\n', hlen)) == NULL) {
		if (hlen == HEAD_MAX)
			die("%s: answer line too long", path);
		ctl_wait(fd, POLLIN, deadline, path);
		n = read(fd, head + hlen, HEAD_MAX - hlen);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("%s: read: %s", path, strerror(errno));
		}
		if (n == 0)
			die("%s: connection closed without an answer", path);
		hlen += (size_t)n;
	}
	*nl = '\0';
	if (strncmp(head, "error ", 6) == 0) {
		fprintf(stderr, "smarthostctl: %s\n", head + 6);
		return 1;
	}
	if (strcmp(head, "ok") != 0)
		die("%s: unexpected answer \"%.100s\"", path, head);

	/* The rest is the output, streamed as it comes. */
	nl++;
	if (fwrite(nl, 1, hlen - (size_t)(nl - head), stdout) !=
	    hlen - (size_t)(nl - head))
		die("stdout: %s", strerror(errno));
	for (;;) {
		ctl_wait(fd, POLLIN, deadline, path);
		n = read(fd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("%s: read: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			die("stdout: %s", strerror(errno));
	}
	if (fflush(stdout) == EOF)
		die("stdout: %s", strerror(errno));
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*cfgpath = SYSCONFDIR "/smarthostd.conf";
	char		*sockpath = NULL, req[CONTROL_REQUEST_MAX];
	bool		 json = false;
	size_t		 len = 0;
	time_t		 deadline;
	int		 i, fd, nwords = 0, rc;

	log_init("smarthostctl", 1, LOG_LEVEL_WARN);
	/* Options come first; --json is also taken after the command, as
	 * in "smarthostctl queue --json". */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			usage(0);
		else if (strcmp(argv[i], "--version") == 0) {
			printf("smarthostctl %s\n", PACKAGE_VERSION);
			return 0;
		}
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			cfgpath = argv[++i];
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			sockpath = xstrdup(argv[++i]);
		else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
			cfgpath = argv[i] + 2;
		else if (strncmp(argv[i], "-s", 2) == 0 && argv[i][2] != '\0')
			sockpath = xstrdup(argv[i] + 2);
		else
			usage(1);
	}
	if (i == argc)
		usage(1);

	req[0] = '\0';
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
			continue;
		}
		if (!word_ok(argv[i]))
			die("invalid argument \"%s\"", argv[i]);
		if (len + strlen(argv[i]) + 16 >= sizeof(req))
			die("request too long");
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s%s",
		    nwords++ ? " " : "", argv[i]);
	}
	if (nwords == 0)
		usage(1);
	len += (size_t)snprintf(req + len, sizeof(req) - len, "%s\n",
	    json ? " --json" : "");

	if (sockpath == NULL)
		sockpath = socket_from_config(cfgpath);
	deadline = time(NULL) + CTL_TIMEOUT;
	fd = ctl_connect(sockpath);
	ctl_send(fd, req, len, deadline, sockpath);
	rc = ctl_answer(fd, deadline, sockpath);
	close(fd);
	free(sockpath);
	return rc;
}
