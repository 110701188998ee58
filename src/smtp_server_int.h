/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_server_int.h — the server's objects, shared by its two files: the
 * listeners and their configure (smtp_server.c), and each accepted
 * connection up to its session and the slots that count sessions
 * (smtp_server_conn.c).  Nothing else includes it: everyone else sees
 * smtp_server.h and an opaque server.
 */
#ifndef SMARTHOSTD_SMTP_SERVER_INT_H
#define SMARTHOSTD_SMTP_SERVER_INT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <openssl/ssl.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "proxy_wait.h"

struct auth_limit;
struct auth_users;
struct auth_worker;
struct config;
struct listener_conf;
struct receive;
struct smtp_session;
struct spool;

struct listener {
	struct smtp_server	*server;
	char			*name;
	char			*address;
	int			 port;
	/* The listener's settings in server->cfg, for new sessions. */
	const struct listener_conf *lc;
	struct evconnlistener	*evl;
	struct event		*ev_pause;	/* re-enable after accept error */
	/* Built from lc by every configure, so a reload re-reads them;
	 * sessions hold their own references. */
	SSL_CTX			*ssl_ctx;	/* NULL: tls = none */
	struct auth_users	*users;		/* NULL: auth = none */
	int			 nsessions;
	/* Connections still waiting for their PROXY header (no session yet,
	 * but they count against max_connections). */
	struct proxy_waits	 proxies;
	int			 keep;		/* scratch for configure */
};

struct session_slot {
	struct smtp_session	*sess;
	struct listener		*listener;	/* NULL once it closed */
	struct in6_addr		 addr;		/* IPv4 as ::ffff:a.b.c.d */
};

struct smtp_server {
	struct event_base	*base;
	struct spool		*spool;
	struct receive		*receive;
	struct config		*cfg;		/* in force for new sessions */

	struct listener		**listeners;
	int			 n_listeners;

	struct session_slot	*slots;
	int			 n_slots, cap_slots;

	struct auth_worker	*auth_worker;	/* crypt(3) off the loop */
	struct auth_limit	*auth_limit;	/* failed AUTH per address */
};

/* The listener's accept callback: limits, PROXY wait, then the session. */
void	listener_accept(struct evconnlistener *, evutil_socket_t,
	    struct sockaddr *, int, void *);

#endif
