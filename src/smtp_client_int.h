/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_client_int.h — one outgoing connection's object and what the
 * client's three files call of each other: the state machine itself, its
 * life, the reading of replies and their dispatch by state, events and
 * timeouts (smtp_client.c); the connection's security, STARTTLS or
 * implicit TLS and the AUTH that only runs under it (smtp_client_tls.c);
 * one transaction, MAIL to the final reply, and the message streamed
 * out (smtp_client_tx.c).  Nothing else includes it: everyone else sees
 * smtp_client.h and an opaque struct smtp_client.
 */
#ifndef SMARTHOSTD_SMTP_CLIENT_INT_H
#define SMARTHOSTD_SMTP_CLIENT_INT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>

#include <event2/util.h>

#include <openssl/ssl.h>

#include "relay.h"
#include "smtp_body.h"
#include "smtp_client.h"

#define BODY_LOWAT	16384	/* refill the output below this */
#define BODY_HIWAT	65536	/* and up to about this */
#define REPLY_TEXT_MAX	1024	/* reply text kept for a status */

struct bufferevent;
struct event;

enum sc_state {
	SC_CONNECT,		/* waiting for the TCP connect */
	SC_HANDSHAKE,		/* TLS handshake: implicit, or after STARTTLS */
	SC_GREETING,		/* waiting for 220 */
	SC_EHLO,		/* also the second EHLO, under TLS */
	SC_HELO,
	SC_STARTTLS,		/* waiting for 220 to STARTTLS */
	SC_AUTH_USER,		/* AUTH LOGIN: waiting for the user prompt */
	SC_AUTH_PASS,		/* AUTH LOGIN: waiting for the password one */
	SC_AUTH,		/* waiting for 235 */
	SC_READY,		/* idle: takes a transaction */
	SC_RSET_BEFORE,		/* RSET before a reused connection's MAIL */
	SC_MAIL,
	SC_RCPT,
	SC_DATA,		/* waiting for 354 */
	SC_BODY,		/* streaming the message (DATA or BDAT) */
	SC_DOT,			/* waiting for the final reply (to the
				   "." or to BDAT LAST) */
	SC_DOT_DISCARD,		/* 354 with no recipient: sent "." anyway */
	SC_RSET_AFTER,		/* RSET after a transaction with no recipient */
	SC_TX_END,		/* nothing to send: finishing from the loop */
	SC_QUIT,
	SC_CLOSED
};

struct smtp_client {
	TAILQ_ENTRY(smtp_client) entry;		/* in all_clients */
	struct event_base	*base;
	struct bufferevent	*bev;
	struct event		*timer;
	struct event		*kick;		/* finishes a transaction later */
	enum sc_state		 state;
	char			*remote;
	char			*ehlo_as;
	struct smtp_client_conf	 conf;
	smtpc_cb		 cb;
	void			*arg;
	struct smtp_caps	 caps;
	char			*status;
	struct sockaddr_storage	 sa;		/* for the plaintext retry */
	socklen_t		 salen;
	char			 ip[INET6_ADDRSTRLEN];	/* to verify a literal */
	SSL			*ssl;		/* owned by bev when set */
	bool			 tls_active;
	bool			 tls_given_up;	/* opportunistic: plaintext now */
	char			*tls_info;
	char			*perm_status;	/* AUTH refused: every
						   transaction fails with it */
	bool			 need_rset;	/* MAIL sent since last RSET */
	bool			 reusable;
	bool			 quitting;	/* detached: no more callbacks */
	bool			 dead;		/* memory goes from the loop */
	void			(*closed_cb_ev)(evutil_socket_t, short, void *);
						/* see smtp_client_quit_then */
	void			*closed_arg;

	/* The reply being read. */
	int			 rcode;
	int			 rlines;
	char			 rtext[REPLY_TEXT_MAX];
	size_t			 rlen;

	/* The transaction. */
	struct delivery		*d;
	int			*sent;		/* d->rcpts indexes sent as RCPT */
	int			 n_sent, n_replied, n_accepted;
	bool			*accepted;	/* per d->rcpts */
	bool			 mail_ok;
	bool			 pipelining;
	bool			 bdat;		/* CHUNKING: BDAT, not DATA */
	struct smtp_body	 body;		/* the message file */
};

/* A reply handler: the state's answer to a complete reply. */
typedef void (*sc_reply_fn)(struct smtp_client *, enum dlv_result);

/* smtp_client.c: the machine. */
void	sc_enter(struct smtp_client *, enum sc_state);
/* (Re)start the timer: secs from now. */
void	sc_arm(struct smtp_client *, long secs);
/*
 * The socket, when the connection is plain TCP and connected and nothing
 * waits in its output: then commands and the body may go to it at once,
 * with no write event armed and disarmed around each (libevent does both
 * for every write through the bufferevent).  -1 otherwise: under TLS, in
 * the handshake, before the connect.
 */
int	sc_direct_fd(const struct smtp_client *);
/* Queue one command (sent at once when sc_direct_fd() allows); the
 * caller arms the timer. */
void	sc_send(struct smtp_client *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Queue one command, enter the state that waits for its reply and give
 * that reply command_timeout. */
void	sc_command(struct smtp_client *, enum sc_state, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* EHLO (again, under TLS): what we learnt before is forgotten. */
void	sc_ehlo(struct smtp_client *);
/* Our libevent callbacks on a (new) bufferevent of c's. */
void	sc_bev_setcb(struct smtp_client *, struct bufferevent *);
void	sc_close_socket(struct smtp_client *);
/* The connection is lost or unusable: see smtp_client.c. */
void	sc_fail(struct smtp_client *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Idle: the owner hears SMTPC_READY. */
void	sc_ready(struct smtp_client *);

/* smtp_client_tls.c: TLS and AUTH, between EHLO and ready. */
void	sc_post_ehlo(struct smtp_client *);
void	sc_tls_start(struct smtp_client *);
void	sc_tls_done(struct smtp_client *);
void	sc_tls_failed(struct smtp_client *, const char *why);
/* What went wrong with the connection, for a status. */
void	sc_bev_error(struct smtp_client *, short what, char *buf,
	    size_t len);
void	sc_reply_starttls(struct smtp_client *, enum dlv_result);
void	sc_reply_auth(struct smtp_client *, enum dlv_result);
void	sc_reply_auth_login(struct smtp_client *, enum dlv_result);

/* smtp_client_tx.c: one transaction. */
bool	sc_in_tx(const struct smtp_client *);
/* Every recipient of the transaction still pending gets this result. */
void	sc_fail_pending(struct smtp_client *, enum dlv_result,
	    const char *status);
/* The transaction is over: idle again or closed, SMTPC_TX_DONE. */
void	sc_tx_finish(struct smtp_client *);
/* Forget the transaction (the message file closed), no callback. */
void	sc_tx_clear(struct smtp_client *);
/* The write callback during SC_BODY: more of the message. */
void	sc_fill_body(struct smtp_client *);
void	sc_reply_rset_before(struct smtp_client *, enum dlv_result);
void	sc_reply_mail(struct smtp_client *, enum dlv_result);
void	sc_reply_rcpt(struct smtp_client *, enum dlv_result);
void	sc_reply_data(struct smtp_client *, enum dlv_result);
void	sc_reply_dot(struct smtp_client *, enum dlv_result);
void	sc_reply_dot_discard(struct smtp_client *, enum dlv_result);
void	sc_reply_rset_after(struct smtp_client *, enum dlv_result);

#endif
