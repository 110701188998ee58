/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * route.c — the four routing steps of config.md: which rule applies, the
 * next hop, its domains entry, and the relayer.  A pure function of the
 * configuration and the envelope, so it can run again at every delivery
 * attempt with whatever configuration is then in force.
 *
 * Relayers are looked up here with a short loop rather than through
 * config.c, so that tests can build a struct config by hand.
 */
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "route.h"

static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive ASCII equality; octets >= 0x80 compare exactly. */
static int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ascii_lower(*a) != ascii_lower(*b))
			return 0;
	return *a == *b;
}

/*
 * The domain part of an address (after the last '@', which no domain can
 * contain, so a quoted local part holding '@' is no trouble), lower-cased
 * into dom.  Returns -1 when there is none or it does not fit.
 */
static int
addr_domain(const char *addr, char *dom, size_t size)
{
	const char	*at;
	size_t		 i, len;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return -1;
	at++;
	len = strlen(at);
	if (len == 0 || len >= size)
		return -1;
	for (i = 0; i < len; i++)
		dom[i] = ascii_lower(at[i]);
	dom[len] = '\0';
	return 0;
}

int
route_pattern_match(const char *pattern, const char *domain)
{
	size_t	plen, dlen;

	if (pattern == NULL || domain == NULL)
		return 0;
	if (pattern[0] == '*' && pattern[1] == '.') {
		/* ".example.com": a subdomain needs a label before the dot. */
		pattern++;
		plen = strlen(pattern);
		dlen = strlen(domain);
		if (dlen <= plen)
			return 0;
		return ascii_caseeq(domain + dlen - plen, pattern);
	}
	return ascii_caseeq(pattern, domain);
}

static int
patterns_match(char *const *patterns, int n, const char *domain)
{
	int	i;

	for (i = 0; i < n; i++)
		if (route_pattern_match(patterns[i], domain))
			return 1;
	return 0;
}

/* Does every matcher the rule gives match?  A rule with none matches all. */
static int
rule_matches(const struct rule_conf *r, const char *listener,
    const char *sdomain, const char *rdomain)
{
	int	i;

	if (r->n_recipient_domain > 0 &&
	    !patterns_match(r->recipient_domain, r->n_recipient_domain,
	    rdomain))
		return 0;
	/* The null sender has no domain, so no pattern can match it. */
	if (r->n_sender_domain > 0 && (sdomain == NULL ||
	    !patterns_match(r->sender_domain, r->n_sender_domain, sdomain)))
		return 0;
	if (r->n_listener > 0) {
		if (listener == NULL)
			return 0;
		for (i = 0; i < r->n_listener; i++)
			if (r->listener[i] != NULL &&
			    strcmp(r->listener[i], listener) == 0)
				break;
		if (i == r->n_listener)
			return 0;
	}
	return 1;
}

static const struct relayer_conf *
find_relayer(const struct config *cfg, const char *name)
{
	int	i;

	for (i = 0; i < cfg->n_relayers; i++)
		if (cfg->relayers[i].name != NULL &&
		    strcmp(cfg->relayers[i].name, name) == 0)
			return &cfg->relayers[i];
	return NULL;
}

const struct domain_conf *
route_domain(const struct config *cfg, const char *domain)
{
	const struct domain_conf	*d, *best = NULL;
	size_t				 len, best_len = 0;
	int				 i;

	if (cfg == NULL || domain == NULL)
		return NULL;
	for (i = 0; i < cfg->n_domains; i++) {
		d = &cfg->domains[i];
		if (d->domain == NULL)
			continue;
		if (d->domain[0] != '*' && ascii_caseeq(d->domain, domain))
			return d;
	}
	/* Longest wildcard wins; among equals, the first declared. */
	for (i = 0; i < cfg->n_domains; i++) {
		d = &cfg->domains[i];
		if (d->domain == NULL || d->domain[0] != '*' ||
		    d->domain[1] != '.')
			continue;
		len = strlen(d->domain);
		if (len > best_len && route_pattern_match(d->domain, domain)) {
			best = d;
			best_len = len;
		}
	}
	return best;
}

int
route_resolve(const struct config *cfg, const char *listener,
    const char *sender, const char *rcpt, struct route *out)
{
	const struct rule_conf	*rule = NULL;
	const char		*relayer;
	char			 sdomain[SMTP_DOMAIN_MAX + 1];
	int			 have_sdomain, i;
	size_t			 dlen, nlen;

	memset(out, 0, sizeof(*out));
	if (cfg == NULL)
		return -1;
	if (addr_domain(rcpt, out->domain, sizeof(out->domain)) == -1)
		return -1;
	have_sdomain = addr_domain(sender, sdomain, sizeof(sdomain)) == 0;

	/* 1. The first rule whose every matcher matches. */
	for (i = 0; i < cfg->n_rules; i++) {
		if (rule_matches(&cfg->rules[i], listener,
		    have_sdomain ? sdomain : NULL, out->domain)) {
			rule = &cfg->rules[i];
			break;
		}
	}

	/* 2. The next hop. */
	if (rule != NULL && rule->routing_domain != NULL) {
		nlen = strlen(rule->routing_domain);
		if (nlen == 0 || nlen >= sizeof(out->nexthop))
			return -1;	/* config.c refuses these */
		for (i = 0; (size_t)i < nlen; i++)
			out->nexthop[i] = ascii_lower(rule->routing_domain[i]);
		out->nexthop[nlen] = '\0';
	} else
		memcpy(out->nexthop, out->domain, sizeof(out->nexthop));

	/* 3. Its domains entry. */
	out->dom = route_domain(cfg, out->nexthop);

	/* 4. The relayer. */
	if (rule != NULL && rule->relayer != NULL)
		relayer = rule->relayer;
	else if (out->dom != NULL && out->dom->relayer != NULL)
		relayer = out->dom->relayer;
	else if (out->dom != NULL && out->dom->n_mx > 0)
		relayer = "mx";
	else if (cfg->default_relayer != NULL)
		relayer = cfg->default_relayer;
	else
		relayer = "mx";
	/* config.c checks every reference, so this is a broken config. */
	if ((out->relayer = find_relayer(cfg, relayer)) == NULL)
		return -1;

	/* "domain", or "domain!nexthop" (fits: 255 + 1 + 255 + NUL). */
	dlen = strlen(out->domain);
	memcpy(out->queue, out->domain, dlen + 1);
	if (strcmp(out->nexthop, out->domain) != 0) {
		nlen = strlen(out->nexthop);
		out->queue[dlen] = '!';
		memcpy(out->queue + dlen + 1, out->nexthop, nlen + 1);
	}
	return 0;
}

int
route_accepts(const struct config *cfg, const char *rcpt)
{
	const struct domain_conf	*d;
	char				 dom[SMTP_DOMAIN_MAX + 1];

	if (cfg == NULL || addr_domain(rcpt, dom, sizeof(dom)) == -1)
		return 0;
	d = route_domain(cfg, dom);
	return d != NULL && d->accept;
}
