/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_pool_conn.c — owns one pooled connection (relay_pool_int.h): an
 * smtp_client to a destination from connect to close, its state
 * (connecting, idle, busy, closing with QUIT), the idle timer and reuse
 * limit, and what its client's events mean for the delivery it carries
 * and for the deliveries waiting behind it.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "relay.h"
#include "relay_pool.h"
#include "relay_pool_int.h"
#include "resolver.h"
#include "smtp_client.h"
#include "util.h"

void
rp_conn_forget(struct rp_conn *conn)
{
	struct rp_dest	*dest = conn->dest;

	TAILQ_REMOVE(&dest->conns, conn, entry);
	dest->n_conns--;
	dest->pool->n_conns--;
	event_free(conn->idle);
	free(conn);
}

/* A QUIT'd connection's socket is closed: its place is free. */
static void
conn_closed(evutil_socket_t fd, short ev, void *arg)
{
	struct rp_conn		*conn = arg;
	struct relay_pool	*p = conn->dest->pool;

	rp_conn_forget(conn);
	rp_pool_dispatch(p);
	rp_pool_kick_others(p);
	rp_pool_gc(p);
}

/*
 * Close conn: at once, or with QUIT, in which case it keeps its place
 * (RP_CLOSING) until its socket is closed.
 */
void
rp_conn_close(struct rp_conn *conn, bool quit)
{
	struct smtp_client	*c = conn->c;

	conn->c = NULL;
	if (c != NULL && quit) {
		evtimer_del(conn->idle);
		conn->state = RP_CLOSING;
		conn->w = NULL;
		smtp_client_quit_then(c, conn_closed, conn);
		return;
	}
	if (c != NULL)
		smtp_client_free(c);
	rp_conn_forget(conn);
}

static void
conn_idle_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct rp_conn		*conn = arg;
	struct relay_pool	*p = conn->dest->pool;

	log_debug("relayer %s: closing idle connection to %s", p->rc->name,
	    conn->dest->remote);
	rp_conn_close(conn, true);
	rp_pool_gc(p);
}

/* Hand the walk's delivery to a connection ready for a transaction. */
void
rp_conn_start_tx(struct rp_conn *conn, struct rp_walk *w)
{
	struct delivery	*d = w->d;

	evtimer_del(conn->idle);
	conn->state = RP_BUSY;
	conn->w = w;
	free(d->remote);
	d->remote = xstrdup(conn->dest->remote);
	/* A DANE destination's connections are up only once a TLSA record
	 * has authenticated the peer (smtp_client_tls.c). */
	d->dane = RELAYER_DANE(conn->dest->pool->rc) == DANE_OFF ?
	    DLV_DANE_OFF : conn->dest->dane != NULL ? DLV_DANE_VERIFIED :
	    DLV_DANE_NONE;
	smtp_client_start_tx(conn->c, d);
}

/*
 * The connection carrying w could not be set up.  w walks on; so do the
 * deliveries waiting for this destination when none of its connections is
 * up, as they would only try the same dead address one after the other.
 * Frees conn.
 */
static void
conn_failed(struct rp_conn *conn, const char *err)
{
	struct rp_dest		*dest = conn->dest;
	struct relay_pool	*p = dest->pool;
	struct rp_walk		*w = conn->w, *ww;
	struct rp_conn		*o;
	TAILQ_HEAD(, rp_walk)	 moving;
	bool			 up = false;

	log_info("relayer %s: %s", p->rc->name, err);
	conn->w = NULL;
	rp_conn_close(conn, false);
	TAILQ_FOREACH(o, &dest->conns, entry)
		if (o->state == RP_IDLE || o->state == RP_BUSY)
			up = true;
	/* Take them all out first: walking on may come back here. */
	TAILQ_INIT(&moving);
	if (!up)
		TAILQ_CONCAT(&moving, &dest->waiting, wentry);
	rp_walk_set_err(w, err, dest->remote);
	rp_walk_dest_dane(w, dest);
	rp_walk_next(w);
	while ((ww = TAILQ_FIRST(&moving)) != NULL) {
		TAILQ_REMOVE(&moving, ww, wentry);
		ww->waiting = NULL;
		rp_walk_set_err(ww, err, dest->remote);
		rp_walk_dest_dane(ww, dest);
		rp_walk_next(ww);
	}
}

static void
conn_client_cb(struct smtp_client *c, enum smtpc_event ev, void *arg)
{
	struct rp_conn		*conn = arg;
	struct rp_dest		*dest = conn->dest;
	struct relay_pool	*p = dest->pool;
	const struct relayer_conf *rc = p->rc;
	struct rp_walk		*w;
	struct timeval		 tv;
	char			*err;

	switch (ev) {
	case SMTPC_READY:
		log_debug("relayer %s: connected to %s", rc->name, dest->remote);
		w = conn->w;
		conn->w = NULL;
		rp_conn_start_tx(conn, w);
		break;
	case SMTPC_TX_DONE:
		w = conn->w;
		conn->w = NULL;
		conn->deliveries++;
		rp_walk_done(w);
		if (smtp_client_reusable(c) &&
		    conn->deliveries < rc->max_deliveries_per_connection &&
		    (!p->retired || !TAILQ_EMPTY(&dest->waiting))) {
			conn->state = RP_IDLE;
			tv.tv_sec = rc->idle_timeout > 0 ? rc->idle_timeout : 1;
			tv.tv_usec = 0;
			evtimer_add(conn->idle, &tv);
		} else
			rp_conn_close(conn, smtp_client_reusable(c));
		break;
	case SMTPC_FAILED:
		if (conn->state == RP_CONNECTING ||
		    (conn->state == RP_BUSY && conn->deliveries == 0)) {
			/* Connect, greeting or EHLO failed (or the very first
			 * transaction could not start): the next address. */
			conn->c = NULL;
			err = xstrdup(smtp_client_status(c));
			smtp_client_free(c);
			conn_failed(conn, err);
			free(err);
		} else if (conn->state == RP_BUSY) {
			/* The RSET on a reused connection failed (a 421, or
			 * the peer went away): the delivery is untouched, so
			 * it goes first in line for a new connection. */
			log_debug("relayer %s: reused connection to %s failed: "
			    "%s", rc->name, dest->remote,
			    smtp_client_status(c));
			w = conn->w;
			conn->w = NULL;
			rp_conn_close(conn, false);
			w->waiting = dest;
			TAILQ_INSERT_HEAD(&dest->waiting, w, wentry);
		} else
			rp_conn_close(conn, false);
		break;
	}
	rp_pool_dispatch(p);
	rp_pool_kick_others(p);
	rp_pool_gc(p);
}

/* A new connection to dest carrying w; -1 (with w's error set) when the
 * connect fails at once. */
int
rp_conn_new(struct rp_dest *dest, struct rp_walk *w)
{
	struct relay_pool	*p = dest->pool;
	struct rp_conn		*conn;
	char			 err[512];

	conn = xcalloc(1, sizeof(*conn));
	conn->dest = dest;
	conn->state = RP_CONNECTING;
	conn->w = w;
	conn->c = smtp_client_new(p->base, (struct sockaddr *)&dest->ss,
	    dest->sslen, dest->remote, &dest->conf, conn_client_cb, conn, err,
	    sizeof(err));
	if (conn->c == NULL) {
		log_info("relayer %s: %s", p->rc->name, err);
		rp_walk_set_err(w, err, dest->remote);
		rp_walk_dest_dane(w, dest);
		free(conn);
		return -1;
	}
	if ((conn->idle = evtimer_new(p->base, conn_idle_timeout, conn)) ==
	    NULL)
		fatalx("evtimer_new");
	TAILQ_INSERT_TAIL(&dest->conns, conn, entry);
	dest->n_conns++;
	p->n_conns++;
	return 0;
}
