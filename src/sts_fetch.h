/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sts_fetch.h — one HTTPS GET of an MTA-STS policy (RFC 8461 3.3):
 * https://mta-sts.<domain>/.well-known/mta-sts.txt, the host's A/AAAA
 * through the daemon's resolver, libevent's evhttp client on a
 * bufferevent_openssl, the certificate verified against the relayer's
 * trust anchors and the name mta-sts.<domain> (also sent as SNI).  Only a
 * 200 with Content-Type text/plain is a policy; redirects are not
 * followed.  The body is capped at STS_POLICY_MAX octets and the whole
 * fetch at STS_FETCH_TIMEOUT seconds, whatever the server does.
 */
#ifndef SMARTHOSTD_STS_FETCH_H
#define SMARTHOSTD_STS_FETCH_H

#include <stddef.h>

struct event_base;
struct resolver;
struct sts_fetch;

/* RFC 8461 3.3 suggests 60 seconds. */
#define STS_FETCH_TIMEOUT	60

/* body and len on success (err NULL); else body NULL and err says why
 * ("mta-sts.example.com[192.0.2.1]:443: certificate has expired"). */
typedef void (*sts_fetch_cb)(void *arg, const char *body, size_t len,
    const char *err);

/*
 * Start fetching domain's policy from port (443 but in tests).  The
 * callback runs once, later, from the event loop (never inside this
 * call), unless the fetch is cancelled first; the fetch is freed after it
 * returns.  ca_file and ca_path are the trust anchors (both NULL: the
 * system store).
 */
struct sts_fetch *sts_fetch_new(struct event_base *, struct resolver *,
		    const char *domain, int port, const char *ca_file,
		    const char *ca_path, sts_fetch_cb, void *arg);

/* Stop and free a fetch whose callback has not run; it never will. */
void		 sts_fetch_cancel(struct sts_fetch *);

#endif
