/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * tls_server.h — TLS on the receiving side: one OpenSSL context per
 * listener, and the libevent bufferevents that speak TLS for a session
 * (STARTTLS over the plain socket bufferevent, or implicit TLS from the
 * first byte).
 */
#ifndef SMARTHOSTD_TLS_SERVER_H
#define SMARTHOSTD_TLS_SERVER_H

#include <stddef.h>

#include <openssl/ssl.h>

struct event_base;
struct bufferevent;

/*
 * A server context for a certificate chain and key (PEM files): TLS 1.2 at
 * least, no compression, no renegotiation, server cipher preference.
 * Returns NULL with a reason in err.  Free with SSL_CTX_free(); sessions
 * hold their own reference (SSL_CTX_up_ref()).
 */
SSL_CTX		*tls_server_ctx_new(const char *cert, const char *key,
		    char *err, size_t errlen);

/*
 * STARTTLS: a bufferevent that runs the server handshake over `under`
 * (which it owns and frees from then on).  Input already buffered in
 * `under` must have been discarded by the caller.  NULL on failure, and
 * `under` is then still the caller's.  (Out of memory inside libevent is
 * fatal, as in xmalloc().)
 */
struct bufferevent *tls_server_filter(struct event_base *, SSL_CTX *,
		    struct bufferevent *under);

/* Implicit TLS: a bufferevent that owns fd and handshakes at once.  NULL
 * on failure, and fd is then still the caller's. */
struct bufferevent *tls_server_socket(struct event_base *, SSL_CTX *, int fd);

/* After the handshake: "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384
 * (256/256 bits)", for logs and the Received header. */
void		 tls_server_describe(struct bufferevent *, char *buf,
		    size_t len);

/* Why a handshake failed, from the bufferevent's OpenSSL errors. */
void		 tls_server_error(struct bufferevent *, char *buf, size_t len);

/* A failed handshake: send what OpenSSL queued for the peer (its alert)
 * without waiting, before the session is freed. */
void		 tls_server_abort(struct bufferevent *);

/* Send close_notify (best effort) before the connection is closed. */
void		 tls_server_shutdown(struct bufferevent *);

#endif
