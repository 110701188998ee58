/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_server_conn.c — owns what happens to one accepted connection
 * before it is a session, and the count of sessions after: the
 * proxy_from check, max_connections and max_connections_per_ip (a 421 sent
 * without reading, or not a word on an implicit-TLS listener), the wait
 * for a PROXY header (proxy_wait.c), the session's environment and its
 * slot, freed by the session's end callback.  The listening sockets
 * themselves are smtp_server.c's.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "cidr.h"
#include "config.h"
#include "log.h"
#include "proxy_wait.h"
#include "smtp_server_int.h"
#include "smtp_session.h"
#include "util.h"

/* A reply for a listener at max_connections, sent without reading. */
#define TOO_MANY	"421 4.3.2 Too many connections, try again later\r\n"
/* The same for one client address at max_connections_per_ip. */
#define TOO_MANY_IP	"421 4.7.0 Too many connections from your address, " \
			"try again later\r\n"

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

void
listener_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener		*l = arg;
	const struct listener_conf *lc = l->lc;

	if (lc->proxy_protocol &&
	    !cidr_match_any(lc->proxy_from, lc->n_proxy_from, sa)) {
		/* Not our load balancer: not a word, not a byte read.  The
		 * line first: once the peer sees the close, it is in the log
		 * (proxy.t read the log right after and missed it once). */
		log_event("rejected", "listener=%s reason=not_in_proxy_from",
		    l->name);
		close(fd);
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
		log_event("rejected", "listener=%s reason=too_many_connections",
		    l->name);
		close(fd);
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
