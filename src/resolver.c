/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * resolver.c — owns the asynchronous resolver: one private udns context per
 * struct resolver, its UDP socket on a persistent libevent read event, its
 * timeouts on one libevent timer, the hosts file, and the life of a query
 * (resolver_int.h); the A/AAAA, MX, TXT and TLSA lookups built on it are
 * resolver_lookup.c's.  Nothing here blocks: udns only sends from
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

#include "config.h"
#include "dane.h"
#include "hosts.h"
#include "log.h"
#include "util.h"
#include "resolver.h"
#include "resolver_int.h"

/* A hosts file bigger than this is not one: ignored, with a warning. */
#define HOSTS_MAX	(1024 * 1024)

static void	dns_io_cb(evutil_socket_t, short, void *);
static void	dns_timer_cb(evutil_socket_t, short, void *);
static void	dns_utm(struct dns_ctx *, int, void *);
static void	udns_seen(int, const struct sockaddr *, unsigned,
		    const unsigned char *, int, const struct dns_query *,
		    void *);

/*
 * Read the hosts file again if it is not the one read last (another inode,
 * size or modification time): a small local file, read on the loop as the
 * C library would.  A missing or unreadable file is an empty table.
 */
void
rq_hosts_refresh(struct resolver *d)
{
	struct stat	 st;
	char		*text = NULL;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if (d->hosts_path == NULL)
		return;
	if (fstatat(AT_FDCWD, d->hosts_path, &st, 0) == -1)
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
		rq_free(q);
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

struct resolver_query *
rq_new(struct resolver *d, enum query_type type, const char *name, void *arg)
{
	struct resolver_query	*q;

	q = xcalloc(1, sizeof(*q));
	q->dns = d;
	q->type = type;
	q->arg = arg;
	q->name = xstrdup(name);
	q->ustatus[HALF_4] = q->ustatus[HALF_6] = DNS_E_NODATA;
	if ((q->ev_done = event_new(d->base, -1, 0, rq_done_cb, q)) == NULL)
		fatalx("dns: event_new");
	TAILQ_INSERT_TAIL(&d->queries, q, entry);
	return q;
}

void
rq_free(struct resolver_query *q)
{
	TAILQ_REMOVE(&q->dns->queries, q, entry);
	event_free(q->ev_done);
	free(q->addrs[HALF_4]);
	free(q->addrs[HALF_6]);
	free(q->mx);
	rq_txt_free(q->txt, q->ntxt);
	dane_tlsa_set_free(q->tlsa);
	free(q->name);
	free(q);
}

/* A udns half has ended: once both have, answer from the event loop. */
void
rq_half_done(struct resolver_query *q)
{
	if (--q->pending > 0)
		return;
	if (q->cancelled)
		rq_free(q);
	else
		event_active(q->ev_done, EV_TIMEOUT, 1);
}

enum resolver_status
rq_map_status(int ustatus)
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
bool
rq_secure(const struct resolver_query *q)
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
int
rq_flags(const struct resolver *d)
{
	return DNS_NOSRCH | (d->trust_ad ? DNS_SET_DO : 0);
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
	rq_free(q);
}
