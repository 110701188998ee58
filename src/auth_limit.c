/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth_limit.c — owns the per-address count of failed AUTH attempts (see
 * auth_limit.h).  A small table searched linearly: AUTH is rare next to a
 * crypt(3) check, and the table is bounded; when full, the entry idle
 * longest makes room.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_limit.h"
#include "util.h"

struct entry {
	char	key[AUTH_LIMIT_KEY_MAX];
	int	count;		/* failed or running attempts in the window */
	time_t	start;		/* of the window */
	time_t	until;		/* end of the penalty, or 0 */
	time_t	last;		/* last activity, for eviction */
};

struct auth_limit {
	struct entry	*e;
	size_t		 n, cap;
};

struct auth_limit *
auth_limit_new(void)
{
	return xcalloc(1, sizeof(struct auth_limit));
}

void
auth_limit_free(struct auth_limit *al)
{
	if (al == NULL)
		return;
	free(al->e);
	free(al);
}

void
auth_limit_key(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6	*s6;
	struct in6_addr			 a;

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, len);
		return;
	}
	if (sa->sa_family != AF_INET6) {
		snprintf(buf, len, "?");
		return;
	}
	s6 = (const struct sockaddr_in6 *)sa;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, len);
		return;
	}
	a = s6->sin6_addr;
	memset(&a.s6_addr[8], 0, 8);
	inet_ntop(AF_INET6, &a, buf, len);
	if (strlen(buf) + 4 < len)
		strcat(buf, "/64");
}

static struct entry *
find(struct auth_limit *al, const char *key)
{
	size_t	i;

	for (i = 0; i < al->n; i++)
		if (strcmp(al->e[i].key, key) == 0)
			return &al->e[i];
	return NULL;
}

/* The entry of key, made when missing; the window restarted if over. */
static struct entry *
get(struct auth_limit *al, const struct auth_limit_conf *c, const char *key,
    time_t now)
{
	struct entry	*e = find(al, key);
	size_t		 i, old = 0;

	if (e == NULL) {
		if (al->n == AUTH_LIMIT_ENTRIES) {
			for (i = 1; i < al->n; i++)
				if (al->e[i].last < al->e[old].last)
					old = i;
			e = &al->e[old];
		} else {
			if (al->n == al->cap) {
				al->cap = al->cap ? al->cap * 2 : 64;
				al->e = xreallocarray(al->e, al->cap,
				    sizeof(*al->e));
			}
			e = &al->e[al->n++];
		}
		memset(e, 0, sizeof(*e));
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->start = now;
	}
	if (e->until != 0 && now >= e->until) {
		e->until = 0;
		e->count = 0;
		e->start = now;
	}
	if (e->until == 0 && now - e->start >= c->window) {
		e->count = 0;
		e->start = now;
	}
	e->last = now;
	return e;
}

long
auth_limit_wait(struct auth_limit *al, const struct auth_limit_conf *c,
    const char *key, time_t now)
{
	struct entry	*e;

	if (c->max <= 0)
		return 0;
	e = get(al, c, key, now);
	if (e->until == 0 && e->count >= c->max)
		e->until = now + c->penalty;
	return e->until > now ? (long)(e->until - now) : 0;
}

bool
auth_limit_begin(struct auth_limit *al, const struct auth_limit_conf *c,
    const char *key, time_t now)
{
	if (c->max <= 0)
		return true;
	if (auth_limit_wait(al, c, key, now) > 0)
		return false;
	get(al, c, key, now)->count++;
	return true;
}

void
auth_limit_success(struct auth_limit *al, const char *key)
{
	struct entry	*e = find(al, key);

	if (e != NULL && e->count > 0)
		e->count--;
}
