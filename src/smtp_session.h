/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_session.h — one ESMTP session, as smtp_server.c (the listeners)
 * starts it.  Nothing else includes it but the session's own files
 * (through smtp_session_int.h).
 *
 * The session gets everything it needs at creation (struct
 * smtp_session_env) and never calls into the server: it runs on its own
 * and, once it is being freed, says so through the env's end callback, so
 * that the listener's connection count and the server's session list stay
 * right.  Accepted mail goes to receive.c.
 */
#ifndef SMARTHOSTD_SMTP_SESSION_H
#define SMARTHOSTD_SMTP_SESSION_H

#include <sys/socket.h>

struct event_base;
struct spool;
struct receive;
struct config;
struct listener_conf;
struct smtp_session;
struct auth_users;
struct auth_worker;
struct auth_limit;
struct ssl_ctx_st;

struct smtp_session_env {
	struct event_base	*base;
	struct spool		*spool;		/* free space, at MAIL */
	struct receive		*receive;	/* where accepted mail goes */
	/* The listener's TLS context (NULL: none) and users (NULL: no
	 * AUTH) as the last configure built them; the session takes its
	 * own references, so a reload never changes them under it. */
	struct ssl_ctx_st	*ssl_ctx;
	struct auth_users	*users;
	/* Shared by every session: the password-check thread and the
	 * failed AUTH count per client address (#19 item 5). */
	struct auth_worker	*auth_worker;
	struct auth_limit	*auth_limit;
	/* The session is being freed (never called for a session that
	 * smtp_session_new() could not start). */
	void			(*end)(void *arg, struct smtp_session *);
	void			*end_arg;
};

/*
 * Start a session on an accepted, non-blocking socket: sends the 220
 * greeting.  Copies env, takes a reference to cfg (lc must belong to it)
 * and owns fd.  NULL when it cannot be set up (fd is closed).
 */
struct smtp_session *smtp_session_new(const struct smtp_session_env *,
		    struct config *cfg, const struct listener_conf *lc,
		    int fd, const struct sockaddr *sa, socklen_t salen);

/* Close a session now, whatever it is doing (server shutdown).  Calls
 * the end callback like any other end. */
void		 smtp_session_free(struct smtp_session *);

/* The daemon is stopping: a session still in its TLS handshake is closed
 * silently; the others go on (the shutdown grace bounds them). */
void		 smtp_session_shutdown(struct smtp_session *);

#endif
