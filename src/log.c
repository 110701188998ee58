/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * log.c — owns where log lines go (syslog or stderr), the level filter and
 * the escaping of logged values (doc/logging.md).  Every module reports
 * through these functions; nothing else writes to stderr or syslog.
 *
 * Mail log lines (log_event) are key=value pairs: every %s value is quoted
 * and escaped when it holds anything that could forge a field or a line.
 * Other messages keep their text but never a control character or a
 * non-ASCII byte: those become \xHH, so no message can make a second line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
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

/*
 * The escaping formatter.
 */

#define LOG_VALUE_MAX	1024	/* octets of one value shown; then "..." */

struct out {
	char	*buf;
	size_t	 size, len;	/* len may pass size: the text was cut */
};

static void
out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void
out_str(struct out *o, const char *s)
{
	while (*s != '\0')
		out_char(o, *s++);
}

/* One octet as it appears inside quotes: \" \\ \xHH or itself. */
static void
out_escaped(struct out *o, unsigned char c)
{
	static const char	hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		out_char(o, '\\');
		out_char(o, c);
	} else if (c < 0x20 || c >= 0x7f) {
		out_char(o, '\\');
		out_char(o, 'x');
		out_char(o, hex[c >> 4]);
		out_char(o, hex[c & 15]);
	} else
		out_char(o, c);
}

enum val_ctx { VAL_BARE, VAL_ANGLE, VAL_QUOTED };

/* Whether a value must be quoted to stay one field. */
static int
needs_quotes(const char *v, enum val_ctx ctx)
{
	const unsigned char	*p = (const unsigned char *)v;

	if (*p == '\0')
		return ctx == VAL_BARE;
	for (; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' ||
		    *p == '=')
			return 1;
		if (ctx == VAL_ANGLE && (*p == '<' || *p == '>'))
			return 1;
	}
	return 0;
}

static void
out_value(struct out *o, const char *v, size_t len, enum val_ctx ctx)
{
	char	*copy = NULL;
	size_t	 i;
	int	 quote;

	if (v == NULL)
		v = "(null)";
	if (len == (size_t)-1)
		len = strlen(v);
	else {
		/* strndup() stops at a NUL too: the copy's length is
		 * strnlen()'s. */
		v = copy = strndup(v, len);
		if (v == NULL)
			return;
		len = strlen(v);
	}
	quote = ctx != VAL_QUOTED && needs_quotes(v, ctx);
	if (quote || ctx == VAL_QUOTED)
		out_char(o, '"');
	if (ctx == VAL_ANGLE)
		out_char(o, '<');
	for (i = 0; i < len && i < LOG_VALUE_MAX; i++)
		out_escaped(o, (unsigned char)v[i]);
	if (len > LOG_VALUE_MAX)
		out_str(o, "...");
	if (ctx == VAL_ANGLE)
		out_char(o, '>');
	if (quote || ctx == VAL_QUOTED)
		out_char(o, '"');
	free(copy);
}

/* One numeric or character conversion, spec being "%...c". */
static void
out_number(struct out *o, const char *spec, const char *len, char conv,
    va_list *ap)
{
	char	tmp[64];

	tmp[0] = '\0';
	if (conv == 'p')
		snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, void *));
	else if (conv == 'c') {
		out_escaped(o, (unsigned char)va_arg(*ap, int));
		return;
	} else if (strcmp(len, "ll") == 0)
		snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, long long));
	else if (strcmp(len, "l") == 0)
		snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, long));
	else if (strcmp(len, "z") == 0)
		snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, size_t));
	else if (strcmp(len, "j") == 0)
		snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, intmax_t));
	else if (strcmp(len, "t") == 0)
		snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, ptrdiff_t));
	else
		snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, int));
	out_str(o, tmp);
}

int
log_vformat(char *buf, size_t size, const char *fmt, va_list ap0)
{
	struct out	 o = { buf, size, 0 };
	const char	*f = fmt, *start;
	char		 spec[32], len[3];
	size_t		 n;
	int		 prec;
	va_list		 ap;

	va_copy(ap, ap0);
	while (*f != '\0') {
		/* <%s> and "%s": the delimiters belong to the value. */
		if ((f[0] == '<' || f[0] == '"') && f[1] == '%' && f[2] == 's' &&
		    f[3] == (f[0] == '<' ? '>' : '"')) {
			out_value(&o, va_arg(ap, const char *), (size_t)-1,
			    f[0] == '<' ? VAL_ANGLE : VAL_QUOTED);
			f += 4;
			continue;
		}
		if (*f != '%') {
			out_char(&o, *f++);
			continue;
		}
		if (f[1] == '%') {
			out_char(&o, '%');
			f += 2;
			continue;
		}
		start = f++;
		if (f[0] == '.' && f[1] == '*' && f[2] == 's') {
			/* %.*s: the first n octets of a value. */
			prec = va_arg(ap, int);
			out_value(&o, va_arg(ap, const char *),
			    prec < 0 ? (size_t)-1 : (size_t)prec, VAL_BARE);
			f += 3;
			continue;
		}
		f += strspn(f, "-+ #0");
		f += strspn(f, "0123456789");
		if (*f == '.') {
			f++;
			f += strspn(f, "0123456789");
		}
		n = strspn(f, "hlzjt");
		if (n > 2)
			break;
		memcpy(len, f, n);
		len[n] = '\0';
		f += n;
		if (*f == '\0' || strchr("diuxXocps", *f) == NULL ||
		    (size_t)(f + 1 - start) >= sizeof(spec))
			break;	/* not a conversion we know: stop here */
		if (*f == 's')
			out_value(&o, va_arg(ap, const char *), (size_t)-1,
			    VAL_BARE);
		else {
			memcpy(spec, start, f + 1 - start);
			spec[f + 1 - start] = '\0';
			out_number(&o, spec, len, *f, &ap);
		}
		f++;
	}
	va_end(ap);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int
log_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = log_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void
log_sanitize(char *dst, size_t size, const char *src)
{
	struct out	o = { dst, size, 0 };

	for (; *src != '\0'; src++) {
		if ((unsigned char)*src < 0x20 || (unsigned char)*src >= 0x7f)
			out_escaped(&o, (unsigned char)*src);
		else
			out_char(&o, *src);
	}
	if (size > 0)
		dst[o.len < size ? o.len : size - 1] = '\0';
}

static void
emit(int prio, const char *raw)
{
	char	msg[8192];

	log_sanitize(msg, sizeof(msg), raw);
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
	emit(prio, msg);
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
	size_t	n;
	va_list	ap;

	/* Events are the mail log: shown at info and above. */
	if (LOG_LEVEL_INFO > log_lvl)
		return;
	n = snprintf(buf, sizeof(buf), "%s ", event);
	if (n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	log_vformat(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	emit(LOG_INFO, buf);
}

void
log_event_text(const char *event, const char *pairs)
{
	char	buf[4096];

	if (LOG_LEVEL_INFO > log_lvl)
		return;
	snprintf(buf, sizeof(buf), "%s %s", event, pairs);
	emit(LOG_INFO, buf);
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
die(int status, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", log_ident);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
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
