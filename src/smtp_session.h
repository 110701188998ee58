/*
 * smtp_session.h — private interface between smtp_server.c (listeners) and
 * smtp_session.c (one ESMTP session).  Nothing else includes it.
 *
 * The server accepts a connection and calls smtp_session_new(); the session
 * runs on its own from then on and, once it has freed itself, tells the
 * server through smtp_server_session_end() so that the listener's connection
 * count and the server's session list stay right.
 */
#ifndef SMARTHOSTD_SMTP_SESSION_H
#define SMARTHOSTD_SMTP_SESSION_H

#include <sys/socket.h>

struct event_base;
struct spool;
struct queue;
struct config;
struct listener_conf;
struct smtp_server;
struct smtp_session;
struct auth_users;

/*
 * Start a session on an accepted, non-blocking socket: sends the 220
 * greeting.  Takes a reference to cfg (lc must belong to it) and owns fd.
 */
struct smtp_session *smtp_session_new(struct smtp_server *, struct config *cfg,
		    const struct listener_conf *lc, int fd,
		    const struct sockaddr *sa, socklen_t salen);

/* Close a session now, whatever it is doing (server shutdown).  Calls
 * smtp_server_session_end() like any other end. */
void		 smtp_session_free(struct smtp_session *);

/* The daemon is stopping: a session still in its TLS handshake is closed
 * silently; the others go on (the shutdown grace bounds them). */
void		 smtp_session_shutdown(struct smtp_session *);

/* What a session needs from the server (implemented in smtp_server.c). */
struct event_base *smtp_server_base(struct smtp_server *);
struct spool	*smtp_server_spool(struct smtp_server *);
struct receive	*smtp_server_receive(struct smtp_server *);
/* The TLS context (NULL: none) and users (NULL: no AUTH) of the listener
 * whose settings are lc, as built by the last configure; a session takes
 * its own references at once. */
struct ssl_ctx_st *smtp_server_tls_ctx(struct smtp_server *,
		    const struct listener_conf *);
struct auth_users *smtp_server_users(struct smtp_server *,
		    const struct listener_conf *);
/* The session is being freed: forget it. */
void		 smtp_server_session_end(struct smtp_server *,
		    struct smtp_session *);

#endif
