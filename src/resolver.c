/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * resolver.c — owns the asynchronous resolver: one private udns context per
 * struct resolver, its UDP socket on a persistent libevent read event, its
 * timeouts on one libevent timer, and the A/AAAA, MX, TXT and TLSA
 * lookups built on it.  Nothing here blocks: udns only sends from
 * dns_timeouts() (our timer) and only reads from dns_ioevent() (our read
 * event).
 *
 * DNSSEC status: with trust_ad, every query asks for it (EDNS0 DO) and
 * udns's debug hook, which sees each reply packet matched to its query
 * before the query ends, notes the reply's AD bit; an answer is secure
 * when every reply it is made of had AD.
 *
 * Callers' callbacks never run inside udns: when a lookup is complete its
 * result is kept in the query and the callback runs from a libevent event
 * of its own, so a callback may cancel queries or free the resolver.
 */

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <udns.h>

/*
 * udns's own names (dns_new, dns_free, struct dns_query...) are used only
 * through these wrappers; smarthostd's resolver API is prefixed resolver_
 * so the two never collide.
 */
typedef struct dns_query udns_query;

static struct dns_ctx *
udns_ctx_new(void)
{
	/* dns_new(NULL) copies the default context, which must be set up. */
	dns_reset(NULL);
	return dns_new(NULL);
}

static void
udns_ctx_free(struct dns_ctx *ctx)
{
	/* Drops the queries still active, without calling their callbacks. */
	dns_free(ctx);
}

static int
udns_last_status(struct dns_ctx *ctx)
{
	return dns_status(ctx);
}

#include "config.h"
#include "dane.h"
#include "hosts.h"
#include "log.h"
#include "util.h"
#include "resolver.h"

enum query_type { Q_ADDR, Q_MX, Q_TXT, Q_TLSA };

/* The halves of a query: A and AAAA for Q_ADDR, only the first for the
 * others. */
#define HALF_4	0
#define HALF_6	1

struct resolver_query {
	struct resolver		*dns;
	enum query_type		 type;
	resolver_addr_cb		 addr_cb;
	resolver_mx_cb		 mx_cb;
	resolver_txt_cb		 txt_cb;
	resolver_tlsa_cb	 tlsa_cb;
	void			*arg;
	char			*name;
	/* udns lookups still running (0-2) */
	int			 pending;
	bool			 cancelled;
	/* udns status of each half, DNS_E_* */
	int			 ustatus[2];
	/* a reply came for each half, and whether it carried AD */
	bool			 replied[2], ad[2];
	bool			 local;		/* hosts file or literal */
	struct sockaddr_storage	*addrs[2];
	int			 naddrs[2];
	struct resolver_mx		*mx;
	int			 nmx;
	struct resolver_txt	*txt;		/* each .txt malloc'd */
	int			 ntxt;
	struct dane_tlsa_set	*tlsa;
	/* runs the caller's callback from the event loop */
	struct event		*ev_done;
	TAILQ_ENTRY(resolver_query)	 entry;
};

struct resolver {
	struct event_base	*base;
	struct dns_ctx		*ctx;
	struct event		*ev_io;
	struct event		*ev_timer;
	bool			 trust_ad;	/* ask for and believe AD */
	TAILQ_HEAD(, resolver_query)	 queries;
	/* The hosts file, asked before DNS for A/AAAA (never for MX). */
	char			*hosts_path;
	struct hosts		*hosts;
	struct stat		 hosts_st;	/* of what hosts holds */
	bool			 hosts_read;	/* hosts_st is valid */
};

/* A hosts file bigger than this is not one: ignored, with a warning. */
#define HOSTS_MAX	(1024 * 1024)
/* Addresses taken for one name from the hosts file. */
#define HOSTS_ADDRS	16

static void	dns_io_cb(evutil_socket_t, short, void *);
static void	dns_timer_cb(evutil_socket_t, short, void *);
static void	dns_utm(struct dns_ctx *, int, void *);
static void	query_done_cb(evutil_socket_t, short, void *);
static void	query_free(struct resolver_query *);
static void	udns_seen(int, const struct sockaddr *, unsigned,
		    const unsigned char *, int, const struct dns_query *,
		    void *);

/*
 * Read the hosts file again if it is not the one read last (another inode,
 * size or modification time): a small local file, read on the loop as the
 * C library would.  A missing or unreadable file is an empty table.
 */
static void
hosts_refresh(struct resolver *d)
{
	struct stat	 st;
	char		*text = NULL;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if (d->hosts_path == NULL)
		return;
	if (stat(d->hosts_path, &st) == -1)
		memset(&st, 0, sizeof(st));
	if (d->hosts_read && st.st_ino == d->hosts_st.st_ino &&
	    st.st_dev == d->hosts_st.st_dev &&
	    st.st_size == d->hosts_st.st_size &&
	    st.st_mtim.tv_sec == d->hosts_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == d->hosts_st.st_mtim.tv_nsec)
		return;
	hosts_free(d->hosts);
	d->hosts = NULL;
	d->hosts_st = st;
	d->hosts_read = true;
	if (st.st_ino == 0)
		return;
	if (st.st_size > HOSTS_MAX) {
		log_warnx("resolver: %s is over %d octets, not read",
		    d->hosts_path, HOSTS_MAX);
		return;
	}
	if ((fd = open(d->hosts_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) ==
	    -1) {
		log_warn("resolver: %s", d->hosts_path);
		return;
	}
	text = xmalloc(HOSTS_MAX);
	while (len < HOSTS_MAX && (n = read(fd, text + len,
	    HOSTS_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("resolver: read %s", d->hosts_path);
			len = 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	d->hosts = hosts_parse(text, len);
	free(text);
	log_debug("resolver: %s read", d->hosts_path);
}

void
resolver_reload(struct resolver *d, const struct config *conf)
{
	free(d->hosts_path);
	d->hosts_path = xstrdup(conf->hosts_file != NULL ? conf->hosts_file :
	    "/etc/hosts");
	d->trust_ad = conf->resolver_trust_ad;
	d->hosts_read = false;		/* read again at the next lookup */
}

bool
resolver_literal(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 buf[64];
	size_t			 len = strlen(s);
	bool			 v6only = false;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		if (len > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
			s += 5;
			len -= 5;
			v6only = true;
		}
	}
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!v6only && inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return true;
	}
	memset(ss, 0, sizeof(*ss));
	return false;
}

socklen_t
resolver_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_port = htons(port);
		return sizeof(struct sockaddr_in);
	}
	if (ss->ss_family == AF_INET6) {
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
		return sizeof(struct sockaddr_in6);
	}
	return 0;
}

static int
clamp(long v, int lo, int hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return (int)v;
}

struct resolver *
resolver_new(struct event_base *base, const struct config *conf, char *err,
    size_t errlen)
{
	struct resolver		*d;
	struct sockaddr_storage	 ss;
	int			 i, fd, port;

	d = xcalloc(1, sizeof(*d));
	d->base = base;
	TAILQ_INIT(&d->queries);
	if ((d->ctx = udns_ctx_new()) == NULL) {
		snprintf(err, errlen, "resolver: out of memory");
		free(d);
		return NULL;
	}

	port = conf->resolver_port > 0 ? conf->resolver_port : DNS_PORT;
	if (conf->n_nameservers > 0) {
		if (conf->n_nameservers > DNS_MAXSERV) {
			snprintf(err, errlen, "resolver: at most %d nameservers "
			    "are supported, %d given", DNS_MAXSERV,
			    conf->n_nameservers);
			goto fail;
		}
		dns_add_serv(d->ctx, NULL);
		for (i = 0; i < conf->n_nameservers; i++) {
			/* udns keeps a port that the sockaddr already has. */
			if (!resolver_literal(conf->nameservers[i], &ss) ||
			    resolver_set_port(&ss, port) == 0) {
				snprintf(err, errlen, "resolver: nameserver "
				    "\"%s\" is not an IP address",
				    conf->nameservers[i]);
				goto fail;
			}
			if (dns_add_serv_s(d->ctx, (struct sockaddr *)&ss) < 0) {
				snprintf(err, errlen, "resolver: nameserver "
				    "\"%s\": %s", conf->nameservers[i],
				    strerror(errno));
				goto fail;
			}
		}
	} else
		dns_init(d->ctx, 0);	/* /etc/resolv.conf, not opened yet */

	/* Also the port for servers from resolv.conf, which carry none. */
	dns_set_opt(d->ctx, DNS_OPT_PORT, clamp(port, 1, 65535));
	/* udns takes 1-300 seconds and 1-50 tries. */
	dns_set_opt(d->ctx, DNS_OPT_TIMEOUT, clamp(conf->resolver_timeout,
	    1, 300));
	dns_set_opt(d->ctx, DNS_OPT_NTRIES, clamp(conf->resolver_attempts,
	    1, 50));

	if ((fd = dns_open(d->ctx)) < 0) {
		snprintf(err, errlen, "resolver: cannot open socket: %s",
		    strerror(errno));
		goto fail;
	}
	d->ev_io = event_new(base, fd, EV_READ | EV_PERSIST, dns_io_cb, d);
	d->ev_timer = evtimer_new(base, dns_timer_cb, d);
	if (d->ev_io == NULL || d->ev_timer == NULL ||
	    event_add(d->ev_io, NULL) == -1) {
		snprintf(err, errlen, "resolver: cannot set up events");
		goto fail;
	}
	dns_set_tmcbck(d->ctx, dns_utm, d);
	dns_set_dbgfn(d->ctx, udns_seen);
	resolver_reload(d, conf);
	return d;

fail:
	if (d->ev_io != NULL)
		event_free(d->ev_io);
	if (d->ev_timer != NULL)
		event_free(d->ev_timer);
	udns_ctx_free(d->ctx);
	free(d);
	return NULL;
}

/*
 * Every query still held is freed without its callback.  Must not be
 * called from inside udns, which never happens: callers only run from our
 * own events.
 */
void
resolver_free(struct resolver *d)
{
	struct resolver_query	*q;

	if (d == NULL)
		return;
	event_free(d->ev_io);
	/* Drops udns's active queries (no callbacks) and calls dns_utm(NULL). */
	udns_ctx_free(d->ctx);
	event_free(d->ev_timer);
	while ((q = TAILQ_FIRST(&d->queries)) != NULL)
		query_free(q);
	hosts_free(d->hosts);
	free(d->hosts_path);
	free(d);
}

static void
dns_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver	*d = arg;

	dns_ioevent(d->ctx, 0);
}

static void
dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver	*d = arg;
	struct timeval	 tv;
	int		 wait;

	wait = dns_timeouts(d->ctx, -1, 0);
	/*
	 * udns re-arms us through dns_utm() only when its next deadline
	 * changes; if we fired early by its clock (time(), which may step)
	 * it would not, and its queries would wait for ever.
	 */
	if (wait >= 0 && !evtimer_pending(d->ev_timer, NULL)) {
		tv.tv_sec = wait > 0 ? wait : 1;
		tv.tv_usec = 0;
		evtimer_add(d->ev_timer, &tv);
	}
}

/* udns's timer requests, see dns_set_tmcbck() in udns(3). */
static void
dns_utm(struct dns_ctx *ctx, int timeout, void *arg)
{
	struct resolver	*d = arg;
	struct timeval	 tv;

	if (ctx == NULL || timeout < 0) {
		evtimer_del(d->ev_timer);
		return;
	}
	tv.tv_sec = timeout;
	tv.tv_usec = 0;
	evtimer_add(d->ev_timer, &tv);
}

static void
txt_free(struct resolver_txt *txt, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		free((char *)txt[i].txt);
	free(txt);
}

static struct resolver_query *
query_new(struct resolver *d, enum query_type type, const char *name, void *arg)
{
	struct resolver_query	*q;

	q = xcalloc(1, sizeof(*q));
	q->dns = d;
	q->type = type;
	q->arg = arg;
	q->name = xstrdup(name);
	q->ustatus[HALF_4] = q->ustatus[HALF_6] = DNS_E_NODATA;
	if ((q->ev_done = event_new(d->base, -1, 0, query_done_cb, q)) == NULL)
		fatalx("dns: event_new");
	TAILQ_INSERT_TAIL(&d->queries, q, entry);
	return q;
}

static void
query_free(struct resolver_query *q)
{
	TAILQ_REMOVE(&q->dns->queries, q, entry);
	event_free(q->ev_done);
	free(q->addrs[HALF_4]);
	free(q->addrs[HALF_6]);
	free(q->mx);
	txt_free(q->txt, q->ntxt);
	dane_tlsa_set_free(q->tlsa);
	free(q->name);
	free(q);
}

/* A udns half has ended: once both have, answer from the event loop. */
static void
query_half_done(struct resolver_query *q)
{
	if (--q->pending > 0)
		return;
	if (q->cancelled)
		query_free(q);
	else
		event_active(q->ev_done, EV_TIMEOUT, 1);
}

static enum resolver_status
map_status(int ustatus)
{
	switch (ustatus) {
	case 0:
		return RESOLVER_OK;
	case DNS_E_NXDOMAIN:
	case DNS_E_BADQUERY:	/* not a domain name: it cannot exist */
		return RESOLVER_NXDOMAIN;
	case DNS_E_NODATA:
		return RESOLVER_NODATA;
	default:		/* TEMPFAIL (also timeouts), PROTOCOL, NOMEM */
		return RESOLVER_TEMPFAIL;
	}
}

/*
 * Every half that was answered by a reply with AD, under trust_ad; local
 * answers are configuration.  A half with no reply (a timeout, or not
 * asked) says nothing either way, but one reply at least is needed.
 */
static bool
query_secure(const struct resolver_query *q)
{
	int	half, n = 0;

	if (q->local)
		return true;
	if (!q->dns->trust_ad)
		return false;
	for (half = HALF_4; half <= HALF_6; half++) {
		if (!q->replied[half])
			continue;
		if (!q->ad[half])
			return false;
		n++;
	}
	return n > 0;
}

/*
 * udns's debug hook: called with every packet sent, and with every reply
 * matched to a query (data is that query's) before its parse function
 * and callback run.  Only replies matter: their AD bit, for the half
 * their question's type says.
 */
static void
udns_seen(int code, const struct sockaddr *sa, unsigned salen,
    const unsigned char *pkt, int plen, const struct dns_query *uq,
    void *data)
{
	struct resolver_query	*q = data;
	const unsigned char	*cur, *end;
	unsigned char		 dn[DNS_MAXDN];
	int			 half = HALF_4;

	if (q == NULL || pkt == NULL || plen < DNS_HSIZE || !dns_qr(pkt))
		return;
	end = pkt + plen;
	cur = dns_payload(pkt);
	if (dns_numqd(pkt) != 1 || dns_getdn(pkt, &cur, end, dn,
	    sizeof(dn)) <= 0 || cur + 4 > end)
		return;
	if (q->type == Q_ADDR && dns_get16(cur) == DNS_T_AAAA)
		half = HALF_6;
	q->replied[half] = true;
	q->ad[half] = dns_ad(pkt) != 0;
}

/* The flags of every udns query: DO when the AD bit is to be believed. */
static int
query_flags(const struct resolver *d)
{
	return DNS_NOSRCH | (d->trust_ad ? DNS_SET_DO : 0);
}

/* Combine A and AAAA as dns.h promises. */
static enum resolver_status
addr_status(const struct resolver_query *q)
{
	enum resolver_status	s4, s6;

	if (q->naddrs[HALF_4] + q->naddrs[HALF_6] > 0)
		return RESOLVER_OK;
	s4 = map_status(q->ustatus[HALF_4]);
	s6 = map_status(q->ustatus[HALF_6]);
	if (s4 == RESOLVER_NXDOMAIN && s6 == RESOLVER_NXDOMAIN)
		return RESOLVER_NXDOMAIN;
	if (s4 == RESOLVER_TEMPFAIL || s6 == RESOLVER_TEMPFAIL)
		return RESOLVER_TEMPFAIL;
	return RESOLVER_NODATA;
}

static void
query_done_cb(evutil_socket_t fd, short what, void *arg)
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
	bool			 secure = query_secure(q);
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
		status = map_status(q->ustatus[HALF_4]);
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
		status = map_status(q->ustatus[HALF_4]);
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
			status = map_status(q->ustatus[HALF_4]);
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
	query_free(q);

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
	txt_free(txt, type == Q_TXT ? n : 0);
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
	query_half_done(q);
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
	query_half_done(q);
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
	query_half_done(q);
}

struct resolver_query *
resolver_addr(struct resolver *d, const char *name, resolver_addr_cb cb, void *arg)
{
	struct resolver_query	*q;
	struct sockaddr_storage	 ss, found[HOSTS_ADDRS];
	int			 half, i, n;

	q = query_new(d, Q_ADDR, name, arg);
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
	hosts_refresh(d);
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
	if (dns_submit_a4(d->ctx, name, query_flags(d), udns_a4_cb, q) ==
	    NULL) {
		q->ustatus[HALF_4] = udns_last_status(d->ctx);
		q->pending--;
	}
	if (dns_submit_a6(d->ctx, name, query_flags(d), udns_a6_cb, q) ==
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

	q = query_new(d, Q_MX, domain, arg);
	q->mx_cb = cb;
	q->pending = 1;
	return query_sent(q, dns_submit_mx(d->ctx, domain, query_flags(d),
	    udns_mx_cb, q));
}

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
	query_half_done(q);
}

struct resolver_query *
resolver_tlsa(struct resolver *d, const char *name, resolver_tlsa_cb cb,
    void *arg)
{
	struct resolver_query	*q;

	q = query_new(d, Q_TLSA, name, arg);
	q->tlsa_cb = cb;
	q->pending = 1;
	return query_sent(q, dns_submit_p(d->ctx, name, DNS_C_IN, DANE_T_TLSA,
	    query_flags(d), dane_tlsa_parse, udns_tlsa_cb, q));
}

struct resolver_query *
resolver_txt(struct resolver *d, const char *name, resolver_txt_cb cb,
    void *arg)
{
	struct resolver_query	*q;

	q = query_new(d, Q_TXT, name, arg);
	q->txt_cb = cb;
	q->pending = 1;
	return query_sent(q, dns_submit_txt(d->ctx, name, DNS_C_IN,
	    DNS_NOSRCH, udns_txt_cb, q));
}

/*
 * udns's own resolver_cancel() (0.4) unlinks its query but never frees it, so
 * instead a cancelled query stays, silent, until udns ends its lookups
 * (answer or timeout) or resolver_free() drops them.
 */
void
resolver_cancel(struct resolver_query *q)
{
	if (q == NULL)
		return;
	if (q->pending > 0) {
		q->cancelled = true;
		q->addr_cb = NULL;
		q->mx_cb = NULL;
		q->txt_cb = NULL;
		q->tlsa_cb = NULL;
		return;
	}
	query_free(q);
}
