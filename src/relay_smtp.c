/*
 * relay_smtp.c — owns the static-smarthost relayer (type "smtp"): a pool of
 * at most pool_size smtp_client connections per relayer instance, a FIFO
 * of deliveries waiting for one, and the walk over the configured hosts
 * (in order, every address of a host before the next host) when a new
 * connection is needed.  An idle connection is reused for the next
 * delivery (up to max_deliveries_per_connection, RSET in between) and is
 * closed with QUIT after idle_timeout.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "config.h"
#include "resolver.h"
#include "log.h"
#include "relay.h"
#include "smtp_client.h"
#include "util.h"

enum rs_state { RS_CONNECTING, RS_IDLE, RS_BUSY };

struct rs_wait {
	TAILQ_ENTRY(rs_wait)	 entry;
	struct delivery		*d;
};

struct rs_relay;

struct rs_conn {
	TAILQ_ENTRY(rs_conn)	 entry;
	struct rs_relay		*r;
	enum rs_state		 state;
	struct smtp_client	*c;
	struct delivery		*d;		/* carried or being delivered */
	struct event		*idle;
	int			 deliveries;
	/* The walk over hosts and addresses while connecting. */
	int			 host;		/* index into rc->hosts */
	struct sockaddr_storage	*addrs;
	int			 n_addrs, next_addr;
	struct resolver_query	*q;
	char			*remote;	/* last one tried */
	char			*last_err;
};

struct rs_relay {
	struct event_base	*base;
	struct resolver		*dns;
	struct config		*cfg;		/* referenced */
	const struct relayer_conf *rc;		/* inside cfg */
	struct smtp_client_conf	 cconf;
	TAILQ_HEAD(, rs_conn)	 conns;
	int			 n_conns;
	TAILQ_HEAD(, rs_wait)	 waiting;
	bool			 retired;
};

static void	rs_conn_next(struct rs_conn *);
static void	rs_dispatch(struct rs_relay *);

static void *
rs_create(struct event_base *base, struct resolver *dns, struct config *cfg,
    const struct relayer_conf *rc)
{
	struct rs_relay	*r;

	r = xcalloc(1, sizeof(*r));
	r->base = base;
	r->dns = dns;
	r->cfg = config_ref(cfg);
	r->rc = rc;
	/* A static smarthost's connections serve every domain alike: the
	 * relayer's own TLS policy applies, not a domain entry's. */
	smtp_client_conf_init(&r->cconf, cfg, rc, NULL, NULL);
	TAILQ_INIT(&r->conns);
	TAILQ_INIT(&r->waiting);
	return r;
}

/* Free a retired relayer once nothing is left in flight.  Called last by
 * every entry point, as it may free r. */
static void
rs_maybe_free(struct rs_relay *r)
{
	if (!r->retired || r->n_conns > 0 || !TAILQ_EMPTY(&r->waiting))
		return;
	log_debug("relayer %s: freed", r->rc->name);
	config_unref(r->cfg);
	free(r);
}

static void
rs_conn_close(struct rs_conn *conn, bool quit)
{
	struct rs_relay	*r = conn->r;

	TAILQ_REMOVE(&r->conns, conn, entry);
	r->n_conns--;
	if (conn->q != NULL)
		resolver_cancel(conn->q);
	if (conn->c != NULL) {
		if (quit)
			smtp_client_quit(conn->c);
		else
			smtp_client_free(conn->c);
	}
	event_free(conn->idle);
	free(conn->addrs);
	free(conn->remote);
	free(conn->last_err);
	free(conn);
}

static void
rs_idle_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct rs_conn	*conn = arg;
	struct rs_relay	*r = conn->r;

	log_debug("relayer %s: closing idle connection to %s", r->rc->name,
	    smtp_client_remote(conn->c));
	rs_conn_close(conn, true);
	rs_maybe_free(r);
}

static void
rs_set_err(struct rs_conn *conn, const char *err)
{
	free(conn->last_err);
	conn->last_err = xstrdup(err);
}

/* Put the delivery at the end (or, back from a dead connection, at the
 * head) of the FIFO. */
static void
rs_wait_add(struct rs_relay *r, struct delivery *d, bool head)
{
	struct rs_wait	*w;

	w = xcalloc(1, sizeof(*w));
	w->d = d;
	if (head)
		TAILQ_INSERT_HEAD(&r->waiting, w, entry);
	else
		TAILQ_INSERT_TAIL(&r->waiting, w, entry);
}

static void
rs_fail_delivery(struct rs_relay *r, struct delivery *d, const char *status,
    const char *remote)
{
	if (remote != NULL) {
		free(d->remote);
		d->remote = xstrdup(remote);
	}
	delivery_fail_all(d, DLV_TEMPFAIL, status);
	delivery_done_later(d);
}

/*
 * Every host and address failed.  The delivery the connection carried
 * fails transiently; so does every waiting one when no other connection is
 * up, since they would only walk the same dead hosts one after the other.
 * Frees conn; the caller dispatches.
 */
static void
rs_conn_failed(struct rs_conn *conn)
{
	struct rs_relay	*r = conn->r;
	struct rs_conn	*o;
	struct rs_wait	*w;
	const char	*err;
	bool		 up = false;

	err = conn->last_err != NULL ? conn->last_err :
	    "451 4.4.0 no host to connect to";
	log_warnx("relayer %s: no host reachable: %s", r->rc->name, err);
	rs_fail_delivery(r, conn->d, err, conn->remote);
	conn->d = NULL;
	TAILQ_FOREACH(o, &r->conns, entry)
		if (o != conn && o->state != RS_CONNECTING)
			up = true;
	if (!up) {
		while ((w = TAILQ_FIRST(&r->waiting)) != NULL) {
			TAILQ_REMOVE(&r->waiting, w, entry);
			rs_fail_delivery(r, w->d, err, conn->remote);
			free(w);
		}
	}
	rs_conn_close(conn, false);
}

static void
rs_client_cb(struct smtp_client *c, enum smtpc_event ev, void *arg)
{
	struct rs_conn	*conn = arg;
	struct rs_relay	*r = conn->r;
	struct delivery	*d;
	struct timeval	 tv;

	switch (ev) {
	case SMTPC_READY:
		conn->state = RS_BUSY;
		d = conn->d;
		free(d->remote);
		d->remote = xstrdup(smtp_client_remote(c));
		log_debug("relayer %s: connected to %s", r->rc->name,
		    smtp_client_remote(c));
		smtp_client_start_tx(c, d);
		return;
	case SMTPC_TX_DONE:
		d = conn->d;
		conn->d = NULL;
		conn->deliveries++;
		delivery_done_later(d);
		if (smtp_client_reusable(c) &&
		    conn->deliveries < r->rc->max_deliveries_per_connection &&
		    (!r->retired || !TAILQ_EMPTY(&r->waiting))) {
			conn->state = RS_IDLE;
			tv.tv_sec = r->rc->idle_timeout > 0 ?
			    r->rc->idle_timeout : 1;
			tv.tv_usec = 0;
			evtimer_add(conn->idle, &tv);
		} else
			rs_conn_close(conn, smtp_client_reusable(c));
		break;
	case SMTPC_FAILED:
		if (conn->state == RS_CONNECTING) {
			log_info("relayer %s: %s", r->rc->name,
			    smtp_client_status(c));
			rs_set_err(conn, smtp_client_status(c));
			smtp_client_free(c);
			conn->c = NULL;
			rs_conn_next(conn);
		} else if (conn->state == RS_BUSY) {
			/* The RSET on a reused connection failed: the
			 * delivery is untouched, so another one takes it. */
			log_debug("relayer %s: reused connection failed: %s",
			    r->rc->name, smtp_client_status(c));
			d = conn->d;
			conn->d = NULL;
			rs_conn_close(conn, false);
			rs_wait_add(r, d, true);
		} else
			rs_conn_close(conn, false);
		break;
	}
	rs_dispatch(r);
	rs_maybe_free(r);
}

/* Is name an IP literal ("192.0.2.1", "2001:db8::1", or bracketed)? */
static bool
rs_literal(const char *name, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 buf[64];
	size_t			 len = strlen(name);

	if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
		name++;
		len -= 2;
		if (len > 5 && strncasecmp(name, "IPv6:", 5) == 0) {
			name += 5;
			len -= 5;
		}
	}
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

static void
rs_dns_cb(void *arg, enum resolver_status st, const struct sockaddr_storage *addrs,
    int n)
{
	struct rs_conn	*conn = arg;
	struct rs_relay	*r = conn->r;
	char		 buf[512];

	conn->q = NULL;
	if (st == RESOLVER_OK && n > 0) {
		conn->addrs = xreallocarray(NULL, n, sizeof(*conn->addrs));
		memcpy(conn->addrs, addrs, n * sizeof(*conn->addrs));
		conn->n_addrs = n;
		conn->next_addr = 0;
	} else {
		/* Even a name that does not exist is transient here: it is
		 * the configuration that is wrong, not the recipient. */
		snprintf(buf, sizeof(buf), "451 4.4.3 cannot resolve %s: %s",
		    r->rc->hosts[conn->host],
		    st == RESOLVER_NXDOMAIN ? "no such host" :
		    st == RESOLVER_TEMPFAIL ? "temporary DNS failure" :
		    "no address");
		log_info("relayer %s: %s", r->rc->name, buf);
		rs_set_err(conn, buf);
	}
	rs_conn_next(conn);
	rs_dispatch(r);
	rs_maybe_free(r);
}

/*
 * Try the next address, or the next host, until a connect is under way or
 * all failed (then conn is freed).
 */
static void
rs_conn_next(struct rs_conn *conn)
{
	struct rs_relay		*r = conn->r;
	struct sockaddr_storage	*ss;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	const char		*host;
	char			 addr[INET6_ADDRSTRLEN], err[512];
	socklen_t		 len;
	struct smtp_client_conf	 cconf;
	struct sockaddr_storage	 lit;

	for (;;) {
		if (conn->next_addr < conn->n_addrs) {
			ss = &conn->addrs[conn->next_addr++];
			host = r->rc->hosts[conn->host];
			if (ss->ss_family == AF_INET) {
				sin = (struct sockaddr_in *)ss;
				sin->sin_port = htons(r->rc->port);
				inet_ntop(AF_INET, &sin->sin_addr, addr,
				    sizeof(addr));
				len = sizeof(*sin);
			} else if (ss->ss_family == AF_INET6) {
				sin6 = (struct sockaddr_in6 *)ss;
				sin6->sin6_port = htons(r->rc->port);
				inet_ntop(AF_INET6, &sin6->sin6_addr, addr,
				    sizeof(addr));
				len = sizeof(*sin6);
			} else
				continue;
			free(conn->remote);
			conn->remote = xasprintf("%s[%s]:%d", host, addr,
			    r->rc->port);
			cconf = r->cconf;
			cconf.servername = rs_literal(host, &lit) ? NULL : host;
			conn->c = smtp_client_new(r->base,
			    (struct sockaddr *)ss, len, conn->remote,
			    &cconf, rs_client_cb, conn, err, sizeof(err));
			if (conn->c != NULL)
				return;
			log_info("relayer %s: %s", r->rc->name, err);
			rs_set_err(conn, err);
			continue;
		}
		free(conn->addrs);
		conn->addrs = NULL;
		conn->n_addrs = conn->next_addr = 0;
		if (++conn->host >= r->rc->n_hosts) {
			rs_conn_failed(conn);
			return;
		}
		host = r->rc->hosts[conn->host];
		conn->addrs = xcalloc(1, sizeof(*conn->addrs));
		if (rs_literal(host, &conn->addrs[0])) {
			conn->n_addrs = 1;
			continue;
		}
		if (r->dns == NULL) {
			snprintf(err, sizeof(err), "451 4.4.3 cannot resolve "
			    "%s: no resolver", host);
			rs_set_err(conn, err);
			continue;
		}
		free(conn->addrs);
		conn->addrs = NULL;
		conn->q = resolver_addr(r->dns, host, rs_dns_cb, conn);
		if (conn->q != NULL)
			return;
		snprintf(err, sizeof(err), "451 4.4.3 cannot resolve %s",
		    host);
		rs_set_err(conn, err);
	}
}

/* A new connection carrying d; the host walk starts. */
static void
rs_conn_new(struct rs_relay *r, struct delivery *d)
{
	struct rs_conn	*conn;

	conn = xcalloc(1, sizeof(*conn));
	conn->r = r;
	conn->d = d;
	conn->state = RS_CONNECTING;
	conn->host = -1;
	if ((conn->idle = evtimer_new(r->base, rs_idle_timeout, conn)) == NULL)
		fatalx("evtimer_new");
	TAILQ_INSERT_TAIL(&r->conns, conn, entry);
	r->n_conns++;
	rs_conn_next(conn);
}

/* Give waiting deliveries to idle connections, or to new ones while the
 * pool has room. */
static void
rs_dispatch(struct rs_relay *r)
{
	struct rs_wait	*w;
	struct rs_conn	*conn;
	struct delivery	*d;
	int		 pool = r->rc->pool_size > 0 ? r->rc->pool_size : 1;

	while ((w = TAILQ_FIRST(&r->waiting)) != NULL) {
		TAILQ_FOREACH(conn, &r->conns, entry)
			if (conn->state == RS_IDLE)
				break;
		if (conn == NULL && r->n_conns >= pool)
			break;
		TAILQ_REMOVE(&r->waiting, w, entry);
		d = w->d;
		free(w);
		if (conn == NULL) {
			rs_conn_new(r, d);
			continue;
		}
		evtimer_del(conn->idle);
		conn->state = RS_BUSY;
		conn->d = d;
		free(d->remote);
		d->remote = xstrdup(smtp_client_remote(conn->c));
		smtp_client_start_tx(conn->c, d);
	}
	/* A retired relayer keeps no idle connection once the FIFO is empty. */
	if (r->retired && TAILQ_EMPTY(&r->waiting)) {
		TAILQ_FOREACH(conn, &r->conns, entry)
			if (conn->state == RS_IDLE)
				break;
		while (conn != NULL) {
			rs_conn_close(conn, true);
			TAILQ_FOREACH(conn, &r->conns, entry)
				if (conn->state == RS_IDLE)
					break;
		}
	}
}

static void
rs_deliver(void *state, struct delivery *d)
{
	struct rs_relay	*r = state;

	if (r->rc->n_hosts == 0) {
		rs_fail_delivery(r, d, "451 4.3.0 relayer has no host", NULL);
		return;
	}
	rs_wait_add(r, d, false);
	rs_dispatch(r);
}

static void
rs_retire(void *state)
{
	struct rs_relay	*r = state;

	r->retired = true;
	rs_dispatch(r);
	rs_maybe_free(r);
}

const struct relay_ops relay_smtp_ops = {
	.create = rs_create,
	.deliver = rs_deliver,
	.retire = rs_retire,
};
