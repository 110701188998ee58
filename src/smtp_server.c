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
 * users.  Sessions live in smtp_session.c; this file only counts them per
 * listener for max_connections, and per listener and client address for
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
#include "smtp_session.h"
#include "tls_server.h"
#include "util.h"

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

/* A reply for a listener at max_connections, sent without reading. */
#define TOO_MANY	"421 4.3.2 Too many connections, try again later\r\n"
/* The same for one client address at max_connections_per_ip. */
#define TOO_MANY_IP	"421 4.7.0 Too many connections from your address, " \
			"try again later\r\n"

static void	listener_accept(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
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
		if (lc->auth != AUTH_NONE) {
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

static void	session_end(struct smtp_server *, struct smtp_session *);

/* The session's end callback (struct smtp_session_env). */
static void
session_ended(void *arg, struct smtp_session *s)
{
	session_end(arg, s);
}

/* The client's address as an IPv6 one, IPv4 mapped, for counting. */
static void
client_addr(const struct sockaddr *sa, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12],
		    &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		*a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
}

/* Sessions of listener l from address a. */
static int
count_from(const struct smtp_server *srv, const struct listener *l,
    const struct in6_addr *a)
{
	int	i, n = 0;

	for (i = 0; i < srv->n_slots; i++)
		if (srv->slots[i].listener == l &&
		    memcmp(&srv->slots[i].addr, a, sizeof(*a)) == 0)
			n++;
	return n;
}

/*
 * Refuse a client over max_connections_per_ip with a 421 4.7.0, sent
 * without reading as for max_connections (and, as there, not a word on an
 * implicit-TLS listener).
 */
static void
refuse_ip(struct listener *l, int fd, const struct in6_addr *a)
{
	char	ip[INET6_ADDRSTRLEN];

	if (l->lc->tls != LTLS_IMPLICIT &&
	    send(fd, TOO_MANY_IP, strlen(TOO_MANY_IP), MSG_NOSIGNAL) == -1)
		log_debug("listener %s: 421 not sent: %s", l->name,
		    strerror(errno));
	close(fd);
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, a, ip, sizeof(ip));
	log_event("rejected", "client=%s listener=%s "
	    "reason=too_many_connections_from_ip", ip, l->name);
}

/* Give a connection its session (slot first: it may end inside _new()).
 * sa is the client's address (from the PROXY header, if any). */
static void
session_start(struct listener *l, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct smtp_server	*srv = l->server;
	struct smtp_session	*s;
	struct session_slot	*slot;
	struct in6_addr		 addr;
	struct smtp_session_env	 env;

	client_addr(sa, &addr);
	if (l->lc->max_connections_per_ip > 0 &&
	    count_from(srv, l, &addr) >= l->lc->max_connections_per_ip) {
		refuse_ip(l, fd, &addr);
		return;
	}
	if (srv->n_slots == srv->cap_slots) {
		srv->cap_slots = srv->cap_slots ? srv->cap_slots * 2 : 16;
		srv->slots = xreallocarray(srv->slots, srv->cap_slots,
		    sizeof(*srv->slots));
	}
	slot = &srv->slots[srv->n_slots++];
	slot->sess = NULL;
	slot->listener = l;
	slot->addr = addr;
	l->nsessions++;
	env.base = srv->base;
	env.spool = srv->spool;
	env.receive = srv->receive;
	env.ssl_ctx = l->ssl_ctx;
	env.users = l->users;
	env.auth_worker = srv->auth_worker;
	env.auth_limit = srv->auth_limit;
	env.end = session_ended;
	env.end_arg = srv;
	s = smtp_session_new(&env, srv->cfg, l->lc, fd, sa, salen);
	if (s == NULL) {
		/* Failed before it existed: find our slot again and drop it. */
		session_end(srv, NULL);
		return;
	}
	for (int i = srv->n_slots - 1; i >= 0; i--)
		if (srv->slots[i].sess == NULL) {
			srv->slots[i].sess = s;
			break;
		}
}

/* The PROXY header named the client: now the session may begin. */
static void
proxy_done(int fd, const struct sockaddr *client, socklen_t len, void *arg)
{
	session_start(arg, fd, client, len);
}

/* Longest wait for a PROXY header; HAProxy sends it with the connection. */
#define PROXY_WAIT_MAX	10

static void
listener_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener		*l = arg;
	const struct listener_conf *lc = l->lc;

	if (lc->proxy_protocol &&
	    !cidr_match_any(lc->proxy_from, lc->n_proxy_from, sa)) {
		/* Not our load balancer: not a word, not a byte read. */
		close(fd);
		log_event("rejected", "listener=%s reason=not_in_proxy_from",
		    l->name);
		return;
	}
	if (l->nsessions + l->proxies.n >= lc->max_connections) {
		/*
		 * A fresh socket's send buffer is empty, so this short line
		 * is taken whole; close() then sends it before the FIN.
		 * Nothing is read, as the client gets no session.  On an
		 * implicit-TLS listener no client could read a cleartext
		 * line, and a handshake only to say 421 would cost what the
		 * limit is there to bound: the door closes without a word.
		 */
		if (l->lc->tls != LTLS_IMPLICIT &&
		    send(fd, TOO_MANY, strlen(TOO_MANY), MSG_NOSIGNAL) == -1)
			log_debug("listener %s: 421 not sent: %s", l->name,
			    strerror(errno));
		close(fd);
		log_event("rejected", "listener=%s reason=too_many_connections",
		    l->name);
		return;
	}
	if (lc->proxy_protocol) {
		proxy_wait_start(&l->proxies, l->server->base, fd, sa,
		    (socklen_t)salen, lc->timeout < PROXY_WAIT_MAX ?
		    lc->timeout : PROXY_WAIT_MAX, l->name, proxy_done, l);
		return;
	}
	session_start(l, fd, sa, (socklen_t)salen);
}

/* A session is being freed (or, s NULL, failed to start): forget it. */
static void
session_end(struct smtp_server *srv, struct smtp_session *s)
{
	int	i;

	for (i = srv->n_slots - 1; i >= 0; i--)
		if (srv->slots[i].sess == s)
			break;
	if (i < 0)
		return;
	if (srv->slots[i].listener != NULL)
		srv->slots[i].listener->nsessions--;
	srv->slots[i] = srv->slots[--srv->n_slots];
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
	for (i = 0; i < cfg->n_listeners; i++)
		if ((l = find_listener(srv, &cfg->listeners[i], 1)) != NULL) {
			l->keep = 1;
			next[i] = l;
		}
	/*
	 * A listener renamed on the same address and port keeps the
	 * socket too: binding a second one would fail while the old is
	 * open.
	 */
	for (i = 0; i < cfg->n_listeners; i++) {
		if (next[i] != NULL)
			continue;
		if ((l = find_listener(srv, &cfg->listeners[i], 0)) != NULL) {
			l->keep = 1;
			next[i] = l;
		}
	}
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
