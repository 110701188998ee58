/*
 * dns.h — asynchronous DNS with udns on libevent: the resolver's socket is
 * watched by a libevent event and its timeouts run on a libevent timer.
 * No blocking resolver call is made anywhere in the daemon.
 */
#ifndef SMARTHOSTD_DNS_H
#define SMARTHOSTD_DNS_H

#include <sys/socket.h>

struct event_base;
struct config;
struct dns;
struct dns_query;

enum dns_status {
	DNS_OK,			/* answer in the callback's arguments */
	DNS_NXDOMAIN,		/* the name does not exist: permanent */
	DNS_NODATA,		/* the name exists, no records of the type */
	DNS_TEMPFAIL		/* SERVFAIL, timeout, network: transient */
};

struct dns_mx {
	int	 pref;
	char	 host[256];	/* "." with pref 0 is a null MX (RFC 7505) */
};

/*
 * Start a resolver from the configuration's resolver settings
 * (nameservers/port/timeout/attempts), or /etc/resolv.conf when it has no
 * nameservers.  Returns NULL with a reason in err.
 */
struct dns	*dns_new(struct event_base *, const struct config *,
		    char *err, size_t errlen);
void		 dns_free(struct dns *);

typedef void (*dns_addr_cb)(void *arg, enum dns_status,
    const struct sockaddr_storage *addrs, int n);
typedef void (*dns_mx_cb)(void *arg, enum dns_status,
    const struct dns_mx *mx, int n);

/*
 * Look up A and AAAA of a host name; the callback gets every address of
 * both (IPv4 first), with port 0.  An IP literal answers at once (still
 * from the event loop, never inside this call).  DNS_OK with n > 0, or a
 * failure status: NXDOMAIN only when both lookups say so, TEMPFAIL if
 * either failed transiently and none answered.
 */
struct dns_query *dns_resolve_addr(struct dns *, const char *name,
		    dns_addr_cb cb, void *arg);

/* Look up MX records, sorted by preference (equal ones in answer order). */
struct dns_query *dns_resolve_mx(struct dns *, const char *domain,
		    dns_mx_cb cb, void *arg);

/* Cancel a query whose callback has not run yet; it never will. */
void		 dns_cancel(struct dns_query *);

#endif
