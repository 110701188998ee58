/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sts_fetch.c — owns the HTTPS fetch of an MTA-STS policy: the lookup of
 * mta-sts.<domain>, one evhttp connection at a time over its addresses (a
 * connection or TLS failure moves on to the next address; any HTTP answer
 * ends the fetch), and the limits a hostile server meets: a body of at
 * most STS_POLICY_MAX octets (counted as it arrives, the rest dropped),
 * headers of at most 8 KiB, a 30 s idle timeout and a STS_FETCH_TIMEOUT
 * deadline for the whole fetch.
 *
 * Nothing is freed inside an evhttp callback: the request's callback only
 * records the outcome and activates ev_step, which frees the connection
 * and moves on from the loop.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "resolver.h"
#include "sts_fetch.h"
#include "sts_policy.h"
#include "tls_client.h"
#include "util.h"

#define STS_IDLE_TIMEOUT	30	/* seconds without progress */
#define STS_HEADERS_MAX		8192

enum step { STEP_NONE, STEP_NEXT_ADDR, STEP_DONE };

struct sts_fetch {
	struct event_base	*base;
	struct resolver		*dns;
	struct resolver_query	*q;
	char			*host;		/* mta-sts.<domain> */
	int			 port;
	char			*ca_file, *ca_path;
	sts_fetch_cb		 cb;
	void			*arg;
	struct sockaddr_storage	*addrs;
	int			 n_addrs, next_addr;
	char			 remote[320];	/* host[addr]:port now */
	struct evhttp_connection *evcon;
	struct evhttp_request	*req;
	enum evhttp_request_error reqerr;
	bool			 have_reqerr;
	struct buf		 body;
	bool			 too_big;
	bool			 ok;		/* body is a policy to hand over */
	char			*err;		/* why not, so far */
	enum step		 step;
	struct event		*ev_step;	/* runs step from the loop */
	struct event		*ev_deadline;
};

static void	fetch_step_cb(evutil_socket_t, short, void *);

static void
fetch_set_err(struct sts_fetch *f, const char *fmt, const char *detail)
{
	char	buf[512];

	snprintf(buf, sizeof(buf), fmt, detail);
	free(f->err);
	f->err = xasprintf("%s: %s", f->remote[0] ? f->remote : f->host, buf);
}

/* What the request's callback found goes on from the loop. */
static void
fetch_later(struct sts_fetch *f, enum step step)
{
	f->step = step;
	event_active(f->ev_step, EV_TIMEOUT, 1);
}

static void
fetch_close(struct sts_fetch *f)
{
	if (f->evcon != NULL) {
		/* Frees the request (no callback), the bufferevent and the
		 * SSL with it. */
		evhttp_connection_free(f->evcon);
		f->evcon = NULL;
		f->req = NULL;
	}
}

static void
fetch_free(struct sts_fetch *f)
{
	fetch_close(f);
	if (f->q != NULL)
		resolver_cancel(f->q);
	event_free(f->ev_step);
	event_free(f->ev_deadline);
	free(f->addrs);
	free(f->body.p);
	free(f->err);
	free(f->host);
	free(f->ca_file);
	free(f->ca_path);
	free(f);
}

/* The one way out: the callback, then the memory. */
static void
fetch_finish(struct sts_fetch *f)
{
	fetch_close(f);
	if (f->ok)
		f->cb(f->arg, f->body.p != NULL ? f->body.p : "", f->body.len,
		    NULL);
	else
		f->cb(f->arg, NULL, 0, f->err != NULL ? f->err :
		    "policy fetch failed");
	fetch_free(f);
}

static const char *
reqerr_text(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed early";
	case EVREQ_HTTP_INVALID_HEADER:
		return "malformed HTTP response";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "buffer error";
	case EVREQ_HTTP_REQUEST_CANCEL:
		return "cancelled";
	case EVREQ_HTTP_DATA_TOO_LONG:
		/* evhttp's own cap, STS_POLICY_MAX + 1 (a Content-Length
		 * over it is refused before any body is read). */
		return "policy over 65536 octets";
	}
	return "failed";
}

/* The connection failed before an HTTP answer: say why as best we know
 * (the certificate's fault, another TLS error, evhttp's reason). */
static void
fetch_conn_err(struct sts_fetch *f)
{
	struct bufferevent	*bev;
	SSL			*ssl;
	const char		*why = NULL;
	unsigned long		 e;
	char			 buf[256];

	if ((bev = evhttp_connection_get_bufferevent(f->evcon)) != NULL) {
		if ((ssl = bufferevent_openssl_get_ssl(bev)) != NULL)
			why = tls_client_verify_error(ssl);
		if (why == NULL && (e = bufferevent_get_openssl_error(bev)) !=
		    0) {
			ERR_error_string_n(e, buf, sizeof(buf));
			why = buf;
		}
		while (bufferevent_get_openssl_error(bev) != 0)
			;
	}
	if (why == NULL)
		why = f->have_reqerr ? reqerr_text(f->reqerr) :
		    "connection failed";
	fetch_set_err(f, "%s", why);
}

static void
fetch_error_cb(enum evhttp_request_error e, void *arg)
{
	struct sts_fetch	*f = arg;

	f->reqerr = e;
	f->have_reqerr = true;
}

/* The body as it arrives: kept up to the cap, the rest dropped. */
static void
fetch_chunk_cb(struct evhttp_request *req, void *arg)
{
	struct sts_fetch	*f = arg;
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	size_t			 n = evbuffer_get_length(in);
	char			 tmp[4096];
	int			 got;

	while (n > 0) {
		if (f->too_big || f->body.len + n > STS_POLICY_MAX) {
			f->too_big = true;
			evbuffer_drain(in, n);
			return;
		}
		got = evbuffer_remove(in, tmp, n < sizeof(tmp) ? n :
		    sizeof(tmp));
		if (got <= 0)
			return;
		buf_add(&f->body, tmp, (size_t)got);
		n -= (size_t)got;
	}
}

/* Content-Type text/plain, parameters (charset) aside. */
static bool
is_text_plain(const char *ct)
{
	size_t	n;

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, "text/plain", 10) != 0)
		return false;
	n = 10;
	while (ct[n] == ' ' || ct[n] == '\t')
		n++;
	return ct[n] == '\0' || ct[n] == ';';
}

static void
fetch_done_cb(struct evhttp_request *req, void *arg)
{
	struct sts_fetch	*f = arg;
	const char		*ct;
	char			 code[16];
	int			 status;

	if (req == NULL || (status = evhttp_request_get_response_code(req)) ==
	    0) {
		fetch_conn_err(f);
		fetch_later(f, STEP_NEXT_ADDR);
		return;
	}
	/* An answer: whatever it is, the fetch ends here. */
	fetch_chunk_cb(req, f);
	snprintf(code, sizeof(code), "%d", status);
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (status != 200)
		/* 3xx too: RFC 8461 3.3 forbids following redirects. */
		fetch_set_err(f, "HTTP status %s, not 200", code);
	else if (!is_text_plain(ct))
		fetch_set_err(f, "Content-Type is not text/plain", NULL);
	else if (f->too_big)
		fetch_set_err(f, "policy over %s octets", "65536");
	else
		f->ok = true;
	fetch_later(f, STEP_DONE);
}

/* Start on the next address; false when none is left. */
static bool
fetch_try(struct sts_fetch *f)
{
	struct sockaddr_storage	*ss;
	struct bufferevent	*bev;
	struct evkeyvalq	*h;
	struct timeval		 tv = { STS_IDLE_TIMEOUT, 0 };
	SSL			*ssl;
	char			 ip[INET6_ADDRSTRLEN], err[256];

	while (f->next_addr < f->n_addrs) {
		ss = &f->addrs[f->next_addr++];
		addr_text((struct sockaddr *)ss, ip, sizeof(ip), false);
		snprintf(f->remote, sizeof(f->remote), "%s[%s]:%d", f->host,
		    ip, f->port);
		/* Verified always, whatever the relayer's tls says. */
		if ((ssl = tls_client_ssl(true, f->ca_file, f->ca_path, NULL,
		    NULL, f->host, NULL, err, sizeof(err))) == NULL) {
			fetch_set_err(f, "%s", err);
			continue;
		}
		bev = bufferevent_openssl_socket_new(f->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(ssl);
			fetch_set_err(f, "%s", "cannot make a TLS bufferevent");
			continue;
		}
		/* The address as is: evhttp resolves nothing itself. */
		f->evcon = evhttp_connection_base_bufferevent_new(f->base, NULL,
		    bev, ip, (unsigned short)f->port);
		if (f->evcon == NULL) {
			bufferevent_free(bev);
			fetch_set_err(f, "%s", "cannot make an HTTP connection");
			continue;
		}
		evhttp_connection_set_timeout_tv(f->evcon, &tv);
		evhttp_connection_set_retries(f->evcon, 0);
		evhttp_connection_set_max_headers_size(f->evcon,
		    STS_HEADERS_MAX);
		evhttp_connection_set_max_body_size(f->evcon,
		    STS_POLICY_MAX + 1);
		f->have_reqerr = false;
		f->req = evhttp_request_new(fetch_done_cb, f);
		evhttp_request_set_chunked_cb(f->req, fetch_chunk_cb);
		evhttp_request_set_error_cb(f->req, fetch_error_cb);
		h = evhttp_request_get_output_headers(f->req);
		evhttp_add_header(h, "Host", f->host);
		evhttp_add_header(h, "User-Agent", "smarthostd/" PACKAGE_VERSION);
		evhttp_add_header(h, "Accept", "text/plain");
		evhttp_add_header(h, "Connection", "close");
		if (evhttp_make_request(f->evcon, f->req, EVHTTP_REQ_GET,
		    "/.well-known/mta-sts.txt") == -1) {
			/* The request is freed by evhttp on failure. */
			f->req = NULL;
			fetch_close(f);
			fetch_set_err(f, "%s", "cannot send the request");
			continue;
		}
		log_debug("mta-sts: fetching https://%s/.well-known/"
		    "mta-sts.txt from %s", f->host, f->remote);
		return true;
	}
	return false;
}

static void
fetch_step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_fetch	*f = arg;

	if (f->step == STEP_NEXT_ADDR) {
		fetch_close(f);
		free(f->body.p);
		memset(&f->body, 0, sizeof(f->body));
		f->too_big = false;
		f->step = STEP_NONE;
		if (fetch_try(f))
			return;
	}
	fetch_finish(f);
}

static void
fetch_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sts_fetch	*f = arg;
	char			 secs[16];

	snprintf(secs, sizeof(secs), "%d", STS_FETCH_TIMEOUT);
	f->ok = false;
	fetch_set_err(f, "no policy within %s seconds", secs);
	fetch_finish(f);
}

static void
fetch_addr_cb(void *arg, enum resolver_status st, bool secure,
    const struct sockaddr_storage *addrs, int n)
{
	struct sts_fetch	*f = arg;

	f->q = NULL;
	if (st != RESOLVER_OK || n <= 0) {
		fetch_set_err(f, "cannot resolve: %s", st == RESOLVER_NXDOMAIN ?
		    "no such host" : st == RESOLVER_TEMPFAIL ?
		    "temporary DNS failure" : "no address");
		fetch_finish(f);
		return;
	}
	f->addrs = xreallocarray(NULL, (size_t)n, sizeof(*addrs));
	memcpy(f->addrs, addrs, (size_t)n * sizeof(*addrs));
	f->n_addrs = n;
	if (!fetch_try(f))
		fetch_finish(f);
}

struct sts_fetch *
sts_fetch_new(struct event_base *base, struct resolver *dns,
    const char *domain, int port, const char *ca_file, const char *ca_path,
    sts_fetch_cb cb, void *arg)
{
	struct sts_fetch	*f;
	struct timeval		 tv = { STS_FETCH_TIMEOUT, 0 };

	f = xcalloc(1, sizeof(*f));
	f->base = base;
	f->dns = dns;
	f->host = xasprintf("mta-sts.%s", domain);
	f->port = port;
	f->ca_file = ca_file != NULL ? xstrdup(ca_file) : NULL;
	f->ca_path = ca_path != NULL ? xstrdup(ca_path) : NULL;
	f->cb = cb;
	f->arg = arg;
	if ((f->ev_step = event_new(base, -1, 0, fetch_step_cb, f)) == NULL ||
	    (f->ev_deadline = evtimer_new(base, fetch_deadline_cb, f)) == NULL)
		fatalx("mta-sts: event_new");
	evtimer_add(f->ev_deadline, &tv);
	/* Answers from the loop, never inside this call. */
	if ((f->q = resolver_addr(dns, f->host, fetch_addr_cb, f)) == NULL) {
		fetch_set_err(f, "%s", "cannot look up the address");
		fetch_later(f, STEP_DONE);
	}
	return f;
}

void
sts_fetch_cancel(struct sts_fetch *f)
{
	if (f != NULL)
		fetch_free(f);
}
