/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_server.c — owns the listening sockets and the list of sessions.
 *
 * A listener is keyed by (name, address, port).  smtp_server_configure()
 * keeps the sockets of listeners that survive a reload, so no connection is
 * refused while the configuration changes; removed listeners close and added
 * ones open, and when any new socket cannot be opened everything opened in
 * that call is closed again and nothing changes.  Every configure also
 * builds each listener's TLS context and reads its users file again (a
 * reload picks up a renewed certificate); one that does not load fails
 * the configure, so a listener never falls back to plaintext or to stale
 * users.  Sessions live in smtp_session.c; smtp_server_conn.c takes each
 * accepted connection to its session and counts them per listener for
 * max_connections, and per listener and client address for
 * max_connections_per_ip.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "auth.h"
#include "auth_limit.h"
#include "auth_worker.h"
#include "config.h"
#include "cidr.h"
#include "log.h"
#include "proxy_wait.h"
#include "smtp_server.h"
#include "smtp_server_int.h"
#include "smtp_session.h"
#include "tls_server.h"
#include "util.h"

static void	listener_error(struct evconnlistener *, void *);

struct smtp_server *
smtp_server_new(struct event_base *base, struct spool *spool,
    struct receive *receive)
{
	struct smtp_server	*srv;

	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->spool = spool;
	srv->receive = receive;
	srv->auth_worker = auth_worker_new(base);
	srv->auth_limit = auth_limit_new();
	return srv;
}

int
smtp_server_sessions(const struct smtp_server *srv)
{
	return srv->n_slots;
}

/*
 * The TLS contexts and users files of every listener in cfg, built before
 * any socket changes so that a certificate or users file that does not
 * load fails the whole configure: never a plaintext listener instead.
 */
static int
listener_secrets(struct config *cfg, SSL_CTX **ctxs, struct auth_users **users,
    char *err, size_t errlen)
{
	const struct listener_conf *lc;
	char			 why[768];
	int			 i;

	for (i = 0; i < cfg->n_listeners; i++) {
		lc = &cfg->listeners[i];
		if (lc->tls != LTLS_NONE) {
			ctxs[i] = tls_server_ctx_new(lc->cert, lc->key, why,
			    sizeof(why));
			if (ctxs[i] == NULL) {
				snprintf(err, errlen, "listener %s: %s",
				    lc->name, why);
				goto fail;
			}
		}
		if (LISTENER_AUTH(lc) != AUTH_NONE) {
			users[i] = auth_users_load(lc->users, why, sizeof(why));
			if (users[i] == NULL) {
				snprintf(err, errlen, "listener %s: users "
				    "file %s", lc->name, why);
				goto fail;
			}
			log_debug("listener %s: %d users", lc->name,
			    auth_users_count(users[i]));
		}
	}
	return 0;

fail:
	for (i = 0; i < cfg->n_listeners; i++) {
		SSL_CTX_free(ctxs[i]);
		auth_users_unref(users[i]);
		ctxs[i] = NULL;
		users[i] = NULL;
	}
	return -1;
}

/* Open, bind and listen on one address; -1 with err on failure. */
static int
listener_socket(const char *address, int port, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	char		 portstr[16];
	int		 fd, r, on = 1, off = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((r = getaddrinfo(address, portstr, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen on %s port %d: %s", address,
		    port, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (res->ai_family == AF_INET6) {
		/* "::" serves IPv4 too where the OS allows (dual stack). */
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)res->ai_addr;
		int *v6only = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ?
		    &off : &on;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only,
		    sizeof(*v6only)) == -1)
			log_warn("listen on %s port %d: IPV6_V6ONLY", address,
			    port);
	}
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		goto fail;
	if (listen(fd, SOMAXCONN) == -1)
		goto fail;
	freeaddrinfo(res);
	return fd;

fail:
	snprintf(err, errlen, "listen on %s port %d: %s", address, port,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

static struct listener *
listener_open(struct smtp_server *srv, const struct listener_conf *lc,
    char *err, size_t errlen)
{
	struct listener	*l;
	int		 fd;

	if ((fd = listener_socket(lc->address, lc->port, err, errlen)) == -1)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->server = srv;
	l->name = xstrdup(lc->name);
	l->address = xstrdup(lc->address);
	l->port = lc->port;
	l->lc = lc;
	proxy_waits_init(&l->proxies);
	l->evl = evconnlistener_new(srv->base, listener_accept, l,
	    LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (l->evl == NULL) {
		snprintf(err, errlen, "listen on %s port %d: cannot watch "
		    "the socket", lc->address, lc->port);
		close(fd);
		free(l->name);
		free(l->address);
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->evl, listener_error);
	return l;
}

/* Close the socket; sessions it started go on, counted no more. */
static void
listener_close(struct listener *l)
{
	struct smtp_server	*srv = l->server;
	int			 i;

	for (i = 0; i < srv->n_slots; i++)
		if (srv->slots[i].listener == l)
			srv->slots[i].listener = NULL;
	proxy_waits_cancel(&l->proxies);
	if (l->evl != NULL)
		evconnlistener_free(l->evl);
	if (l->ev_pause != NULL)
		event_free(l->ev_pause);
	SSL_CTX_free(l->ssl_ctx);
	auth_users_unref(l->users);
	free(l->name);
	free(l->address);
	free(l);
}

static void
listener_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct listener	*l = arg;

	if (l->evl != NULL)
		evconnlistener_enable(l->evl);
}

/*
 * accept() failed (out of descriptors, usually): stop accepting for a
 * second instead of spinning on a socket that stays readable.
 */
static void
listener_error(struct evconnlistener *evl, void *arg)
{
	struct listener	*l = arg;
	struct timeval	 tv = { 1, 0 };

	log_warn("listener %s: accept", l->name);
	evconnlistener_disable(evl);
	if (l->ev_pause == NULL)
		l->ev_pause = evtimer_new(l->server->base, listener_resume, l);
	evtimer_add(l->ev_pause, &tv);
}

static struct listener *
find_listener(struct smtp_server *srv, const struct listener_conf *lc,
    int by_name)
{
	struct listener	*l;
	int		 i;

	for (i = 0; i < srv->n_listeners; i++) {
		l = srv->listeners[i];
		if (l->keep || l->port != lc->port ||
		    strcmp(l->address, lc->address) != 0)
			continue;
		if (!by_name || strcmp(l->name, lc->name) == 0)
			return l;
	}
	return NULL;
}

/* Each listener of cfg still without one in next[] gets the open one
 * find_listener() matches, which keeps its socket. */
static void
keep_listeners(struct smtp_server *srv, struct config *cfg,
    struct listener **next, int by_name)
{
	struct listener	*l;
	int		 i;

	for (i = 0; i < cfg->n_listeners; i++) {
		if (next[i] != NULL)
			continue;
		l = find_listener(srv, &cfg->listeners[i], by_name);
		if (l != NULL) {
			l->keep = 1;
			next[i] = l;
		}
	}
}

int
smtp_server_configure(struct smtp_server *srv, struct config *cfg,
    char *err, size_t errlen)
{
	struct listener	**next, **opened, *l;
	SSL_CTX		**ctxs;
	struct auth_users **users;
	int		  i, n_opened = 0;

	ctxs = xcalloc(cfg->n_listeners, sizeof(*ctxs));
	users = xcalloc(cfg->n_listeners, sizeof(*users));
	if (listener_secrets(cfg, ctxs, users, err, errlen) == -1) {
		free(ctxs);
		free(users);
		return -1;
	}
	next = xcalloc(cfg->n_listeners, sizeof(*next));
	opened = xcalloc(cfg->n_listeners, sizeof(*opened));
	for (i = 0; i < srv->n_listeners; i++)
		srv->listeners[i]->keep = 0;

	/* Unchanged listeners first, so a rename cannot steal their socket. */
	keep_listeners(srv, cfg, next, 1);
	/*
	 * A listener renamed on the same address and port keeps the
	 * socket too: binding a second one would fail while the old is
	 * open.
	 */
	keep_listeners(srv, cfg, next, 0);
	for (i = 0; i < cfg->n_listeners; i++) {
		if (next[i] != NULL)
			continue;
		l = listener_open(srv, &cfg->listeners[i], err, errlen);
		if (l == NULL) {
			while (n_opened > 0)
				listener_close(opened[--n_opened]);
			for (i = 0; i < cfg->n_listeners; i++) {
				SSL_CTX_free(ctxs[i]);
				auth_users_unref(users[i]);
			}
			free(ctxs);
			free(users);
			free(next);
			free(opened);
			return -1;
		}
		l->keep = 1;
		next[i] = opened[n_opened++] = l;
	}
	for (i = 0; i < n_opened; i++)
		log_info("listener %s on %s port %d", opened[i]->name,
		    opened[i]->address, opened[i]->port);

	/* Success: nothing can fail from here on. */
	for (i = 0; i < srv->n_listeners; i++) {
		l = srv->listeners[i];
		if (!l->keep) {
			log_info("listener %s on %s port %d closed", l->name,
			    l->address, l->port);
			listener_close(l);
		}
	}
	for (i = 0; i < cfg->n_listeners; i++) {
		l = next[i];
		l->lc = &cfg->listeners[i];
		SSL_CTX_free(l->ssl_ctx);
		auth_users_unref(l->users);
		l->ssl_ctx = ctxs[i];
		l->users = users[i];
		if (strcmp(l->name, l->lc->name) != 0) {
			free(l->name);
			l->name = xstrdup(l->lc->name);
		}
	}
	free(srv->listeners);
	free(opened);
	free(ctxs);
	free(users);
	srv->listeners = next;
	srv->n_listeners = cfg->n_listeners;

	config_ref(cfg);
	if (srv->cfg != NULL)
		config_unref(srv->cfg);
	srv->cfg = cfg;
	return 0;
}

void
smtp_server_shutdown_sessions(struct smtp_server *srv)
{
	int	i;

	/* Sessions are freed from the loop later, never in this walk. */
	for (i = 0; i < srv->n_slots; i++)
		if (srv->slots[i].sess != NULL)
			smtp_session_shutdown(srv->slots[i].sess);
}

void
smtp_server_stop_listening(struct smtp_server *srv)
{
	struct listener	*l;
	int		 i;

	for (i = 0; i < srv->n_listeners; i++) {
		l = srv->listeners[i];
		if (l->evl != NULL) {
			evconnlistener_free(l->evl);
			l->evl = NULL;
		}
		if (l->ev_pause != NULL)
			event_del(l->ev_pause);
		proxy_waits_cancel(&l->proxies);
	}
}

void
smtp_server_free(struct smtp_server *srv)
{
	int	i;

	if (srv == NULL)
		return;
	/* Each free ends in session_end(), which shrinks slots. */
	while (srv->n_slots > 0) {
		struct smtp_session *s = srv->slots[srv->n_slots - 1].sess;

		if (s == NULL) {
			srv->n_slots--;
			continue;
		}
		smtp_session_free(s);
	}
	for (i = 0; i < srv->n_listeners; i++)
		listener_close(srv->listeners[i]);
	free(srv->listeners);
	free(srv->slots);
	auth_worker_free(srv->auth_worker);
	auth_limit_free(srv->auth_limit);
	if (srv->cfg != NULL)
		config_unref(srv->cfg);
	free(srv);
}

void
smtp_server_listeners(struct smtp_server *srv, void (*cb)(void *, const char *,
    int), void *arg)
{
	for (int i = 0; i < srv->n_listeners; i++)
		cb(arg, srv->listeners[i]->name, srv->listeners[i]->nsessions);
}
