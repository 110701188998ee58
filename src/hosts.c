/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * hosts.c — owns the hosts(5) file format: parsing its text into a table
 * and looking names up in it.  Pure (no I/O, no globals); resolver.c reads
 * the file, re-reads it when it changes, and asks here before DNS.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hosts.h"
#include "util.h"

/* Bounds: a line longer than this is skipped, as are names past 253. */
#define LINE_MAX_	4096
#define NAME_MAX_LEN	253

struct hosts_entry {
	char			*name;		/* lower case, no final dot */
	struct sockaddr_storage	 addr;
};

struct hosts {
	struct hosts_entry	*e;
	int			 n, cap;
};

/* A host name as hosts(5) allows: letters, digits, '-', '.', '_'. */
static bool
name_ok(const char *s, size_t len)
{
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return false;
	return true;
}

static bool
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 buf[64];
	char			*pct;

	if (strlen(s) >= sizeof(buf))
		return false;
	strlcpy_(buf, s, sizeof(buf));
	/* A zone (fe80::1%eth0) cannot name a mail server: skipped. */
	if ((pct = strchr(buf, '%')) != NULL)
		return false;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

static void
add(struct hosts *h, const char *name, size_t len,
    const struct sockaddr_storage *ss)
{
	if (len > 1 && name[len - 1] == '.')
		len--;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->e = xreallocarray(h->e, h->cap, sizeof(*h->e));
	}
	h->e[h->n].name = xstrndup(name, len);
	lowercase(h->e[h->n].name);
	h->e[h->n].addr = *ss;
	h->n++;
}

/* One line, NUL-terminated, comment already cut. */
static void
parse_line(struct hosts *h, char *line)
{
	struct sockaddr_storage	 ss;
	char			*tok, *save = NULL;

	if ((tok = strtok_r(line, " \t\r", &save)) == NULL)
		return;
	if (!parse_addr(tok, &ss))
		return;
	while ((tok = strtok_r(NULL, " \t\r", &save)) != NULL)
		if (name_ok(tok, strlen(tok)))
			add(h, tok, strlen(tok), &ss);
}

struct hosts *
hosts_parse(const char *text, size_t len)
{
	struct hosts	*h = xcalloc(1, sizeof(*h));
	char		 line[LINE_MAX_ + 1];
	size_t		 off = 0, n;
	const char	*l, *hash;

	while (util_line(text, len, &off, &l, &n)) {
		if (n > LINE_MAX_)
			continue;
		memcpy(line, l, n);
		line[n] = '\0';
		/* A NUL inside a line ends it, as a C reader would see it. */
		if ((hash = strchr(line, '#')) != NULL)
			line[hash - line] = '\0';
		parse_line(h, line);
	}
	return h;
}

void
hosts_free(struct hosts *h)
{
	if (h == NULL)
		return;
	for (int i = 0; i < h->n; i++)
		free(h->e[i].name);
	free(h->e);
	free(h);
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr,
	    sizeof(struct in6_addr)) == 0;
}

int
hosts_lookup(const struct hosts *h, const char *name,
    struct sockaddr_storage *out, int max)
{
	static const int	 fam[2] = { AF_INET, AF_INET6 };
	size_t			 len;
	int			 n = 0, f, i, j;
	bool			 dup;

	if (h == NULL || name == NULL)
		return 0;
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return 0;
	for (f = 0; f < 2; f++)
		for (i = 0; i < h->n && n < max; i++) {
			if (h->e[i].addr.ss_family != fam[f] ||
			    strlen(h->e[i].name) != len ||
			    strncasecmp(h->e[i].name, name, len) != 0)
				continue;
			dup = false;
			for (j = 0; j < n && !dup; j++)
				dup = same_addr(&out[j], &h->e[i].addr);
			if (!dup)
				out[n++] = h->e[i].addr;
		}
	return n;
}
