/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * tls_server.c — owns the OpenSSL side of the listeners: building a
 * listener's SSL_CTX (built by smtp_server_configure(), so a reload reads
 * the certificate again) and wrapping a session's connection in
 * bufferevent_openssl.  The SMTP meaning of STARTTLS (discarding pipelined
 * input, forgetting the session) stays in smtp_session.c.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "tls_server.h"
#include "privread.h"
#include "util.h"

/*
 * TLS 1.2 suites with forward secrecy and AEAD only; TLS 1.3 suites are
 * OpenSSL's defaults, which are all good.
 */
#define TLS12_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:" \
			"!aNULL:!eNULL:!MD5:!SHA1:!DSS"

static void
ssl_error(char *err, size_t errlen, const char *what, const char *file)
{
	unsigned long	 e = ERR_peek_last_error();
	char		 buf[256];

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		strlcpy_(buf, "unknown error", sizeof(buf));
	ERR_clear_error();
	if (file != NULL)
		snprintf(err, errlen, "%s \"%s\": %s", what, file, buf);
	else
		snprintf(err, errlen, "%s: %s", what, buf);
}

SSL_CTX *
tls_server_ctx_new(const char *cert, const char *key, char *err,
    size_t errlen)
{
	SSL_CTX		*ctx;
	const char	*failed;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		ssl_error(err, errlen, "cannot create a TLS context", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	    /* Clients that close without close_notify end the session as
	     * EOF, not as an error. */
	    | SSL_OP_IGNORE_UNEXPECTED_EOF
#endif
	    );
	/* Partial writes: libevent hands OpenSSL chunks of its buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/* No client certificates are asked for, and no session cache is
	 * needed for mail submission. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* TLS 1.3 sends tickets after the handshake even so; with no cache
	 * they could never be used (#19 item 10). */
	SSL_CTX_set_num_tickets(ctx, 0);
	/* Built-in DH groups sized to the key, for the DHE suites. */
	SSL_CTX_set_dh_auto(ctx, 1);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
		ssl_error(err, errlen, "cannot set TLS ciphers", NULL);
		goto fail;
	}
	/* Read as root after the privilege drop too (privread.h). */
	if (privread_use_cert_key(ctx, cert, key, &failed) == -1) {
		if (ERR_peek_last_error() == 0)
			snprintf(err, errlen, "cannot load %s %s: %s", failed,
			    strcmp(failed, "cert") == 0 ? cert : key,
			    strerror(errno));
		else
			ssl_error(err, errlen, strcmp(failed, "cert") == 0 ?
			    "cannot load cert" : "cannot load key",
			    strcmp(failed, "cert") == 0 ? cert : key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "key \"%s\" does not match cert \"%s\"",
		    key, cert);
		goto fail;
	}
	return ctx;

fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static struct bufferevent *
tls_new(struct event_base *base, SSL_CTX *ctx, struct bufferevent *under,
    int fd)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(ctx)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (under != NULL)
		bev = bufferevent_openssl_filter_new(base, under, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	else
		bev = bufferevent_openssl_socket_new(base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	/*
	 * libevent fails here only when out of memory, and then may or may
	 * not have freed the SSL and closed the socket: nothing sound can
	 * follow, as with xmalloc().
	 */
	if (bev == NULL)
		fatalx("cannot create a TLS bufferevent");
	/* A peer that closes without close_notify is at EOF all the same. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

struct bufferevent *
tls_server_filter(struct event_base *base, SSL_CTX *ctx,
    struct bufferevent *under)
{
	return tls_new(base, ctx, under, -1);
}

struct bufferevent *
tls_server_socket(struct event_base *base, SSL_CTX *ctx, int fd)
{
	return tls_new(base, ctx, NULL, fd);
}

void
tls_server_describe(struct bufferevent *bev, char *buf, size_t len)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	const SSL_CIPHER *c;
	int		 alg = 0, bits;

	if (ssl == NULL || (c = SSL_get_current_cipher(ssl)) == NULL) {
		snprintf(buf, len, "unknown TLS");
		return;
	}
	bits = SSL_CIPHER_get_bits(c, &alg);
	snprintf(buf, len, "%s with cipher %s (%d/%d bits)",
	    SSL_get_version(ssl), SSL_CIPHER_get_name(c), bits, alg);
}

void
tls_server_error(struct bufferevent *bev, char *buf, size_t len)
{
	unsigned long	 e;
	char		 one[256];
	size_t		 used = 0;

	buf[0] = '\0';
	while ((e = bufferevent_get_openssl_error(bev)) != 0 && used < len) {
		/* libevent files SSL_get_error() codes and errno values
		 * among OpenSSL's errors: those say nothing more. */
		if (ERR_GET_LIB(e) == 0)
			continue;
		ERR_error_string_n(e, one, sizeof(one));
		used += snprintf(buf + used, len - used, "%s%s",
		    used > 0 ? "; " : "", one);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "connection closed");
}

void
tls_server_shutdown(struct bufferevent *bev)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);

	/* Only once the handshake is done: a close_notify in the middle of
	 * a handshake means nothing to the peer. */
	if (ssl != NULL && SSL_is_init_finished(ssl)) {
		SSL_shutdown(ssl);
		ERR_clear_error();
	}
}

void
tls_server_abort(struct bufferevent *bev)
{
	struct bufferevent	*under = bufferevent_get_underlying(bev);
	evutil_socket_t		 fd;

	/* One non-blocking write: an alert is a few octets and the socket
	 * is idle, and waiting any longer for a failed peer is not worth it. */
	if (under != NULL && (fd = bufferevent_getfd(under)) != -1)
		evbuffer_write(bufferevent_get_output(under), fd);
}
