/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * tls_client.h — the client side of TLS for outgoing SMTP
 * (smtp_client_tls.c): SSL_CTX objects built once per (verify, ca_file,
 * ca_path, client cert and key, DANE) and cached until
 * tls_client_cleanup(), one SSL per connection with SNI and the peer
 * name (or TLSA records) to check, and the texts that go into logs and
 * statuses.
 */
#ifndef SMARTHOSTD_TLS_CLIENT_H
#define SMARTHOSTD_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct dane_tlsa_set;

/*
 * A new SSL for one connection, TLS 1.2 at least.  With verify, the chain
 * is checked against ca_file/ca_path (both NULL: the system store) and the
 * peer against servername (a host name, also sent as SNI) or, when
 * servername is NULL, against the address ip ("192.0.2.1", "2001:db8::1").
 * Without verify nothing is checked (opportunistic and required).  With
 * cert and key (PEM files; else both NULL) the client presents that
 * certificate (relayer tls_cert/tls_key).  Returns NULL with the reason in
 * err when the trust anchors or the certificate cannot be loaded.
 */
SSL		*tls_client_ssl(bool verify, const char *ca_file,
		    const char *ca_path, const char *cert, const char *key,
		    const char *servername, const char *ip, char *err,
		    size_t errlen);

/*
 * A new SSL for one connection authenticated by DANE (RFC 7672): the
 * peer's chain must match one of tlsa's usable records (DANE-EE: the
 * server's certificate or key, no name checked; DANE-TA: a trust anchor
 * in the chain the server sends, and then servername, the TLSA base
 * domain, must be in the certificate), or the handshake fails.  No
 * PKIX trust store is used.  servername is also sent as SNI.
 */
SSL		*tls_client_ssl_dane(const struct dane_tlsa_set *tlsa,
		    const char *cert, const char *key, const char *servername,
		    char *err, size_t errlen);

/* After the handshake: did a TLSA record authenticate the peer? */
bool		 tls_client_dane_verified(SSL *);

/* "TLSv1.3/TLS_AES_256_GCM_SHA384 verified=yes" for an established ssl;
 * the caller frees it. */
char		*tls_client_info(SSL *, bool verified);

/* Why a handshake failed when the peer's certificate was the reason
 * ("certificate has expired", "hostname mismatch"), else NULL. */
const char	*tls_client_verify_error(SSL *);

/* Free the cached contexts (also done at exit, and on reload so that a
 * renewed client certificate is read again; connections in progress keep
 * theirs). */
void		 tls_client_cleanup(void);

#endif
