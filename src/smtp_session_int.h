/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_session_int.h — the receiving session's two objects and what its
 * five files call of each other: the connection and its life
 * (smtp_session.c), its read path on a plain connection
 * (smtp_session_rx.c), the command table and the commands before DATA
 * (smtp_session_cmd.c), the message's reception after DATA or BDAT
 * (smtp_session_data.c) and the AUTH exchange (smtp_session_auth.c).
 * Nothing else includes it: smtp_server.c sees smtp_session.h and an
 * opaque session.
 */
#ifndef SMARTHOSTD_SMTP_SESSION_INT_H
#define SMARTHOSTD_SMTP_SESSION_INT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "envelope.h"
#include "receive.h"
#include "smtp_data.h"
#include "smtp_parse.h"
#include "smtp_session.h"

struct auth_job;
struct bufferevent;
struct config;
struct deadline;
struct event;
struct evbuffer;
struct evbuffer_cb_entry;
struct listener_conf;

/* Replies made while one read is handled wait in the session and leave
 * together (pipelined commands: RFC 2920); the longest reply line fits. */
#define PEND_MAX	1024
/* Stop reading from the socket while this much input is unprocessed. */
#define INPUT_MAX	(64 * 1024)

enum session_state {
	S_GREETED,	/* waiting for EHLO/HELO */
	S_HELO,		/* no transaction */
	S_MAIL,		/* MAIL accepted, no recipient yet */
	S_RCPT,		/* at least one recipient */
	S_DATA,		/* receiving the message */
	S_COMMIT,	/* waiting for receive_commit() */
	S_CLOSING	/* flushing the last replies, then free */
};

/* Where an AUTH exchange is: the next line is a response, not a command. */
enum auth_step {
	AUTH_STEP_NONE,
	AUTH_STEP_PLAIN,	/* sent "334 ", waiting for the credentials */
	AUTH_STEP_LOGIN_USER,	/* sent the Username: prompt */
	AUTH_STEP_LOGIN_PASS	/* sent the Password: prompt */
};

struct smtp_tx {
	char			*sender;	/* "" for the null path */
	char			**rcpts;
	int			 n_rcpts;
	struct receive_dsn	*dsn;		/* per recipient (orcpt owned) */
	enum smtp_body		 body_type;
	bool			 smtputf8;
	enum dsn_ret		 ret;		/* DSN RET= */
	char			*envid;		/* DSN ENVID=, or NULL */

	/* From DATA (or the first BDAT) on. */
	struct receive_tx	*rtx;		/* NULL once aborted */
	struct smtp_data	 df;
	bool			 bdat;		/* CHUNKING: framed by BDAT */
	struct bdat_filter	 bf;
	bool			 too_big;
	bool			 no_space;	/* the reserve ran out in DATA */
	uint64_t		 space_next;	/* check the reserve again once
						   this many octets are stored */
};

struct smtp_session {
	struct smtp_session_env	 env;		/* ssl_ctx, users: see below */
	struct event_base	*base;
	struct config		*cfg;		/* own reference */
	const struct listener_conf *lc;		/* inside cfg */
	struct bufferevent	*bev;
	struct event		*rx;		/* plain: our read event, the
						   bufferevent only writes */
	struct event		*ev_free;
	struct deadline		*deadline;	/* for a line, or for DATA */
	struct sockaddr_storage	 peer;
	char			 ip[INET6_ADDRSTRLEN];
	bool			 ipv6;		/* not IPv4 or IPv4-mapped */
	char			*helo;
	bool			 esmtp;
	bool			 tls;		/* handshake done */
	char			*auth_user;	/* set after AUTH */

	/* TLS */
	SSL_CTX			*ssl_ctx;	/* own reference, or NULL */
	bool			 starttls;	/* 220 queued: switch to TLS */
	bool			 handshaking;
	char			*tls_info;	/* version and cipher */
	struct evbuffer		*drain;		/* closing: wait for it */
	struct evbuffer_cb_entry *drain_cb;

	/* AUTH (smtp_session_auth.c) */
	struct auth_users	*users;		/* own reference, or NULL */
	enum auth_step		 auth_step;
	char			*login_user;	/* LOGIN between its steps */
	struct event		*ev_auth;	/* the delay after a failure */
	bool			 auth_wait;	/* in that delay, or checking */
	struct auth_job		*auth_job;	/* the check in the worker */
	char			*auth_try_user;	/* its user name */
	const char		*auth_try_mech;
	int			 auth_failures;

	enum session_state	 state;
	bool			 discarding;	/* rest of an overlong line */
	bool			 out_paused;	/* client not reading */
	bool			 eof;		/* client shut its side */
	bool			 freeing;	/* ev_free is active */
	bool			 in_process;	/* session_process() running */
	bool			 plain;		/* s->bev is the socket's own:
						   replies may go straight to it */
	size_t			 npend;
	char			 pend[PEND_MAX];	/* replies not yet out */
	/* BDAT: a chunk's octets are read as data, never as commands, even
	 * when the command failed (the client sends them regardless). */
	bool			 in_bdat;
	uint64_t		 bdat_left;
	bool			 bdat_last;
	const char		*bdat_error;	/* reply at the chunk's end */
	struct smtp_tx		*tx;
};

/*
 * smtp_session.c: the connection.
 */

/* The one place states change, so a debug log shows every transition. */
void	session_enter_state(struct smtp_session *, enum session_state);
/* Append one reply line (CRLF added) to the output. */
void	session_reply(struct smtp_session *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Reading is on unless something is pending that must finish first. */
void	session_update_read(struct smtp_session *);
/* End the transaction (RSET, HELO, end of DATA); keep the session. */
void	session_reset(struct smtp_session *);
/* Stop reading; free once the replies already queued are written. */
void	session_close(struct smtp_session *);
/* Up to max octets at the head of the input, contiguous, and their
 * number in *n; NULL when nothing is buffered.  *avail (if not NULL) is
 * all that is buffered.  Every reader of the input starts here. */
const char *session_input(struct smtp_session *, size_t max, size_t *n,
		    size_t *avail);
/* The same for octets that need not be contiguous beyond the first chain
 * of the input (DATA and BDAT, whose filters keep their state across
 * calls): up to max of them as they lie, never copied together. */
const char *session_input_piece(struct smtp_session *, size_t max,
		    size_t *n);
/* Handle everything buffered, until more input is needed or something
 * must finish first (a caller that resumes a paused session). */
void	session_process(struct smtp_session *);
/* What the bufferevent reports (BEV_EVENT_*: end of file, error,
 * timeout, TLS handshake done), and the same from the plain read path. */
void	session_conn_event(struct smtp_session *, short);

/*
 * smtp_session_rx.c: reading a plain connection (one read(2) per
 * readiness into the bufferevent's input).
 */

/* The read event on fd (off until session_rx_set()); -1 if none. */
int	session_rx_new(struct smtp_session *, int);
/* For good (STARTTLS, the end): nothing is read here any more. */
void	session_rx_free(struct smtp_session *);
/* Reading on (the read timeout starts again) or off. */
void	session_rx_set(struct smtp_session *, bool);

/*
 * smtp_session_cmd.c: the command table.
 */

/* One command line (without its line end): parsed, checked against the
 * session's state and run; the reply is queued. */
void	session_command(struct smtp_session *, const char *, size_t);

/*
 * smtp_session_data.c: from DATA or BDAT to the commit's reply.
 */

/* The command table's DATA and BDAT. */
void	session_data_cmd(struct smtp_session *, const struct smtp_cmd *);
void	session_bdat_cmd(struct smtp_session *, const struct smtp_cmd *);
/* Body octets from the input, in state S_DATA or inside a BDAT chunk.
 * 1 when something was consumed, 0 when more input is needed. */
int	session_data_read(struct smtp_session *);
int	session_bdat_read(struct smtp_session *);

/*
 * smtp_session_auth.c: AUTH PLAIN and LOGIN (RFC 4954).
 */

/* The command table's check and run for AUTH. */
const char *session_auth_check(struct smtp_session *,
		    const struct smtp_cmd *);
void	session_auth_cmd(struct smtp_session *, const struct smtp_cmd *);
/* A line inside an AUTH exchange (never a command). */
void	session_auth_response(struct smtp_session *, const char *, size_t);
/* End an exchange in progress (an overlong line): the next line is a
 * command again. */
void	session_auth_abort(struct smtp_session *);
/* Free what AUTH holds (timer, pending check, names) at the session's
 * end. */
void	session_auth_free(struct smtp_session *);

#endif
