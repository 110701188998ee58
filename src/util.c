/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * util.c — allocation that never returns NULL, and small string and time
 * helpers shared by every module.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatal("calloc");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > (size_t)-1 / size)
		fatalx("xreallocarray: overflow");
	p = realloc(p, n * size != 0 ? n * size : 1);
	if (p == NULL)
		fatal("realloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = strndup(s, n);

	if (p == NULL)
		fatal("strndup");
	return p;
}

/* vasprintf() that cannot fail; its length in *lenp. */
static char *
xvasprintf(size_t *lenp, const char *fmt, va_list ap)
{
	char	*p;
	int	 r;

	if ((r = vasprintf(&p, fmt, ap)) < 0)
		fatal("vasprintf");
	*lenp = (size_t)r;
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	size_t	 len;

	va_start(ap, fmt);
	p = xvasprintf(&len, fmt, ap);
	va_end(ap);
	return p;
}

size_t
strlcpy_(char *dst, const char *src, size_t size)
{
	size_t	len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

bool
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
str_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

void
str_ctl_to(char *s, char c)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = c;
}

char *
lowercase(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int
strcaseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

void
buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->cap - b->len < n + 1) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap - b->len < n + 1)
			cap *= 2;
		b->p = xreallocarray(b->p, cap, 1);
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	size_t	 n;

	va_start(ap, fmt);
	s = xvasprintf(&n, fmt, ap);
	va_end(ap);
	buf_add(b, s, n);
	free(s);
}

void
rfc5322_date(time_t t, char *buf, size_t size)
{
	struct tm	tm;

	/* The C locale's names are what RFC 5322 wants; always UTC.  Arrays
	 * of chars, not of pointers: no relocated data in a PIE. */
	static const char days[][4] =
	    { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

time_t
now(void)
{
	return time(NULL);
}

void
strv_free(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

bool
util_line(const char *text, size_t len, size_t *off, const char **line,
    size_t *n)
{
	const char	*nl;

	if (*off >= len)
		return false;
	*line = text + *off;
	nl = memchr(*line, '\n', len - *off);
	*n = nl != NULL ? (size_t)(nl - *line) : len - *off;
	*off += *n + (nl != NULL ? 1 : 0);
	return true;
}

int
write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
write_buffered(int fd, char *buf, size_t cap, size_t *len, const void *data,
    size_t n)
{
	const char	*p = data;
	size_t		 k;

	while (n > 0) {
		if (*len == 0 && n >= cap)
			return write_all(fd, p, n);
		k = cap - *len;
		if (k > n)
			k = n;
		memcpy(buf + *len, p, k);
		*len += k;
		p += k;
		n -= k;
		if (*len == cap) {
			if (write_all(fd, buf, cap) == -1)
				return -1;
			*len = 0;
		}
	}
	return 0;
}

size_t
send_now(int fd, const void *data, size_t len)
{
	ssize_t	n;

	if (len == 0)
		return 0;
	do
		n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n > 0 ? (size_t)n : 0;
}

ssize_t
read_upto(int fd, void *buf, size_t n, uint64_t *left)
{
	ssize_t	r;

	if (*left == 0)
		return 0;
	if (n > *left)
		n = (size_t)*left;
	if ((r = read(fd, buf, n)) > 0)
		*left -= (uint64_t)r;
	return r;
}

int
mkdir_p(const char *path, unsigned parents, unsigned last)
{
	char	*p, *s;
	int	 r = 0;

	p = xstrdup(path);
	/* "a/b/" would otherwise make "a/b" with the parents' mode. */
	for (s = p + strlen(p); s > p + 1 && s[-1] == '/'; s--)
		s[-1] = '\0';
	for (s = p + 1; *s != '\0' && r == 0; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdirat(AT_FDCWD, p, parents) == -1 && errno != EEXIST)
			r = -1;
		*s = '/';
	}
	if (r == 0) {
		if (mkdirat(AT_FDCWD, p, last) == 0)
			r = chmod(p, last) == 0 ? 1 : -1;
		else if (errno != EEXIST)
			r = -1;
	}
	free(p);
	return r;
}

char *
dir_of(const char *path)
{
	char	*d, *slash, *real;

	d = xstrdup(path);
	if ((slash = strrchr(d, '/')) == NULL) {
		free(d);
		d = xstrdup(".");
	} else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	if ((real = realpath(d, NULL)) != NULL) {
		free(d);
		return real;
	}
	return d;
}

char *
base64_encode(const void *in, size_t len)
{
	char	*out;

	if (len > (size_t)INT_MAX / 4 * 3)
		fatalx("base64_encode: %zu octets", len);
	out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

int
addr_text(const struct sockaddr *sa, char *buf, size_t len, bool unmap)
{
	const struct sockaddr_in6	*s6;
	const void			*a;
	int				 af = sa->sa_family;

	if (af == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (af == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		a = &s6->sin6_addr;
		if (unmap && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			af = AF_INET;
			a = &s6->sin6_addr.s6_addr[12];
		}
	} else
		a = NULL;
	if (a == NULL || inet_ntop(af, a, buf, (socklen_t)len) == NULL) {
		strlcpy_(buf, "unknown", len);
		return AF_UNSPEC;
	}
	return af;
}
