/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_client.h — one outgoing SMTP connection (the sending side), driven
 * by a libevent bufferevent: connect, greeting, EHLO (HELO fallback), then
 * any number of transactions, each one delivery of relay.h, RSET between
 * them, QUIT at the end.
 *
 * The owner (relay_smtp.c, later relay_mx.c) learns what happens through
 * one callback.  SMTPC_READY: the connection is idle and takes a
 * transaction.  SMTPC_TX_DONE: the transaction handed over ended and every
 * recipient of its delivery has a result; the connection is idle again if
 * smtp_client_reusable().  SMTPC_FAILED: the connection is unusable and no
 * recipient was touched (connect, greeting or EHLO failed, the peer went
 * away while idle, or the RSET before a transaction failed, in which case
 * the delivery handed over is untouched and may go to another connection);
 * smtp_client_status() has the reason as a reply line.
 *
 * TLS (conf->tls, conf->implicit_tls; tls_client.c makes the contexts):
 * after EHLO the client says STARTTLS when the policy is not "none" and
 * the server offers it, then EHLO again and uses only the capabilities
 * offered under TLS.  "required" and "verify" (and implicit TLS, which is
 * at least "required") report SMTPC_FAILED with a 451 4.7.x status when
 * STARTTLS is missing or refused or the handshake fails; "verify" checks
 * the chain and conf->servername (or, for an address literal, the address
 * connected to), or with conf->dane the TLSA records instead of any name or
 * store.  "opportunistic" goes on in plaintext when STARTTLS is
 * refused, and when the handshake fails it reconnects to the same address
 * in plaintext by itself: the owner sees one connection either way.
 * Every transaction's delivery gets d->tls_info ("TLSv1.3/<cipher>
 * verified=yes"), NULL in plaintext.
 *
 * AUTH (conf->auth_username): PLAIN, else LOGIN, and only under TLS: with
 * no TLS the connection fails (451 4.7.0) before any credential is sent.
 * A 4xx to AUTH is SMTPC_FAILED (transient).  A 5xx (535 bad credentials)
 * is permanent: the connection still reports SMTPC_READY, but every
 * transaction started on it fails at once, each pending recipient
 * DLV_PERMFAIL with the server's reply as status, and the connection is
 * not reusable, so the owner needs no special case; the refusal is logged
 * as a warning.
 *
 * The callback may free the client (or QUIT it) from inside itself; the
 * memory goes later, from the event loop.  No callback ever runs inside
 * smtp_client_new() or smtp_client_start_tx().
 */
#ifndef SMARTHOSTD_SMTP_CLIENT_H
#define SMARTHOSTD_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/util.h>

#include "config.h"
#include "smtp_reply.h"	/* the pure parsing, struct smtp_caps */

struct event_base;
struct dane_tlsa_set;
struct delivery;
struct smtp_client;


struct smtp_client_conf {
	const char	*ehlo_as;
	long		 connect_timeout;	/* connect and greeting */
	long		 command_timeout;	/* each other reply */
	long		 data_timeout;		/* message transfer and its reply */
	/* TLS and AUTH: the relayer's, with a domain entry's tls override. */
	enum client_tls	 tls;
	bool		 implicit_tls;
	const char	*ca_file, *ca_path;	/* NULL: the system store */
	const char	*tls_cert, *tls_key;	/* client certificate or NULL */
	const char	*auth_username;		/* NULL: no AUTH */
	const char	*auth_password;
	const char	*servername;		/* host name for SNI and
						   verification; NULL for an
						   IP literal */
	/* DANE (RFC 7672): the host's usable TLSA records, or NULL.  Set,
	 * STARTTLS is required (tls is taken as "verify", never a
	 * plaintext retry) and the peer must match one of them.  Read it
	 * with SC_DANE. */
	const struct dane_tlsa_set *dane;
};

/* A conf's dane: always NULL in a build without DANE (configure.ac), and
 * the constant lets the compiler leave the DANE handshake out. */
#ifdef WITH_DANE
#define SC_DANE(conf)	((conf)->dane)
#else
#define SC_DANE(conf)	((const struct dane_tlsa_set *)NULL)
#endif

/*
 * Fill conf from a relayer, the next hop's domains entry (NULL if none: its
 * tls, when set, overrides the relayer's) and the host name connected to
 * (NULL for an address literal).  Strings point into cfg, which the caller
 * keeps referenced while the conf is in use.
 */
void		 smtp_client_conf_init(struct smtp_client_conf *,
		    const struct config *, const struct relayer_conf *,
		    const struct domain_conf *, const char *host);

enum smtpc_event { SMTPC_READY, SMTPC_TX_DONE, SMTPC_FAILED };

typedef void (*smtpc_cb)(struct smtp_client *, enum smtpc_event, void *arg);

/*
 * Start connecting to sa.  remote names the peer in logs and statuses
 * ("host[192.0.2.1]:25"); conf is copied.  Returns NULL when the connect
 * fails at once, with the reason as a reply line in err.
 */
struct smtp_client *smtp_client_new(struct event_base *,
		    const struct sockaddr *, socklen_t, const char *remote,
		    const struct smtp_client_conf *, smtpc_cb, void *arg,
		    char *err, size_t errlen);

/*
 * Start a transaction for d on an idle connection (after SMTPC_READY or a
 * reusable SMTPC_TX_DONE).  Results go into d->rcpts; the end is reported
 * by SMTPC_TX_DONE (or SMTPC_FAILED before anything was sent).
 */
void		 smtp_client_start_tx(struct smtp_client *, struct delivery *);

/* Say QUIT on an idle connection, then close and free it; no more
 * callbacks.  A busy or unconnected one is simply closed. */
void		 smtp_client_quit(struct smtp_client *);

/* The same, and once its socket is closed (after the QUIT's reply, a
 * timeout, or at once when it was not idle) closed(-1, 0, arg) runs from
 * the loop: what a pool needs to count connections until they are gone.
 * Not called once the loop has ended. */
void		 smtp_client_quit_then(struct smtp_client *,
		    void (*closed)(evutil_socket_t, short, void *), void *arg);

/* Close now and free (deferred); no more callbacks. */
void		 smtp_client_free(struct smtp_client *);

/* The event loop has ended for good (daemon exit): free every client
 * still allocated (saying QUIT, or freed with its memory due from the
 * loop), with no callback. */
void		 smtp_client_exit(void);

bool		 smtp_client_reusable(const struct smtp_client *);
const char	*smtp_client_status(const struct smtp_client *);
const char	*smtp_client_remote(const struct smtp_client *);
const struct smtp_caps *smtp_client_caps(const struct smtp_client *);
/* "TLSv1.3/TLS_AES_256_GCM_SHA384 verified=yes", or NULL in plaintext. */
const char	*smtp_client_tls_info(const struct smtp_client *);

#endif
