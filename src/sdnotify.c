/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sdnotify.c — the sd_notify(3) datagram protocol without libsystemd.
 *
 * The socket is opened once at start, before any privilege drop and
 * before the maildrop relayer can fork, and the variable is removed from
 * the environment so no child talks to the service manager for us.  A
 * name starting with '@' is in the abstract namespace.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sdnotify.h"

static int			 nfd = -1;
static struct sockaddr_un	 naddr;
static socklen_t		 naddrlen;
static int			 warned;

int
sdnotify_init(char *err, size_t errlen)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 len;

	if (path == NULL || *path == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    len >= sizeof(naddr.sun_path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET: not a unix socket path");
		unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	memset(&naddr, 0, sizeof(naddr));
	naddr.sun_family = AF_UNIX;
	memcpy(naddr.sun_path, path, len);
	if (path[0] == '@')
		naddr.sun_path[0] = '\0';
	naddrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	unsetenv("NOTIFY_SOCKET");
	if ((nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
sdnotify_send(const char *state)
{
	if (nfd == -1)
		return;
	if (sendto(nfd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&naddr, naddrlen) == -1 && !warned) {
		warned = 1;
		log_warn("cannot notify the service manager");
	}
}

void
sdnotify_reloading(void)
{
	struct timespec	ts;
	char		msg[80];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	sdnotify_send(msg);
}

void
sdnotify_close(void)
{
	if (nfd != -1)
		close(nfd);
	nfd = -1;
}
