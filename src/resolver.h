/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * resolver.h — asynchronous DNS with udns on libevent: the resolver's socket is
 * watched by a libevent event and its timeouts run on a libevent timer.
 * No blocking resolver call is made anywhere in the daemon.
 */
#ifndef SMARTHOSTD_RESOLVER_H
#define SMARTHOSTD_RESOLVER_H

#include <sys/socket.h>

#include <stdbool.h>

struct event_base;
struct config;
struct dane_tlsa_set;
struct resolver;
struct resolver_query;

enum resolver_status {
	RESOLVER_OK,			/* answer in the callback's arguments */
	RESOLVER_NXDOMAIN,		/* the name does not exist: permanent */
	RESOLVER_NODATA,		/* the name exists, no records of the type */
	RESOLVER_TEMPFAIL		/* SERVFAIL, timeout, network: transient */
};

struct resolver_mx {
	int	 pref;
	char	 host[256];	/* "." with pref 0 is a null MX (RFC 7505) */
};

/* One TXT record: its character-strings joined, as RFC 7208 and RFC 8461
 * read them; it may hold NUL octets (len counts them), and is
 * NUL-terminated after len as well. */
struct resolver_txt {
	const char	*txt;
	int		 len;
};

/*
 * Start a resolver from the configuration's resolver settings
 * (nameservers/port/timeout/attempts), or /etc/resolv.conf when it has no
 * nameservers.  Returns NULL with a reason in err.
 */
struct resolver	*resolver_new(struct event_base *, const struct config *,
		    char *err, size_t errlen);
void		 resolver_free(struct resolver *);

/*
 * A new configuration: take its trust_ad, and its hosts_file (default
 * /etc/hosts), read again at the next lookup.  The file is also read
 * again whenever it changes.  Names found there answer A/AAAA lookups
 * without DNS; MX and TLSA lookups are DNS only.
 */
void		 resolver_reload(struct resolver *, const struct config *);

/*
 * secure: the answer is DNSSEC-authenticated — the configuration's
 * resolver has trust_ad, and every reply it is made of carried the AD bit
 * (the queries then ask for it with the EDNS0 DO bit).  Answers from the
 * hosts file and IP literals are local configuration: secure too.  Never
 * true without trust_ad.
 */
typedef void (*resolver_addr_cb)(void *arg, enum resolver_status,
    bool secure, const struct sockaddr_storage *addrs, int n);
typedef void (*resolver_mx_cb)(void *arg, enum resolver_status,
    bool secure, const struct resolver_mx *mx, int n);
typedef void (*resolver_txt_cb)(void *arg, enum resolver_status,
    const struct resolver_txt *txt, int n);
/* RESOLVER_OK with the TLSA records (set->n_seen > 0, set->n usable),
 * else NODATA, NXDOMAIN or TEMPFAIL and set NULL. */
typedef void (*resolver_tlsa_cb)(void *arg, enum resolver_status,
    bool secure, const struct dane_tlsa_set *set);

/*
 * Look up A and AAAA of a host name; the callback gets every address of
 * both (IPv4 first), with port 0.  An IP literal answers at once (still
 * from the event loop, never inside this call).  RESOLVER_OK with n > 0, or a
 * failure status: NXDOMAIN only when both lookups say so, TEMPFAIL if
 * either failed transiently and none answered.
 */
struct resolver_query *resolver_addr(struct resolver *, const char *name,
		    resolver_addr_cb cb, void *arg);

/* Look up MX records, sorted by preference (equal ones in answer order). */
struct resolver_query *resolver_mx(struct resolver *, const char *domain,
		    resolver_mx_cb cb, void *arg);

/* Look up TXT records (for MTA-STS's _mta-sts name), in answer order;
 * DNS only, never the hosts file. */
struct resolver_query *resolver_txt(struct resolver *, const char *name,
		    resolver_txt_cb cb, void *arg);

/* Look up the TLSA records of name ("_25._tcp.mx.example"), DNS only. */
struct resolver_query *resolver_tlsa(struct resolver *, const char *name,
		    resolver_tlsa_cb cb, void *arg);

/*
 * Is s an IP address, bare ("192.0.2.1", "2001:db8::1") or a domain literal
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]", the tag in any case)?  If so fill
 * ss (port 0) and return true.  No lookup is ever made for such a name.
 */
bool		 resolver_literal(const char *s, struct sockaddr_storage *ss);

/* Set ss's port; returns the length of the address, or 0 for a family
 * that is neither IPv4 nor IPv6. */
socklen_t	 resolver_set_port(struct sockaddr_storage *ss, int port);

/* Cancel a query whose callback has not run yet; it never will. */
void		 resolver_cancel(struct resolver_query *);

#endif
