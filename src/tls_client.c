/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * tls_client.c — owns the client-side TLS contexts: one SSL_CTX per
 * (verify, ca_file, ca_path, client cert, DANE) combination, built on
 * first use and kept
 * until exit, since loading a trust store is far dearer than a handshake;
 * and the per-connection SSL with SNI and the name or address the peer's
 * certificate must match.  The handshake itself runs in smtp_client_tls.c
 * through libevent's bufferevent_openssl.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "dane.h"
#include "log.h"
#include "tls_client.h"
#include "privread.h"
#include "util.h"

struct tc_ctx {
	struct tc_ctx	*next;
	bool		 verify;
	bool		 dane;
	char		*ca_file, *ca_path;
	char		*cert, *key;
	SSL_CTX		*ctx;
};

static struct tc_ctx	*tc_cache;
static bool		 tc_atexit;

/* The first queued OpenSSL error as text, the queue emptied. */
static void
tc_ssl_error(char *buf, size_t len)
{
	unsigned long	e;

	e = ERR_get_error();
	if (e == 0)
		strlcpy_(buf, "unknown error", len);
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

/* The client certificate: chain from cert, private key from key. */
static int
tc_ctx_cert(SSL_CTX *ctx, const char *cert, const char *key, char *err,
    size_t errlen)
{
	const char	*failed;
	char		 buf[256];

	/* Read as root after the privilege drop too (privread.h). */
	if (privread_use_cert_key(ctx, cert, key, &failed) == -1 &&
	    strcmp(failed, "cert") == 0) {
		if (ERR_peek_last_error() == 0)
			snprintf(buf, sizeof(buf), "%s", strerror(errno));
		else
			tc_ssl_error(buf, sizeof(buf));
		snprintf(err, errlen, "cannot load tls_cert %s: %s", cert, buf);
		return -1;
	}
	if (failed != NULL || SSL_CTX_check_private_key(ctx) != 1) {
		tc_ssl_error(buf, sizeof(buf));
		snprintf(err, errlen, "cannot load tls_key %s: %s", key, buf);
		return -1;
	}
	return 0;
}

static SSL_CTX *
tc_ctx_new(bool verify, bool dane, const char *ca_file, const char *ca_path,
    const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX	*ctx;
	char	 buf[256];
	int	 r;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		tc_ssl_error(buf, sizeof(buf));
		snprintf(err, errlen, "SSL_CTX_new: %s", buf);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (cert != NULL && tc_ctx_cert(ctx, cert, key, err, errlen) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
#ifdef WITH_DANE
	if (dane) {
		/* The TLSA records are the only trust: no store loaded. */
		if (SSL_CTX_dane_enable(ctx) <= 0) {
			tc_ssl_error(buf, sizeof(buf));
			snprintf(err, errlen, "SSL_CTX_dane_enable: %s", buf);
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		return ctx;
	}
#endif
	if (!verify) {
		/* opportunistic and required: encryption without trust. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file != NULL || ca_path != NULL)
		r = SSL_CTX_load_verify_locations(ctx, ca_file, ca_path);
	else
		r = SSL_CTX_set_default_verify_paths(ctx);
	if (r != 1) {
		tc_ssl_error(buf, sizeof(buf));
		snprintf(err, errlen, "cannot load trust anchors from %s%s%s: "
		    "%s", ca_file != NULL ? ca_file : "",
		    ca_file != NULL && ca_path != NULL ? " and " : "",
		    ca_path != NULL ? ca_path : ca_file == NULL ?
		    "the system store" : "", buf);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void
tc_atexit_cb(void)
{
	tls_client_cleanup();
}

static SSL_CTX *
tc_ctx_get(bool verify, bool dane, const char *ca_file, const char *ca_path,
    const char *cert, const char *key, char *err, size_t errlen)
{
	struct tc_ctx	*t;
	SSL_CTX		*ctx;

	/* The trust anchors only matter when verifying by PKIX. */
	if (!verify || dane)
		ca_file = ca_path = NULL;
	if (dane)
		verify = true;
	for (t = tc_cache; t != NULL; t = t->next)
		if (t->verify == verify && t->dane == dane &&
		    str_same(t->ca_file, ca_file) &&
		    str_same(t->ca_path, ca_path) && str_same(t->cert, cert) &&
		    str_same(t->key, key))
			return t->ctx;
	if ((ctx = tc_ctx_new(verify, dane, ca_file, ca_path, cert, key, err,
	    errlen)) == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->verify = verify;
	t->dane = dane;
	t->ca_file = ca_file != NULL ? xstrdup(ca_file) : NULL;
	t->ca_path = ca_path != NULL ? xstrdup(ca_path) : NULL;
	t->cert = cert != NULL ? xstrdup(cert) : NULL;
	t->key = key != NULL ? xstrdup(key) : NULL;
	t->ctx = ctx;
	t->next = tc_cache;
	tc_cache = t;
	if (!tc_atexit) {
		tc_atexit = true;
		atexit(tc_atexit_cb);
	}
	return ctx;
}

/* A connection from the cached context for these settings. */
static SSL *
tc_ssl_new(bool verify, bool dane, const char *ca_file, const char *ca_path,
    const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX	*ctx;
	SSL	*ssl;
	char	 buf[256];

	if ((ctx = tc_ctx_get(verify, dane, ca_file, ca_path, cert, key, err,
	    errlen)) == NULL)
		return NULL;
	if ((ssl = SSL_new(ctx)) == NULL) {
		tc_ssl_error(buf, sizeof(buf));
		snprintf(err, errlen, "SSL_new: %s", buf);
		return NULL;
	}
	return ssl;
}

SSL *
tls_client_ssl(bool verify, const char *ca_file, const char *ca_path,
    const char *cert, const char *key, const char *servername, const char *ip,
    char *err, size_t errlen)
{
	SSL			*ssl;
	X509_VERIFY_PARAM	*param;
	char			 buf[256];

	if ((cert == NULL) != (key == NULL)) {
		snprintf(err, errlen, "tls_cert without tls_key");
		return NULL;
	}
	if ((ssl = tc_ssl_new(verify, false, ca_file, ca_path, cert, key, err,
	    errlen)) == NULL)
		return NULL;
	/* SNI carries host names only, never address literals (RFC 6066). */
	if (servername != NULL &&
	    SSL_set_tlsext_host_name(ssl, servername) != 1) {
		tc_ssl_error(buf, sizeof(buf));
		snprintf(err, errlen, "cannot send \"%s\" as SNI: %s",
		    servername, buf);
		SSL_free(ssl);
		return NULL;
	}
	if (!verify)
		return ssl;
	param = SSL_get0_param(ssl);
	X509_VERIFY_PARAM_set_hostflags(param,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (servername != NULL) {
		if (SSL_set1_host(ssl, servername) != 1) {
			snprintf(err, errlen, "cannot check the name \"%s\"",
			    servername);
			ERR_clear_error();
			SSL_free(ssl);
			return NULL;
		}
	} else if (ip == NULL ||
	    X509_VERIFY_PARAM_set1_ip_asc(param, ip) != 1) {
		/* Never verify a chain without a name or address to match. */
		snprintf(err, errlen, "no host name or address to verify "
		    "the certificate against");
		ERR_clear_error();
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

#ifdef WITH_DANE
SSL *
tls_client_ssl_dane(const struct dane_tlsa_set *tlsa, const char *cert,
    const char *key, const char *servername, char *err, size_t errlen)
{
	SSL			*ssl;
	const struct dane_tlsa	*t;
	char			 buf[256];
	int			 i, added = 0;

	if ((cert == NULL) != (key == NULL)) {
		snprintf(err, errlen, "tls_cert without tls_key");
		return NULL;
	}
	if (servername == NULL || tlsa == NULL || tlsa->n == 0) {
		snprintf(err, errlen, "DANE without a host name or a usable "
		    "TLSA record");
		return NULL;
	}
	if ((ssl = tc_ssl_new(true, true, NULL, NULL, cert, key, err,
	    errlen)) == NULL)
		return NULL;
	/* RFC 7672 8.1: SNI is the TLSA base domain.  SSL_dane_enable()
	 * also makes it the name a DANE-TA chain must carry. */
	if (SSL_set_tlsext_host_name(ssl, servername) != 1 ||
	    SSL_dane_enable(ssl, servername) <= 0) {
		tc_ssl_error(buf, sizeof(buf));
		snprintf(err, errlen, "cannot enable DANE for \"%s\": %s",
		    servername, buf);
		SSL_free(ssl);
		return NULL;
	}
	X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl),
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	/* RFC 7672 3.1.1: a DANE-EE match says nothing of names. */
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; i < tlsa->n; i++) {
		t = &tlsa->rr[i];
		/* 0: a record OpenSSL cannot use (a digest it lacks). */
		if (SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype,
		    t->data, t->len) > 0)
			added++;
	}
	ERR_clear_error();
	if (added == 0) {
		snprintf(err, errlen, "no TLSA record of %s is usable by the "
		    "TLS library", servername);
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

bool
tls_client_dane_verified(SSL *ssl)
{
	return SSL_get_verify_result(ssl) == X509_V_OK &&
	    SSL_get0_dane_authority(ssl, NULL, NULL) >= 0;
}
#endif

char *
tls_client_info(SSL *ssl, bool verified)
{
	return xasprintf("%s/%s verified=%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), verified ? "yes" : "no");
}

const char *
tls_client_verify_error(SSL *ssl)
{
	long	r;

	if (SSL_get_verify_mode(ssl) == SSL_VERIFY_NONE)
		return NULL;
	r = SSL_get_verify_result(ssl);
	if (r == X509_V_OK)
		return NULL;
	return X509_verify_cert_error_string(r);
}

void
tls_client_cleanup(void)
{
	struct tc_ctx	*t;

	while ((t = tc_cache) != NULL) {
		tc_cache = t->next;
		SSL_CTX_free(t->ctx);
		free(t->ca_file);
		free(t->ca_path);
		free(t->cert);
		free(t->key);
		free(t);
	}
}
