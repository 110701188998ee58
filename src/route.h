/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * route.h — how a recipient finds its relayer and next hop.  A pure
 * function of (configuration, listener, sender, recipient), exactly the four
 * steps of config.md's "routing" section.
 */
#ifndef SMARTHOSTD_ROUTE_H
#define SMARTHOSTD_ROUTE_H

#include "smtp_parse.h"

struct config;
struct relayer_conf;
struct domain_conf;

struct route {
	const struct relayer_conf *relayer;
	const struct domain_conf  *dom;		/* next hop's entry, or NULL */
	char	domain[SMTP_DOMAIN_MAX + 1];	/* recipient domain, lower case */
	char	nexthop[SMTP_DOMAIN_MAX + 1];	/* routing domain or domain */
	char	queue[2 * SMTP_DOMAIN_MAX + 2];	/* "domain" or "domain!nexthop" */
};

/*
 * Resolve one recipient.  listener may be LISTENER_SENDMAIL or
 * LISTENER_BOUNCE (config.h).  Returns
 * 0, or -1 when the recipient has no domain part.
 */
int	route_resolve(const struct config *, const char *listener,
	    const char *sender, const char *rcpt, struct route *out);

/* Does a pattern ("example.com", "*.example.com") match a lower-case domain? */
int	route_pattern_match(const char *pattern, const char *domain);

/*
 * The domains entry for a lower-case next-hop domain: exact match first,
 * then the longest "*." wildcard that matches.  NULL if none.
 */
const struct domain_conf *route_domain(const struct config *, const char *domain);

/* Is mail for this recipient domain accepted from any client (a domains
 * entry with accept = true)? */
int	route_accepts(const struct config *, const char *rcpt);

#endif
