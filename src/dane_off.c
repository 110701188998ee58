/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dane_off.c — DANE left out (./configure --disable-dane, or --enable-small
 * without --enable-dane): in place of dane.c.  config_relayer.c refuses a
 * relayer's `dane` other than "off" at its file:line, so no destination
 * ever has TLSA records: every set is NULL, RELAYER_DANE() and SC_DANE()
 * are constants and the TLSA lookup (resolver_lookup.c) and the DANE
 * handshake (tls_client.c) are not built.  The stand-ins below them keep
 * an unoptimised build linking; none is ever reached.
 */
#include <stdbool.h>
#include <stdio.h>

#include <openssl/ssl.h>

#include "dane.h"
#include "resolver.h"
#include "tls_client.h"

struct dane_tlsa_set *
dane_tlsa_set_dup(const struct dane_tlsa_set *s)
{
	return NULL;
}

void
dane_tlsa_set_free(struct dane_tlsa_set *s)
{
}

bool
dane_tlsa_set_equal(const struct dane_tlsa_set *a,
    const struct dane_tlsa_set *b)
{
	return a == b;
}

struct resolver_query *
resolver_tlsa(struct resolver *d, const char *name, resolver_tlsa_cb cb,
    void *arg)
{
	/* Unreachable: no relayer can have dane set in this build. */
	return NULL;
}

SSL *
tls_client_ssl_dane(const struct dane_tlsa_set *tlsa, const char *cert,
    const char *key, const char *servername, char *err, size_t errlen)
{
	snprintf(err, errlen, "built without DANE");
	return NULL;
}

bool
tls_client_dane_verified(SSL *ssl)
{
	return false;
}
