/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth_limit.h — failed AUTH per client address, across sessions (pure;
 * time comes in from the caller).  Like Postfix's anvil: a client address
 * that reaches `max` failed (or still running) attempts within `window`
 * seconds is refused AUTH for `penalty` seconds.  IPv6 clients count per
 * /64, since one host usually holds the whole prefix.
 */
#ifndef SMARTHOSTD_AUTH_LIMIT_H
#define SMARTHOSTD_AUTH_LIMIT_H

#include <sys/socket.h>

#include <stdbool.h>
#include <time.h>

#define AUTH_LIMIT_KEY_MAX	48
#define AUTH_LIMIT_ENTRIES	10000	/* addresses remembered at most */

struct auth_limit_conf {
	int	max;		/* 0: no limit */
	long	window;		/* seconds */
	long	penalty;	/* seconds */
};

struct auth_limit;

struct auth_limit	*auth_limit_new(void);
void			 auth_limit_free(struct auth_limit *);

/* The key of a client address: the IPv4 address, or the IPv6 /64. */
void	auth_limit_key(const struct sockaddr *, char *, size_t);

/* May key start an attempt at now?  When it may, the attempt is counted
 * (as a failure until auth_limit_success() says otherwise). */
bool	auth_limit_begin(struct auth_limit *, const struct auth_limit_conf *,
	    const char *key, time_t now);
/* The attempt counted by auth_limit_begin() succeeded. */
void	auth_limit_success(struct auth_limit *, const char *key);
/* Seconds key still has to wait (0 when it may try). */
long	auth_limit_wait(struct auth_limit *, const struct auth_limit_conf *,
	    const char *key, time_t now);

#endif
