/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_client_tls.c — owns an outgoing connection's security between EHLO
 * and ready: the relayer's TLS policy (STARTTLS, or implicit TLS from the
 * first byte, through a bufferevent_openssl filter over the socket; the
 * contexts and the verification, by PKIX or DANE, are tls_client.c's),
 * the plaintext retry of opportunistic TLS, and AUTH PLAIN/LOGIN, which
 * only ever runs under TLS.  Part of the smtp client (smtp_client_int.h).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "smtp_client.h"
#include "smtp_client_int.h"
#include "tls_client.h"
#include "util.h"

/* OpenSSL's queued errors first, then the socket's. */
void
sc_bev_error(struct smtp_client *c, short what, char *buf, size_t len)
{
	unsigned long	e, first = 0;
	int		 se = EVUTIL_SOCKET_ERROR();

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		if (first == 0)
			first = e;
	if (first != 0)
		ERR_error_string_n(first, buf, len);
	else if (what & BEV_EVENT_EOF)
		snprintf(buf, len, "connection closed by the server");
	else if (se != 0)
		snprintf(buf, len, "%s", evutil_socket_error_to_string(se));
	else
		snprintf(buf, len, "connection closed");
}

/*
 * Start the TLS handshake over the connected socket.  A filter rather than
 * bufferevent_openssl_socket_new(): the same path serves implicit TLS and
 * STARTTLS, and a failed TCP connect stays apart from a failed handshake.
 */
void
sc_tls_start(struct smtp_client *c)
{
	struct bufferevent	*under = c->bev, *bev;
	char			 err[512];

	if (SC_DANE(&c->conf) != NULL)
		c->ssl = tls_client_ssl_dane(SC_DANE(&c->conf), c->conf.tls_cert,
		    c->conf.tls_key, c->conf.servername, err, sizeof(err));
	else
		c->ssl = tls_client_ssl(c->conf.tls == CTLS_VERIFY,
		    c->conf.ca_file, c->conf.ca_path, c->conf.tls_cert,
		    c->conf.tls_key, c->conf.servername, c->ip[0] != '\0' ?
		    c->ip : NULL, err, sizeof(err));
	if (c->ssl == NULL) {
		/* Our own configuration is at fault: no plaintext retry. */
		log_warnx("smtp client %s: %s", c->remote, err);
		sc_fail(c, "451 4.7.5 cannot start TLS with %s: %s",
		    c->remote, err);
		return;
	}
	bev = bufferevent_openssl_filter_new(c->base, under, c->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		sc_fail(c, "451 4.7.5 cannot start TLS with %s", c->remote);
		return;
	}
	c->bev = bev;
	/* SMTP has its own end marker: a close without close_notify is no
	 * truncation attack, only a peer in a hurry. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	/* Without a high mark on the socket the filter would encrypt the
	 * whole message into memory at once. */
	bufferevent_setwatermark(under, EV_WRITE, BODY_LOWAT, BODY_HIWAT);
	sc_bev_setcb(c, bev);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	sc_enter(c, SC_HANDSHAKE);
	sc_arm(c, c->conf.implicit_tls ? c->conf.connect_timeout :
	    c->conf.command_timeout);
}

void
sc_tls_done(struct smtp_client *c)
{
	/* The handshake verifies; this is a second look, never a first. */
	if (SC_DANE(&c->conf) != NULL && !tls_client_dane_verified(c->ssl)) {
		sc_fail(c, "451 4.7.5 TLS with %s not authenticated by its "
		    "TLSA records", c->remote);
		return;
	}
	c->tls_active = true;
	free(c->tls_info);
	c->tls_info = tls_client_info(c->ssl, c->conf.tls == CTLS_VERIFY);
	log_debug("smtp client %s: TLS established: %s", c->remote,
	    c->tls_info);
	if (c->conf.implicit_tls) {
		sc_enter(c, SC_GREETING);
		sc_arm(c, c->conf.connect_timeout);
		return;
	}
	/* RFC 3207: forget all we learnt in plaintext, ask again. */
	sc_ehlo(c);
}

/* Connect again to the same address, never to try TLS on it again. */
static void
sc_reconnect_plain(struct smtp_client *c)
{
	sc_close_socket(c);
	c->reusable = true;
	c->tls_given_up = true;
	memset(&c->caps, 0, sizeof(c->caps));
	c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new");
	sc_bev_setcb(c, c->bev);
	sc_enter(c, SC_CONNECT);
	if (c->salen == 0 || bufferevent_socket_connect(c->bev,
	    (struct sockaddr *)&c->sa, c->salen) == -1) {
		sc_fail(c, "451 4.4.1 connection to %s failed: %s", c->remote,
		    strerror(errno));
		return;
	}
	sc_arm(c, c->conf.connect_timeout);
}

/*
 * The handshake failed.  Opportunistic TLS retries the address in
 * plaintext (a broken TLS stack must not defer mail forever); every
 * stricter policy fails the connection transiently.
 */
void
sc_tls_failed(struct smtp_client *c, const char *why)
{
	const char	*verr = NULL;
	char		*reason;

	if (c->ssl != NULL)
		verr = tls_client_verify_error(c->ssl);
	if (verr != NULL)
		reason = xasprintf("certificate verification failed: %s", verr);
	else
		reason = xstrdup(why);
	if (c->conf.tls == CTLS_OPPORTUNISTIC && !c->conf.implicit_tls &&
	    !c->quitting) {
		log_info("smtp client %s: TLS handshake failed (%s), "
		    "retrying without TLS", c->remote, reason);
		free(reason);
		sc_reconnect_plain(c);
		return;
	}
	/* The owner logs the status; the reason is in it. */
	sc_fail(c, "451 4.7.5 TLS handshake with %s failed: %s", c->remote,
	    reason);
	free(reason);
}

static char *
sc_base64(const void *in, size_t len)
{
	if (len > 65536)
		len = 65536;	/* credentials are short; keep it bounded */
	return base64_encode(in, len);
}

/* AUTH, which never leaves the host in plaintext. */
static void
sc_auth_start(struct smtp_client *c)
{
	const char	*user = c->conf.auth_username;
	const char	*pass = c->conf.auth_password != NULL ?
			    c->conf.auth_password : "";
	char		*buf, *b64;
	size_t		 ulen = strlen(user), plen = strlen(pass), len;

	if (!c->tls_active) {
		sc_fail(c, "451 4.7.0 no TLS with %s: not sending credentials "
		    "without TLS", c->remote);
		return;
	}
	if (c->caps.auth & SMTPC_AUTH_PLAIN) {
		/* authzid NUL authcid NUL password, sent as initial
		 * response (RFC 4616, RFC 4954). */
		len = ulen + plen + 2;
		buf = xmalloc(len);
		buf[0] = '\0';
		memcpy(buf + 1, user, ulen);
		buf[ulen + 1] = '\0';
		memcpy(buf + ulen + 2, pass, plen);
		b64 = sc_base64(buf, len);
		sc_command(c, SC_AUTH, "AUTH PLAIN %s\r\n", b64);
		explicit_bzero(buf, len);
		explicit_bzero(b64, strlen(b64));
		free(buf);
		free(b64);
	} else if (c->caps.auth & SMTPC_AUTH_LOGIN)
		sc_command(c, SC_AUTH_USER, "AUTH LOGIN\r\n");
	else
		sc_fail(c, "451 4.7.0 %s does not offer AUTH PLAIN or LOGIN",
		    c->remote);
}

/* One AUTH LOGIN answer: the user name or the password. */
static void
sc_auth_login_send(struct smtp_client *c, const char *s)
{
	char	*b64;

	b64 = sc_base64(s, strlen(s));
	sc_send(c, "%s\r\n", b64);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	sc_arm(c, c->conf.command_timeout);
}

/*
 * A 5xx to AUTH: the credentials are wrong, and retrying would only
 * hammer the server (and may lock the account).  The connection reports
 * ready but fails each transaction permanently with this reply.
 */
static void
sc_auth_refused(struct smtp_client *c)
{
	log_warnx("smtp client %s: authentication as \"%s\" refused: %s; "
	    "messages for this relayer fail permanently until the "
	    "credentials are fixed", c->remote, c->conf.auth_username,
	    c->rtext);
	free(c->perm_status);
	c->perm_status = xasprintf("%s (authentication refused by %s)",
	    c->rtext, c->remote);
	c->reusable = false;
	sc_ready(c);
}

void
sc_post_ehlo(struct smtp_client *c)
{
	if (!c->tls_active && c->conf.tls != CTLS_NONE && !c->tls_given_up) {
		if (c->caps.ext & SMTPC_EXT_STARTTLS) {
			sc_command(c, SC_STARTTLS, "STARTTLS\r\n");
			return;
		}
		if (c->conf.tls >= CTLS_REQUIRED) {
			sc_fail(c, "451 4.7.0 TLS required but %s does not "
			    "offer STARTTLS", c->remote);
			return;
		}
	}
	if (c->conf.auth_username != NULL) {
		sc_auth_start(c);
		return;
	}
	sc_ready(c);
}

void
sc_reply_starttls(struct smtp_client *c, enum dlv_result res)
{
	if (c->rcode == 220) {
		/* Anything already behind the 220 was sent before
		 * the handshake and would be taken as said under TLS:
		 * the injection of CVE-2011-0411, client side. */
		if (evbuffer_get_length(bufferevent_get_input(c->bev))
		    > 0) {
			sc_tls_failed(c, "data pipelined after the "
			    "reply to STARTTLS");
			return;
		}
		sc_tls_start(c);
		return;
	}
	if (c->conf.tls == CTLS_OPPORTUNISTIC) {
		log_info("smtp client %s: STARTTLS refused (%s), going "
		    "on without TLS", c->remote, c->rtext);
		c->tls_given_up = true;
		sc_post_ehlo(c);
		return;
	}
	sc_fail(c, "451 4.7.0 TLS required but %s refused STARTTLS: %s",
	    c->remote, c->rtext);
}

void
sc_reply_auth(struct smtp_client *c, enum dlv_result res)
{
	if (res == DLV_OK && c->state == SC_AUTH) {
		log_debug("smtp client %s: authenticated as %s",
		    c->remote, c->conf.auth_username);
		sc_ready(c);
	} else if (res == DLV_PERMFAIL)
		sc_auth_refused(c);
	else
		sc_fail(c, "451 4.7.0 %s refused AUTH: %s", c->remote,
		    c->rtext);
}

void
sc_reply_auth_login(struct smtp_client *c, enum dlv_result res)
{
	if (c->rcode == 334) {
		sc_auth_login_send(c, c->state == SC_AUTH_USER ?
		    c->conf.auth_username : c->conf.auth_password != NULL ?
		    c->conf.auth_password : "");
		sc_enter(c, c->state == SC_AUTH_USER ? SC_AUTH_PASS :
		    SC_AUTH);
		return;
	}
	sc_reply_auth(c, res);
}

