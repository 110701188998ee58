/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dns-lookup.c — drives src/dns.c on an event loop for t/integration/dns.t:
 *
 *	dns-lookup [-d] [-C] [-A] [-s IP]... [-p PORT] [-t SECONDS]
 *	    [-a ATTEMPTS] mx|addr|txt|tlsa NAME
 *
 * prints one result per line ("mx 10 mx1.example.test", "addr 127.0.0.2",
 * "txt v=STSv1; id=1" with octets outside printable ASCII as \xHH,
 * "tlsa 3 1 1 <hex>" for each usable record after "tlsa records N"; tlsa
 * only in a build with DANE)
 * or "status NXDOMAIN|NODATA|TEMPFAIL", and exits 0.  -A sets trust_ad
 * and prints "secure yes|no" first (not for txt).  -C cancels the
 * query at once and prints "cancelled" if its callback never runs.  Exit 1
 * is a usage or start-up error, 2 a lookup that never finished.
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "dane.h"
#include "log.h"
#include "resolver.h"

static struct event_base	*base;
static struct resolver		*dns;
static int			 answered;
static int			 show_secure;

static void
print_secure(bool secure)
{
	if (show_secure)
		printf("secure %s\n", secure ? "yes" : "no");
}

static const char *
status_text(enum resolver_status s)
{
	switch (s) {
	case RESOLVER_OK:
		return "OK";
	case RESOLVER_NXDOMAIN:
		return "NXDOMAIN";
	case RESOLVER_NODATA:
		return "NODATA";
	case RESOLVER_TEMPFAIL:
		return "TEMPFAIL";
	}
	return "?";
}

/* Callbacks free the resolver themselves: dns.h allows it. */
static void
finish(void)
{
	answered = 1;
	resolver_free(dns);
	dns = NULL;
	event_base_loopbreak(base);
}

static void
addr_done(void *arg, enum resolver_status status, bool secure,
    const struct sockaddr_storage *addrs, int n)
{
	char	 buf[INET6_ADDRSTRLEN];
	int	 i;

	print_secure(secure);
	if (status != RESOLVER_OK)
		printf("status %s\n", status_text(status));
	for (i = 0; i < n; i++) {
		if (addrs[i].ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    &addrs[i])->sin_addr, buf, sizeof(buf));
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    &addrs[i])->sin6_addr, buf, sizeof(buf));
		printf("addr %s\n", buf);
	}
	finish();
}

static void
mx_done(void *arg, enum resolver_status status, bool secure,
    const struct resolver_mx *mx, int n)
{
	int	 i;

	print_secure(secure);
	if (status != RESOLVER_OK)
		printf("status %s\n", status_text(status));
	for (i = 0; i < n; i++)
		printf("mx %d %s\n", mx[i].pref, mx[i].host);
	finish();
}

static void
txt_done(void *arg, enum resolver_status status,
    const struct resolver_txt *txt, int n)
{
	unsigned char	 c;
	int		 i, j;

	if (status != RESOLVER_OK)
		printf("status %s\n", status_text(status));
	for (i = 0; i < n; i++) {
		printf("txt ");
		for (j = 0; j < txt[i].len; j++) {
			c = (unsigned char)txt[i].txt[j];
			if (c < 0x20 || c > 0x7e || c == '\\')
				printf("\\x%02x", c);
			else
				putchar(c);
		}
		putchar('\n');
	}
	finish();
}

#ifdef WITH_DANE
static void
tlsa_done(void *arg, enum resolver_status status, bool secure,
    const struct dane_tlsa_set *set)
{
	size_t	 j;
	int	 i;

	print_secure(secure);
	if (status != RESOLVER_OK)
		printf("status %s\n", status_text(status));
	else {
		printf("tlsa records %d\n", set->n_seen);
		for (i = 0; i < set->n; i++) {
			printf("tlsa %d %d %d ", set->rr[i].usage,
			    set->rr[i].selector, set->rr[i].mtype);
			for (j = 0; j < set->rr[i].len; j++)
				printf("%02x", set->rr[i].data[j]);
			printf("\n");
		}
	}
	finish();
}
#endif

static void
deadline(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(base);
}

static void
usage(void)
{
	fprintf(stderr, "usage: dns-lookup [-dCA] [-s IP]... [-p PORT] "
	    "[-t SECONDS] [-a ATTEMPTS] mx|addr|txt|tlsa NAME\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct config		 conf;
	struct resolver_query	*q;
	struct event		*ev;
	struct timeval		 tv;
	char			*servers[8];
	char			 err[256];
	int			 ch, cancel = 0, debug = 0, nserv = 0;
	long			 wait;

	memset(&conf, 0, sizeof(conf));
	conf.resolver_port = 53;
	conf.resolver_timeout = 5;
	conf.resolver_attempts = 2;
	while ((ch = getopt(argc, argv, "Aa:Cdp:s:t:")) != -1) {
		switch (ch) {
		case 'A':
			conf.resolver_trust_ad = true;
			show_secure = 1;
			break;
		case 'a':
			conf.resolver_attempts = atoi(optarg);
			break;
		case 'C':
			cancel = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'p':
			conf.resolver_port = atoi(optarg);
			break;
		case 's':
			if (nserv == (int)(sizeof(servers) / sizeof(servers[0])))
				usage();
			servers[nserv++] = optarg;
			break;
		case 't':
			conf.resolver_timeout = atol(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || (strcmp(argv[0], "mx") != 0 &&
	    strcmp(argv[0], "addr") != 0 && strcmp(argv[0], "txt") != 0 &&
	    strcmp(argv[0], "tlsa") != 0))
		usage();
	conf.nameservers = nserv > 0 ? servers : NULL;
	conf.n_nameservers = nserv;

	log_init("dns-lookup", 1, debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((dns = resolver_new(base, &conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dns-lookup: %s\n", err);
		return 1;
	}

	if (strcmp(argv[0], "mx") == 0)
		q = resolver_mx(dns, argv[1], mx_done, NULL);
	else if (strcmp(argv[0], "txt") == 0)
		q = resolver_txt(dns, argv[1], txt_done, NULL);
#ifdef WITH_DANE
	else if (strcmp(argv[0], "tlsa") == 0)
		q = resolver_tlsa(dns, argv[1], tlsa_done, NULL);
#endif
	else
		q = resolver_addr(dns, argv[1], addr_done, NULL);
	/* Nothing may be answered inside the call. */
	if (answered) {
		printf("error answered inside the call\n");
		return 1;
	}

	/* udns waits timeout << try per attempt: a bound on every lookup. */
	wait = conf.resolver_timeout * ((1L << conf.resolver_attempts) - 1) + 3;
	if (cancel) {
		resolver_cancel(q);
		wait = conf.resolver_timeout + 1;
	}
	tv.tv_sec = wait;
	tv.tv_usec = 0;
	ev = evtimer_new(base, deadline, NULL);
	evtimer_add(ev, &tv);
	event_base_dispatch(base);
	event_free(ev);

	if (cancel)
		printf("%s\n", answered ? "error answered after cancel" :
		    "cancelled");
	else if (!answered)
		printf("error no answer within %lds\n", wait);
	/* A cancelled query may still be in flight: resolver_free drops it. */
	resolver_free(dns);
	event_base_free(base);
	return answered == cancel ? 2 : 0;
}
