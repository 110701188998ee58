/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * tls_client-t.c — unit tests for tls_client.c: what each SSL is set up
 * to do (protocol floor, verification, SNI, the name or address to
 * match), the context cache, and the errors.  Handshakes themselves are
 * exercised by t/integration/tls-client.t against real servers.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls_client.h"
#include "../tap.h"

static void
test_unverified(void)
{
	char	 err[256] = "";
	SSL	*a, *b;

	a = tls_client_ssl(false, NULL, NULL, NULL, NULL, "mx.example", NULL, err,
	    sizeof(err));
	ok(a != NULL, "unverified SSL made");
	if (a == NULL)
		return;
	is_int(SSL_get_verify_mode(a), SSL_VERIFY_NONE, "no verification");
	is_int(SSL_get_min_proto_version(a), TLS1_2_VERSION, "TLS 1.2 floor");
	is_str(SSL_get_servername(a, TLSEXT_NAMETYPE_host_name), "mx.example",
	    "SNI set from the host name");
	ok(tls_client_verify_error(a) == NULL, "no verify error unverified");

	/* The trust anchors do not matter without verification: one ctx. */
	b = tls_client_ssl(false, "/nonexistent/ca.pem", NULL, NULL, NULL, NULL,
	    "192.0.2.1", err, sizeof(err));
	ok(b != NULL, "unverified SSL ignores ca_file");
	if (b != NULL) {
		ok(SSL_get_SSL_CTX(a) == SSL_get_SSL_CTX(b),
		    "unverified contexts shared");
		ok(SSL_get_servername(b, TLSEXT_NAMETYPE_host_name) == NULL,
		    "no SNI for an address literal");
		SSL_free(b);
	}
	SSL_free(a);
}

static void
test_verified(void)
{
	char			 err[256] = "";
	SSL			*a, *b, *u;
	X509_VERIFY_PARAM	*p;

	a = tls_client_ssl(true, NULL, NULL, NULL, NULL, "smtp.example.net", NULL, err,
	    sizeof(err));
	ok(a != NULL, "verified SSL against the system store");
	if (a == NULL) {
		printf("# %s\n", err);
		return;
	}
	is_int(SSL_get_verify_mode(a), SSL_VERIFY_PEER, "peer verified");
	is_str(SSL_get_servername(a, TLSEXT_NAMETYPE_host_name),
	    "smtp.example.net", "SNI sent when verifying");
	p = SSL_get0_param(a);
	is_str(X509_VERIFY_PARAM_get0_host(p, 0), "smtp.example.net",
	    "host name to match");
	is_int(SSL_get_min_proto_version(a), TLS1_2_VERSION,
	    "TLS 1.2 floor when verifying");

	b = tls_client_ssl(true, NULL, NULL, NULL, NULL, NULL, "127.0.0.1", err,
	    sizeof(err));
	ok(b != NULL, "verified SSL for an address");
	if (b != NULL) {
		ok(SSL_get_SSL_CTX(a) == SSL_get_SSL_CTX(b),
		    "same anchors, same context");
		ok(SSL_get_servername(b, TLSEXT_NAMETYPE_host_name) == NULL,
		    "no SNI for an address");
		ok(X509_VERIFY_PARAM_get0_host(SSL_get0_param(b), 0) == NULL,
		    "no host name for an address");
		SSL_free(b);
	}
	u = tls_client_ssl(false, NULL, NULL, NULL, NULL, NULL, NULL, err, sizeof(err));
	ok(u != NULL && SSL_get_SSL_CTX(u) != SSL_get_SSL_CTX(a),
	    "verified and unverified contexts differ");
	SSL_free(u);
	SSL_free(a);
}

static void
test_errors(void)
{
	char	 err[256] = "";
	SSL	*s;

	s = tls_client_ssl(true, "/nonexistent/ca.pem", NULL, NULL, NULL, "a.example",
	    NULL, err, sizeof(err));
	ok(s == NULL, "unreadable ca_file refused");
	ok(strstr(err, "/nonexistent/ca.pem") != NULL,
	    "the error names the file");
	SSL_free(s);

	err[0] = '\0';
	s = tls_client_ssl(true, NULL, NULL, NULL, NULL, NULL, NULL, err, sizeof(err));
	ok(s == NULL, "verification with nothing to match refused");
	ok(strstr(err, "no host name or address") != NULL,
	    "the error says why");
	SSL_free(s);

	err[0] = '\0';
	s = tls_client_ssl(true, NULL, NULL, NULL, NULL, NULL, "not-an-address", err,
	    sizeof(err));
	ok(s == NULL, "a bad address literal refused");
	SSL_free(s);
}

int
main(void)
{
	test_unverified();
	test_verified();
	test_errors();
	tls_client_cleanup();
	return done_testing();
}
