/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * log.h — the one error vocabulary of smarthostd.
 *
 * log_warn() appends strerror(errno); log_warnx() does not.  fatal() and
 * fatalx() exit the process and are only for start-up or impossible states:
 * a session never exits the process.  log_event() writes one key=value line
 * per mail event (accepted, queued, delivered, deferred, bounced, expired,
 * rejected).
 */
#ifndef SMARTHOSTD_LOG_H
#define SMARTHOSTD_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Start logging as `ident`, to stderr when to_stderr, else to syslog. */
void	log_init(const char *ident, int to_stderr, enum log_level level);
/* Change destination and level (after the configuration is read). */
void	log_setup(int to_stderr, enum log_level level);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * The command-line programs' way out (smarthostctl, smarthost-sendmail,
 * smarthostd before it runs): "<ident>: message" on stderr, the ident
 * log_init() was given, then exit(status) (a sysexits.h code where the
 * caller has one).  Plain text to the user who ran the command, never a
 * log line: no time stamp, no syslog.
 */
void	die(int status, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/*
 * One event line: "<event> " followed by the formatted key=value pairs.
 * Every %s value is escaped as doc/logging.md says: bare when it is plain
 * printable ASCII without blanks, quotes, backslashes or '='; otherwise in
 * double quotes with \" \\ and \xHH.  "<%s>" (an address) and "\"%s\""
 * take their delimiters into the value.
 */
void	log_event(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* log_event() of a line whose pairs log_format() has already escaped:
 * how a line with optional fields is built in pieces. */
void	log_event_text(const char *event, const char *pairs);

/* vsnprintf with log_event's escaping of every %s; the length it wanted. */
int	log_vformat(char *, size_t, const char *, va_list);
int	log_format(char *, size_t, const char *, ...);
/* Copy src with every control and non-ASCII octet as \xHH. */
void	log_sanitize(char *, size_t, const char *);

#endif
