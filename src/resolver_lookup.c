/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * resolver_lookup.c — owns the typed lookups of the resolver (A/AAAA with
 * the hosts file first, MX, TXT, TLSA): what each submits to udns, what
 * its udns callbacks keep, and how a finished query's result is handed to
 * the caller's callback from the event loop (rq_done_cb).  The context and
 * a query's life are resolver.c's (resolver_int.h).
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <udns.h>

#include "dane.h"
#include "hosts.h"
#include "log.h"
#include "util.h"
#include "resolver.h"
#include "resolver_int.h"

void
rq_txt_free(struct resolver_txt *txt, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		free((char *)txt[i].txt);
	free(txt);
}

/* Combine A and AAAA as dns.h promises. */
static enum resolver_status
addr_status(const struct resolver_query *q)
{
	enum resolver_status	s4, s6;

	if (q->naddrs[HALF_4] + q->naddrs[HALF_6] > 0)
		return RESOLVER_OK;
	s4 = rq_map_status(q->ustatus[HALF_4]);
	s6 = rq_map_status(q->ustatus[HALF_6]);
	if (s4 == RESOLVER_NXDOMAIN && s6 == RESOLVER_NXDOMAIN)
		return RESOLVER_NXDOMAIN;
	if (s4 == RESOLVER_TEMPFAIL || s6 == RESOLVER_TEMPFAIL)
		return RESOLVER_TEMPFAIL;
	return RESOLVER_NODATA;
}

void
rq_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver_query	*q = arg;
	struct sockaddr_storage	*addrs = NULL;
	struct resolver_mx		*mx = NULL;
	struct resolver_txt	*txt = NULL;
	enum resolver_status		 status;
	enum query_type		 type = q->type;
	resolver_addr_cb		 addr_cb = q->addr_cb;
	resolver_mx_cb		 mx_cb = q->mx_cb;
	resolver_txt_cb		 txt_cb = q->txt_cb;
	resolver_tlsa_cb	 tlsa_cb = q->tlsa_cb;
	struct dane_tlsa_set	*tlsa = NULL;
	void			*cbarg = q->arg;
	bool			 secure = rq_secure(q);
	int			 n = 0, n4, n6;

	/*
	 * Take the result out and free the query first: the callback may
	 * cancel other queries or free the whole resolver.
	 */
	if (q->type == Q_ADDR) {
		status = addr_status(q);
		n4 = q->naddrs[HALF_4];
		n6 = q->naddrs[HALF_6];
		if (status == RESOLVER_OK) {
			n = n4 + n6;
			addrs = xreallocarray(NULL, n, sizeof(*addrs));
			if (n4 > 0)
				memcpy(addrs, q->addrs[HALF_4],
				    n4 * sizeof(*addrs));
			if (n6 > 0)
				memcpy(addrs + n4, q->addrs[HALF_6],
				    n6 * sizeof(*addrs));
		}
		log_debug("dns: %s: A/AAAA %s, %d address(es)", q->name,
		    status == RESOLVER_OK ? "ok" : status == RESOLVER_NXDOMAIN ?
		    "nxdomain" : status == RESOLVER_NODATA ? "nodata" : "tempfail",
		    n);
	} else if (q->type == Q_TXT) {
		status = rq_map_status(q->ustatus[HALF_4]);
		if (status == RESOLVER_OK && q->ntxt == 0)
			status = RESOLVER_NODATA;
		if (status == RESOLVER_OK) {
			txt = q->txt;
			n = q->ntxt;
			q->txt = NULL;
			q->ntxt = 0;
		}
		log_debug("dns: %s: TXT %s, %d record(s)", q->name,
		    status == RESOLVER_OK ? "ok" : status == RESOLVER_NXDOMAIN ?
		    "nxdomain" : status == RESOLVER_NODATA ? "nodata" : "tempfail",
		    n);
	} else if (q->type == Q_TLSA) {
		status = rq_map_status(q->ustatus[HALF_4]);
		if (status == RESOLVER_OK && (q->tlsa == NULL ||
		    q->tlsa->n_seen == 0))
			status = RESOLVER_NODATA;
		if (status == RESOLVER_OK) {
			tlsa = q->tlsa;
			q->tlsa = NULL;
		}
		log_debug("dns: %s: TLSA %s%s, %d record(s), %d usable",
		    q->name, status == RESOLVER_OK ? "ok" :
		    status == RESOLVER_NXDOMAIN ? "nxdomain" :
		    status == RESOLVER_NODATA ? "nodata" : "tempfail",
		    secure ? " (secure)" : "", tlsa ? tlsa->n_seen : 0,
		    tlsa ? tlsa->n : 0);
	} else {
		if (q->nmx > 0)
			status = RESOLVER_OK;
		else if (q->ustatus[HALF_4] == 0)
			status = RESOLVER_TEMPFAIL;	/* records, none usable */
		else
			status = rq_map_status(q->ustatus[HALF_4]);
		if (status == RESOLVER_OK) {
			mx = q->mx;
			n = q->nmx;
			q->mx = NULL;
		}
		log_debug("dns: %s: MX %s, %d record(s)", q->name,
		    status == RESOLVER_OK ? "ok" : status == RESOLVER_NXDOMAIN ?
		    "nxdomain" : status == RESOLVER_NODATA ? "nodata" : "tempfail",
		    n);
	}
	rq_free(q);

	if (type == Q_ADDR)
		addr_cb(cbarg, status, secure, addrs, n);
	else if (type == Q_TXT)
		txt_cb(cbarg, status, txt, n);
	else if (type == Q_TLSA)
		tlsa_cb(cbarg, status, secure, tlsa);
	else
		mx_cb(cbarg, status, secure, mx, n);
	free(addrs);
	free(mx);
	rq_txt_free(txt, type == Q_TXT ? n : 0);
	dane_tlsa_set_free(tlsa);
}

/*
 * One address half answered: n addresses of family af (struct in_addr or
 * struct in6_addr at addrs, in rr) become the half's sockaddrs.
 */
static void
addr_half_done(struct dns_ctx *ctx, struct resolver_query *q, int half,
    int af, const void *addrs, int n, void *rr)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	int			 i;

	q->ustatus[half] = udns_last_status(ctx);
	if (rr != NULL && !q->cancelled && n > 0) {
		q->addrs[half] = xcalloc(n, sizeof(struct sockaddr_storage));
		for (i = 0; i < n; i++) {
			if (af == AF_INET) {
				sin = (struct sockaddr_in *)&q->addrs[half][i];
				sin->sin_family = AF_INET;
				sin->sin_addr = ((const struct in_addr *)addrs)[i];
			} else {
				sin6 = (struct sockaddr_in6 *)&q->addrs[half][i];
				sin6->sin6_family = AF_INET6;
				sin6->sin6_addr =
				    ((const struct in6_addr *)addrs)[i];
			}
		}
		q->naddrs[half] = n;
	}
	free(rr);
	rq_half_done(q);
}

static void
udns_a4_cb(struct dns_ctx *ctx, struct dns_rr_a4 *rr, void *arg)
{
	addr_half_done(ctx, arg, HALF_4, AF_INET, rr ? rr->dnsa4_addr : NULL,
	    rr ? rr->dnsa4_nrr : 0, rr);
}

static void
udns_a6_cb(struct dns_ctx *ctx, struct dns_rr_a6 *rr, void *arg)
{
	addr_half_done(ctx, arg, HALF_6, AF_INET6,
	    rr ? rr->dnsa6_addr : NULL, rr ? rr->dnsa6_nrr : 0, rr);
}

static void
udns_mx_cb(struct dns_ctx *ctx, struct dns_rr_mx *rr, void *arg)
{
	struct resolver_query	*q = arg;
	struct resolver_mx		 tmp;
	const char		*host;
	int			 i, j, n = 0;

	q->ustatus[HALF_4] = udns_last_status(ctx);
	if (rr != NULL && !q->cancelled && rr->dnsmx_nrr > 0) {
		q->mx = xcalloc(rr->dnsmx_nrr, sizeof(*q->mx));
		for (i = 0; i < rr->dnsmx_nrr; i++) {
			host = rr->dnsmx_mx[i].name;
			if (host == NULL || *host == '\0')
				host = ".";	/* the root: a null MX */
			/* Longer than any host name: not one we can use. */
			if (strlen(host) >= sizeof(q->mx[n].host)) {
				log_debug("dns: %s: MX name too long, skipped",
				    q->name);
				continue;
			}
			q->mx[n].pref = rr->dnsmx_mx[i].priority;
			strlcpy_(q->mx[n].host, host, sizeof(q->mx[n].host));
			/* Insertion sort: stable, and the list is short. */
			tmp = q->mx[n];
			for (j = n; j > 0 && q->mx[j - 1].pref > tmp.pref; j--)
				q->mx[j] = q->mx[j - 1];
			q->mx[j] = tmp;
			n++;
		}
		q->nmx = n;
	}
	free(rr);
	rq_half_done(q);
}

static void
udns_txt_cb(struct dns_ctx *ctx, struct dns_rr_txt *rr, void *arg)
{
	struct resolver_query	*q = arg;
	char			*t;
	int			 i, len;

	q->ustatus[HALF_4] = udns_last_status(ctx);
	if (rr != NULL && !q->cancelled && rr->dnstxt_nrr > 0) {
		q->txt = xcalloc(rr->dnstxt_nrr, sizeof(*q->txt));
		for (i = 0; i < rr->dnstxt_nrr; i++) {
			len = rr->dnstxt_txt[i].len;
			if (len < 0)
				len = 0;
			t = xmalloc((size_t)len + 1);
			memcpy(t, rr->dnstxt_txt[i].txt, (size_t)len);
			t[len] = '\0';
			q->txt[i].txt = t;
			q->txt[i].len = len;
		}
		q->ntxt = rr->dnstxt_nrr;
	}
	free(rr);
	rq_half_done(q);
}

struct resolver_query *
resolver_addr(struct resolver *d, const char *name, resolver_addr_cb cb, void *arg)
{
	struct resolver_query	*q;
	struct sockaddr_storage	 ss, found[HOSTS_ADDRS];
	int			 half, i, n;

	q = rq_new(d, Q_ADDR, name, arg);
	q->addr_cb = cb;

	if (resolver_literal(name, &ss)) {
		half = ss.ss_family == AF_INET ? HALF_4 : HALF_6;
		q->addrs[half] = xmalloc(sizeof(ss));
		q->addrs[half][0] = ss;
		q->naddrs[half] = 1;
		q->ustatus[half] = 0;
		q->local = true;
		event_active(q->ev_done, EV_TIMEOUT, 1);
		return q;
	}

	/* The hosts file first, as the system resolver does ("files dns"):
	 * a name found there is not asked of DNS. */
	rq_hosts_refresh(d);
	if ((n = hosts_lookup(d->hosts, name, found, HOSTS_ADDRS)) > 0) {
		for (i = 0; i < n; i++) {
			half = found[i].ss_family == AF_INET ? HALF_4 : HALF_6;
			q->addrs[half] = xreallocarray(q->addrs[half],
			    q->naddrs[half] + 1, sizeof(found[i]));
			q->addrs[half][q->naddrs[half]++] = found[i];
		}
		q->ustatus[HALF_4] = q->ustatus[HALF_6] = 0;
		q->local = true;
		event_active(q->ev_done, EV_TIMEOUT, 1);
		return q;
	}

	/*
	 * udns only queues the lookups here (they go out from our timer),
	 * so its callbacks cannot run inside this call.
	 */
	q->pending = 2;
	if (dns_submit_a4(d->ctx, name, rq_flags(d), udns_a4_cb, q) ==
	    NULL) {
		q->ustatus[HALF_4] = udns_last_status(d->ctx);
		q->pending--;
	}
	if (dns_submit_a6(d->ctx, name, rq_flags(d), udns_a6_cb, q) ==
	    NULL) {
		q->ustatus[HALF_6] = udns_last_status(d->ctx);
		q->pending--;
	}
	if (q->pending == 0)
		event_active(q->ev_done, EV_TIMEOUT, 1);
	return q;
}

/*
 * A one-record query after its dns_submit_*() call (sent: what it
 * returned): one refused at once is answered from the loop, with udns's
 * status, as if udns had answered.
 */
static struct resolver_query *
query_sent(struct resolver_query *q, struct dns_query *sent)
{
	if (sent == NULL) {
		q->ustatus[HALF_4] = udns_last_status(q->dns->ctx);
		q->pending = 0;
		event_active(q->ev_done, EV_TIMEOUT, 1);
	}
	return q;
}

struct resolver_query *
resolver_mx(struct resolver *d, const char *domain, resolver_mx_cb cb, void *arg)
{
	struct resolver_query	*q;

	q = rq_new(d, Q_MX, domain, arg);
	q->mx_cb = cb;
	q->pending = 1;
	return query_sent(q, dns_submit_mx(d->ctx, domain, rq_flags(d),
	    udns_mx_cb, q));
}

#ifdef WITH_DANE
static void
udns_tlsa_cb(struct dns_ctx *ctx, void *result, void *arg)
{
	struct resolver_query	*q = arg;

	q->ustatus[HALF_4] = udns_last_status(ctx);
	if (!q->cancelled) {
		q->tlsa = result;
		result = NULL;
	}
	dane_tlsa_set_free(result);
	rq_half_done(q);
}

struct resolver_query *
resolver_tlsa(struct resolver *d, const char *name, resolver_tlsa_cb cb,
    void *arg)
{
	struct resolver_query	*q;

	q = rq_new(d, Q_TLSA, name, arg);
	q->tlsa_cb = cb;
	q->pending = 1;
	return query_sent(q, dns_submit_p(d->ctx, name, DNS_C_IN, DANE_T_TLSA,
	    rq_flags(d), dane_tlsa_parse, udns_tlsa_cb, q));
}
#endif

struct resolver_query *
resolver_txt(struct resolver *d, const char *name, resolver_txt_cb cb,
    void *arg)
{
	struct resolver_query	*q;

	q = rq_new(d, Q_TXT, name, arg);
	q->txt_cb = cb;
	q->pending = 1;
	return query_sent(q, dns_submit_txt(d->ctx, name, DNS_C_IN,
	    DNS_NOSRCH, udns_txt_cb, q));
}
