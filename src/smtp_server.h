/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_server.h — listeners and ESMTP sessions (the receiving side).
 *
 * A listener accepts connections and starts sessions; a session reads
 * commands, keeps one transaction at a time, streams the message to the
 * spool through receive.c and answers 250 only once the message is durable
 * and queued.
 */
#ifndef SMARTHOSTD_SMTP_SERVER_H
#define SMARTHOSTD_SMTP_SERVER_H

#include <stddef.h>

struct event_base;
struct spool;
struct receive;
struct config;
struct smtp_server;

struct smtp_server *smtp_server_new(struct event_base *, struct spool *,
		    struct receive *);

/*
 * Put a configuration in force: listeners that are unchanged (same name,
 * address and port) keep their sockets, removed ones close, added ones
 * open.  New sessions use cfg; sessions in progress keep theirs.  Returns 0,
 * or -1 with a reason in err when a socket cannot be opened (then nothing
 * changed).
 */
int		 smtp_server_configure(struct smtp_server *, struct config *,
		    char *err, size_t errlen);

/* Stop accepting (shutdown); sessions in progress go on. */
void		 smtp_server_stop_listening(struct smtp_server *);

/* Shutdown: close the sessions still in a TLS handshake. */
void		 smtp_server_shutdown_sessions(struct smtp_server *);

/* Sessions in progress. */
int		 smtp_server_sessions(const struct smtp_server *);

/* Close every session now (the end of a bounded shutdown). */
void		 smtp_server_free(struct smtp_server *);

/* Call cb for every listener in force with its open sessions (metrics). */
void	smtp_server_listeners(struct smtp_server *, void (*cb)(void *arg,
	    const char *name, int sessions), void *arg);

#endif
