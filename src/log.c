/*
 * log.c — owns where log lines go (syslog or stderr) and the level filter.
 * Every module reports through these functions; nothing else writes to
 * stderr or syslog.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		log_to_stderr = 1;
static enum log_level	log_lvl = LOG_LEVEL_INFO;
static const char	*log_ident = "smarthostd";

void
log_init(const char *ident, int to_stderr, enum log_level level)
{
	log_ident = ident;
	log_setup(to_stderr, level);
}

void
log_setup(int to_stderr, enum log_level level)
{
	if (!to_stderr && log_to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_to_stderr = to_stderr;
	log_lvl = level;
}

static void
vlog(enum log_level level, int prio, const char *errstr, const char *fmt,
    va_list ap)
{
	char	 msg[4096];
	int	 n;

	if (level > log_lvl)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (errstr != NULL && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", errstr);
	if (log_to_stderr) {
		struct timespec	ts;
		struct tm	tm;
		char		tbuf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s: %s\n", tbuf,
		    ts.tv_nsec / 1000000, log_ident, msg);
	} else
		syslog(prio, "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
log_event(const char *event, const char *fmt, ...)
{
	char	buf[4096];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Events are the mail log: shown at info and above. */
	log_info("%s %s", event, buf);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, LOG_CRIT, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
