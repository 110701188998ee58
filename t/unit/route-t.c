/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * route-t.c — every rule of config.md's "routing" section, against
 * configurations built by hand: rule order, each matcher alone and
 * combined, wildcards, the next hop and queue name, the domains lookup and
 * the relayer precedence chain, plus route_accepts().
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "route.h"
#include "../tap.h"

#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

static struct relayer_conf relayers[] = {
	{ .name = "mx", .type = RELAY_MX },
	{ .name = "isp", .type = RELAY_SMTP },
	{ .name = "box", .type = RELAY_MAILDIR },
	{ .name = "local", .type = RELAY_MAILDROP },
	{ .name = "alt", .type = RELAY_MX },
};
enum { R_MX, R_ISP, R_BOX, R_LOCAL, R_ALT };

static char *r0_rcpt[] = { "*.corp.example", "corp.example" };
static char *r1_send[] = { "alerts.example" };
static char *r2_lis[] = { "lan" };
static char *r2_rcpt[] = { "lan.example" };
static char *r3_lis[] = { "submission", "local" };
static char *r3_send[] = { "*.dept.example" };
static char *r3_rcpt[] = { "*.partner.example" };
static char *r4_rcpt[] = { "first.example" };
static char *r5_rcpt[] = { "first.example", "second.example" };
static char *r6_rcpt[] = { "reroute.example" };
static char *r7_rcpt[] = { "override.example" };
static char *r8_rcpt[] = { "same.example" };
static char *r9_rcpt[] = { "*.long.example" };
static char *r10_rcpt[] = { "literal.example" };

static char long_nexthop[256];

static struct rule_conf rules[] = {
	/* 0: the example of config.md */
	{ .recipient_domain = r0_rcpt, .n_recipient_domain = N(r0_rcpt),
	  .routing_domain = "GW.Corp.Example" },
	/* 1 */
	{ .sender_domain = r1_send, .n_sender_domain = N(r1_send),
	  .relayer = "mx" },
	/* 2 */
	{ .listener = r2_lis, .n_listener = N(r2_lis),
	  .recipient_domain = r2_rcpt, .n_recipient_domain = N(r2_rcpt),
	  .relayer = "box" },
	/* 3: all three matchers */
	{ .listener = r3_lis, .n_listener = N(r3_lis),
	  .sender_domain = r3_send, .n_sender_domain = N(r3_send),
	  .recipient_domain = r3_rcpt, .n_recipient_domain = N(r3_rcpt),
	  .relayer = "local" },
	/* 4 and 5: the first of two matching rules wins */
	{ .recipient_domain = r4_rcpt, .n_recipient_domain = N(r4_rcpt),
	  .relayer = "isp" },
	{ .recipient_domain = r5_rcpt, .n_recipient_domain = N(r5_rcpt),
	  .relayer = "box" },
	/* 6: next hop with an mx_list */
	{ .recipient_domain = r6_rcpt, .n_recipient_domain = N(r6_rcpt),
	  .routing_domain = "example.com" },
	/* 7: the rule's relayer beats the next hop's mx_list */
	{ .recipient_domain = r7_rcpt, .n_recipient_domain = N(r7_rcpt),
	  .routing_domain = "example.com", .relayer = "isp" },
	/* 8: routing to itself */
	{ .recipient_domain = r8_rcpt, .n_recipient_domain = N(r8_rcpt),
	  .routing_domain = "SAME.example" },
	/* 9: longest names */
	{ .recipient_domain = r9_rcpt, .n_recipient_domain = N(r9_rcpt),
	  .routing_domain = long_nexthop },
	/* 10: route to a domain literal */
	{ .recipient_domain = r10_rcpt, .n_recipient_domain = N(r10_rcpt),
	  .routing_domain = "[192.0.2.7]" },
};

static struct mx_host mx3[3] = {
	{ .name = "mx1.internal" },
	{ .name = "mx2.internal", .addr = "10.0.0.2", .port = 2525 },
	{ .addr = "10.0.0.3" },
};
static struct mx_host mx1[1] = { { .name = "smarthost.example.org" } };

static struct domain_conf domains[] = {
	/* 0 */ { .domain = "example.com", .mx_list = mx3, .n_mx = 3 },
	/* 1 */ { .domain = "example.org", .mx_list = mx1, .n_mx = 1 },
	/* 2 */ { .domain = "lan.example", .accept = true },
	/* 3 */ { .domain = "*.wild.example", .relayer = "box" },
	/* 4 */ { .domain = "*.deep.wild.example", .relayer = "local" },
	/* 5 */ { .domain = "exact.wild.example", .relayer = "isp" },
	/* 6 */ { .domain = "relayed.example", .relayer = "alt",
		  .mx_list = mx1, .n_mx = 1 },
	/* 7 */ { .domain = "*.accept.example", .accept = true },
	/* 8 */ { .domain = "gw.corp.example", .relayer = "isp",
		  .accept = true },
	/* 9 */ { .domain = "corp.example", .relayer = "box" },
	/* 10: a longer wildcard declared before a shorter one */
	/* 10 */ { .domain = "*.b.a.example", .relayer = "alt" },
	/* 11 */ { .domain = "*.a.example", .relayer = "box" },
	/* 12 */ { .domain = "[192.0.2.1]", .relayer = "isp" },
	/* 13 */ { .domain = "*.tie.example", .relayer = "isp" },
	/* 14: duplicates (config.c may refuse them): the first wins */
	/* 14 */ { .domain = "*.tie.example", .relayer = "box" },
	/* 15 */ { .domain = "*.x.tie.example", .relayer = "alt" },
	/* 16 */ { .domain = "dup.example", .relayer = "isp" },
	/* 17 */ { .domain = "dup.example", .relayer = "box" },
};

static struct config cfg = {
	.relayers = relayers, .n_relayers = N(relayers),
	.default_relayer = "isp",
	.rules = rules, .n_rules = N(rules),
	.domains = domains, .n_domains = N(domains),
};

/* Resolve and check relayer, next hop, queue and domains entry. */
static void
check(const struct config *c, const char *listener, const char *sender,
    const char *rcpt, int relayer, const char *domain, const char *nexthop,
    const char *queue, int dom)
{
	struct route	 r;
	char		 name[256];
	int		 rv;

	memset(&r, 0x5a, sizeof(r));
	rv = route_resolve(c, listener, sender, rcpt, &r);
	snprintf(name, sizeof(name), "%s from <%s> via %s: resolves", rcpt,
	    sender ? sender : "NULL", listener ? listener : "NULL");
	is_int(rv, 0, name);
	if (rv != 0)
		return;
	snprintf(name, sizeof(name), "%s from <%s> via %s: relayer", rcpt,
	    sender ? sender : "NULL", listener ? listener : "NULL");
	is_str(r.relayer ? r.relayer->name : NULL,
	    c->relayers[relayer].name, name);
	ok(r.relayer == &c->relayers[relayer], name);
	snprintf(name, sizeof(name), "%s: domain", rcpt);
	is_str(r.domain, domain, name);
	snprintf(name, sizeof(name), "%s: next hop", rcpt);
	is_str(r.nexthop, nexthop, name);
	snprintf(name, sizeof(name), "%s: queue", rcpt);
	is_str(r.queue, queue, name);
	snprintf(name, sizeof(name), "%s: domains entry %d", rcpt, dom);
	if (dom < 0)
		ok(r.dom == NULL, name);
	else
		ok(r.dom == &c->domains[dom], name);
}

static void
check_fails(const char *rcpt)
{
	struct route	 r;
	char		 name[300];

	snprintf(name, sizeof(name), "no domain: \"%.200s\"",
	    rcpt ? rcpt : "NULL");
	is_int(route_resolve(&cfg, "lan", "a@b.example", rcpt, &r), -1, name);
}

int
main(void)
{
	struct config	 plain, noway;
	struct route	 r;
	char		 longdom[300], addr[320], want[600];
	const struct domain_conf *d;

	/* route_pattern_match */
	ok(route_pattern_match("example.com", "example.com"), "pm: exact");
	ok(route_pattern_match("Example.COM", "example.com"),
	    "pm: case-insensitive pattern");
	ok(route_pattern_match("example.com", "EXAMPLE.com"),
	    "pm: case-insensitive domain");
	ok(!route_pattern_match("example.com", "www.example.com"),
	    "pm: exact is not a suffix");
	ok(!route_pattern_match("example.com", "example.co"), "pm: prefix");
	ok(route_pattern_match("*.example.com", "www.example.com"),
	    "pm: wildcard, one label");
	ok(route_pattern_match("*.example.com", "a.b.c.example.com"),
	    "pm: wildcard, many labels");
	ok(route_pattern_match("*.example.com", "WWW.Example.Com"),
	    "pm: wildcard case-insensitive");
	ok(!route_pattern_match("*.example.com", "example.com"),
	    "pm: wildcard not the domain itself");
	ok(!route_pattern_match("*.example.com", "badexample.com"),
	    "pm: wildcard needs a dot boundary");
	ok(!route_pattern_match("*.example.com", ".example.com"),
	    "pm: wildcard needs a label");
	ok(!route_pattern_match("*.example.com", "example.com.evil"),
	    "pm: wildcard anchors at the end");
	ok(!route_pattern_match("*", "example.com"), "pm: bare * is literal");
	ok(!route_pattern_match("ex*.com", "example.com"),
	    "pm: * only as a leading label");
	ok(!route_pattern_match(NULL, "example.com"), "pm: NULL pattern");
	ok(!route_pattern_match("example.com", NULL), "pm: NULL domain");
	ok(route_pattern_match("bücher.example", "bücher.example"),
	    "pm: UTF-8 exact");

	/* route_domain */
	d = route_domain(&cfg, "example.com");
	ok(d == &domains[0], "rd: exact");
	ok(route_domain(&cfg, "www.example.com") == NULL,
	    "rd: exact entry is not a wildcard");
	ok(route_domain(&cfg, "a.wild.example") == &domains[3],
	    "rd: wildcard");
	ok(route_domain(&cfg, "wild.example") == NULL,
	    "rd: wildcard does not cover its base");
	ok(route_domain(&cfg, "a.deep.wild.example") == &domains[4],
	    "rd: longer wildcard declared later wins");
	ok(route_domain(&cfg, "deep.wild.example") == &domains[3],
	    "rd: base of the longer wildcard falls to the shorter");
	ok(route_domain(&cfg, "exact.wild.example") == &domains[5],
	    "rd: exact beats an earlier wildcard");
	ok(route_domain(&cfg, "z.b.a.example") == &domains[10],
	    "rd: longer wildcard declared earlier wins");
	ok(route_domain(&cfg, "z.c.a.example") == &domains[11],
	    "rd: shorter wildcard where the longer does not match");
	ok(route_domain(&cfg, "z.tie.example") == &domains[13],
	    "rd: duplicate wildcards, the first wins");
	ok(route_domain(&cfg, "z.x.tie.example") == &domains[15],
	    "rd: longer wildcard after duplicates");
	ok(route_domain(&cfg, "dup.example") == &domains[16],
	    "rd: duplicate exact entries, the first wins");
	ok(route_domain(&cfg, "[192.0.2.1]") == &domains[12],
	    "rd: domain literal");
	ok(route_domain(&cfg, "nowhere.example") == NULL, "rd: none");
	ok(route_domain(&cfg, NULL) == NULL, "rd: NULL domain");

	/* No rule matches: recipient domain, default relayer. */
	check(&cfg, "lan", "me@here.example", "you@unknown.example", R_ISP,
	    "unknown.example", "unknown.example", "unknown.example", -1);
	/* Case: the recipient domain is lower-cased, the local part kept. */
	check(&cfg, "lan", "me@here.example", "You@UnKnown.Example", R_ISP,
	    "unknown.example", "unknown.example", "unknown.example", -1);
	/* A quoted local part holding '@'. */
	check(&cfg, "lan", "", "\"a@b\"@Example.COM", R_MX,
	    "example.com", "example.com", "example.com", 0);

	/* Rule 0: wildcard and exact pattern, routing_domain lower-cased;
	 * the domains entry is the next hop's, not the recipient's. */
	check(&cfg, "lan", "me@here.example", "u@corp.example", R_ISP,
	    "corp.example", "gw.corp.example", "corp.example!gw.corp.example",
	    8);
	check(&cfg, "lan", "me@here.example", "u@Eng.Corp.Example", R_ISP,
	    "eng.corp.example", "gw.corp.example",
	    "eng.corp.example!gw.corp.example", 8);
	check(&cfg, "lan", "me@here.example", "u@a.b.corp.example", R_ISP,
	    "a.b.corp.example", "gw.corp.example",
	    "a.b.corp.example!gw.corp.example", 8);
	check(&cfg, "lan", "me@here.example", "u@xcorp.example", R_ISP,
	    "xcorp.example", "xcorp.example", "xcorp.example", -1);

	/* Rule 1: sender_domain. */
	check(&cfg, "lan", "ops@alerts.example", "u@unknown.example", R_MX,
	    "unknown.example", "unknown.example", "unknown.example", -1);
	check(&cfg, "lan", "OPS@Alerts.EXAMPLE", "u@unknown.example", R_MX,
	    "unknown.example", "unknown.example", "unknown.example", -1);
	check(&cfg, "lan", "ops@sub.alerts.example", "u@unknown.example",
	    R_ISP, "unknown.example", "unknown.example", "unknown.example",
	    -1);
	/* The null sender has no domain; neither has a bare local part. */
	check(&cfg, "lan", "", "u@unknown.example", R_ISP,
	    "unknown.example", "unknown.example", "unknown.example", -1);
	check(&cfg, "lan", NULL, "u@unknown.example", R_ISP,
	    "unknown.example", "unknown.example", "unknown.example", -1);
	check(&cfg, "lan", "alerts.example", "u@unknown.example", R_ISP,
	    "unknown.example", "unknown.example", "unknown.example", -1);
	/* Rule 0 comes first, whatever the sender. */
	check(&cfg, "lan", "ops@alerts.example", "u@corp.example", R_ISP,
	    "corp.example", "gw.corp.example", "corp.example!gw.corp.example",
	    8);

	/* Rule 2: listener and recipient_domain together. */
	check(&cfg, "lan", "me@here.example", "u@lan.example", R_BOX,
	    "lan.example", "lan.example", "lan.example", 2);
	check(&cfg, "submission", "me@here.example", "u@lan.example", R_ISP,
	    "lan.example", "lan.example", "lan.example", 2);
	check(&cfg, NULL, "me@here.example", "u@lan.example", R_ISP,
	    "lan.example", "lan.example", "lan.example", 2);
	check(&cfg, "lan", "me@here.example", "u@sub.lan.example", R_ISP,
	    "sub.lan.example", "sub.lan.example", "sub.lan.example", -1);

	/* Rule 3: all three matchers; each alone falls through. */
	check(&cfg, "submission", "me@x.dept.example", "u@y.partner.example",
	    R_LOCAL, "y.partner.example", "y.partner.example",
	    "y.partner.example", -1);
	check(&cfg, "local", "me@x.dept.example", "u@y.partner.example",
	    R_LOCAL, "y.partner.example", "y.partner.example",
	    "y.partner.example", -1);
	check(&cfg, "lan", "me@x.dept.example", "u@y.partner.example",
	    R_ISP, "y.partner.example", "y.partner.example",
	    "y.partner.example", -1);
	check(&cfg, "submission", "me@dept.example", "u@y.partner.example",
	    R_ISP, "y.partner.example", "y.partner.example",
	    "y.partner.example", -1);
	check(&cfg, "submission", "", "u@y.partner.example",
	    R_ISP, "y.partner.example", "y.partner.example",
	    "y.partner.example", -1);
	check(&cfg, "submission", "me@x.dept.example", "u@partner.example",
	    R_ISP, "partner.example", "partner.example", "partner.example",
	    -1);

	/* Rules 4 and 5: order. */
	check(&cfg, "lan", "", "u@first.example", R_ISP, "first.example",
	    "first.example", "first.example", -1);
	check(&cfg, "lan", "", "u@second.example", R_BOX, "second.example",
	    "second.example", "second.example", -1);

	/* Rule 6: routing_domain to a next hop with mx_list: relayer mx,
	 * although default_relayer is isp. */
	check(&cfg, "lan", "", "u@reroute.example", R_MX, "reroute.example",
	    "example.com", "reroute.example!example.com", 0);
	/* Rule 7: the rule's relayer beats the mx_list. */
	check(&cfg, "lan", "", "u@override.example", R_ISP, "override.example",
	    "example.com", "override.example!example.com", 0);
	/* Rule 8: routing to itself is the plain queue. */
	check(&cfg, "lan", "", "u@Same.Example", R_ISP, "same.example",
	    "same.example", "same.example", -1);
	/* Rule 10: a literal next hop keeps its brackets. */
	check(&cfg, "lan", "", "u@literal.example", R_ISP, "literal.example",
	    "[192.0.2.7]", "literal.example![192.0.2.7]", -1);

	/* Relayer precedence: the domain entry's relayer beats its mx_list,
	 * mx_list (or force_mx) beats default_relayer, wildcards count. */
	check(&cfg, "lan", "", "u@relayed.example", R_ALT, "relayed.example",
	    "relayed.example", "relayed.example", 6);
	check(&cfg, "lan", "", "u@example.com", R_MX, "example.com",
	    "example.com", "example.com", 0);
	check(&cfg, "lan", "", "u@example.org", R_MX, "example.org",
	    "example.org", "example.org", 1);
	check(&cfg, "lan", "", "u@a.wild.example", R_BOX, "a.wild.example",
	    "a.wild.example", "a.wild.example", 3);
	check(&cfg, "lan", "", "u@q.deep.wild.example", R_LOCAL,
	    "q.deep.wild.example", "q.deep.wild.example",
	    "q.deep.wild.example", 4);
	check(&cfg, "lan", "", "u@exact.wild.example", R_ISP,
	    "exact.wild.example", "exact.wild.example", "exact.wild.example",
	    5);
	/* Domain literals keep their brackets. */
	check(&cfg, "lan", "", "u@[192.0.2.1]", R_ISP, "[192.0.2.1]",
	    "[192.0.2.1]", "[192.0.2.1]", 12);
	check(&cfg, "lan", "", "u@[IPv6:2001:DB8::1]", R_ISP,
	    "[ipv6:2001:db8::1]", "[ipv6:2001:db8::1]", "[ipv6:2001:db8::1]",
	    -1);

	/* Without default_relayer: mx.  With no rules at all: straight to
	 * the domains entries. */
	plain = cfg;
	plain.default_relayer = NULL;
	check(&plain, "lan", "", "u@unknown.example", R_MX, "unknown.example",
	    "unknown.example", "unknown.example", -1);
	check(&plain, "lan", "", "u@a.wild.example", R_BOX, "a.wild.example",
	    "a.wild.example", "a.wild.example", 3);
	plain.n_rules = 0;
	check(&plain, "lan", "", "u@corp.example", R_BOX, "corp.example",
	    "corp.example", "corp.example", 9);
	check(&plain, "lan", "", "u@lan.example", R_MX, "lan.example",
	    "lan.example", "lan.example", 2);
	plain.default_relayer = "local";
	check(&plain, "lan", "", "u@lan.example", R_LOCAL, "lan.example",
	    "lan.example", "lan.example", 2);
	check(&plain, "lan", "", "u@example.com", R_MX, "example.com",
	    "example.com", "example.com", 0);

	/* A rule with no matcher matches everything. */
	{
		struct rule_conf catchall[2] = {
			{ .relayer = "box" },
			{ .relayer = "isp" },
		};

		plain = cfg;
		plain.rules = catchall;
		plain.n_rules = 2;
		check(&plain, NULL, "", "u@example.com", R_BOX, "example.com",
		    "example.com", "example.com", 0);
		check(&plain, "x", "a@b.c", "u@unknown.example", R_BOX,
		    "unknown.example", "unknown.example", "unknown.example",
		    -1);
	}

	/* The longest names fit: 255 + '!' + 255. */
	memset(longdom, 'a', sizeof(longdom));
	strcpy(longdom + 255 - strlen(".long.example"), ".long.example");
	memset(long_nexthop, 'n', 255 - strlen(".example"));
	strcpy(long_nexthop + 255 - strlen(".example"), ".example");
	snprintf(addr, sizeof(addr), "u@%s", longdom);
	snprintf(want, sizeof(want), "%s!%s", longdom, long_nexthop);
	check(&cfg, "lan", "", addr, R_ISP, longdom, long_nexthop, want, -1);
	is_int(strlen(want), 511, "longest queue name is 511 octets");

	/* No domain, or one too long to be one. */
	check_fails("postmaster");
	check_fails("user@");
	check_fails("");
	check_fails(NULL);
	memset(longdom, 'a', sizeof(longdom));
	longdom[256] = '\0';
	snprintf(addr, sizeof(addr), "u@%s", longdom);
	check_fails(addr);

	/* A relayer the configuration lacks (config.c never allows it). */
	noway = cfg;
	noway.n_relayers = 1;		/* only "mx" */
	is_int(route_resolve(&noway, "lan", "", "u@unknown.example", &r), -1,
	    "unknown default relayer fails");
	is_int(route_resolve(&noway, "lan", "", "u@example.com", &r), 0,
	    "mx still found");
	is_int(route_resolve(NULL, "lan", "", "u@example.com", &r), -1,
	    "NULL config fails");

	/* route_accepts: the recipient's own domain entry, never the next
	 * hop's (gw.corp.example accepts, corp.example does not). */
	ok(route_accepts(&cfg, "u@lan.example"), "accepts: lan.example");
	ok(route_accepts(&cfg, "u@LAN.Example"), "accepts: case-insensitive");
	ok(!route_accepts(&cfg, "u@sub.lan.example"),
	    "accepts: not a subdomain of an exact entry");
	ok(route_accepts(&cfg, "u@x.accept.example"), "accepts: wildcard");
	ok(!route_accepts(&cfg, "u@accept.example"),
	    "accepts: not the wildcard's base");
	ok(!route_accepts(&cfg, "u@example.com"),
	    "accepts: entry without accept");
	ok(!route_accepts(&cfg, "u@unknown.example"), "accepts: no entry");
	ok(route_accepts(&cfg, "u@gw.corp.example"), "accepts: gw itself");
	ok(!route_accepts(&cfg, "u@corp.example"),
	    "accepts: not through routing_domain");
	ok(!route_accepts(&cfg, "postmaster"), "accepts: no domain");
	ok(!route_accepts(&cfg, NULL), "accepts: NULL");
	ok(!route_accepts(NULL, "u@lan.example"), "accepts: NULL config");
	ok(route_accepts(&cfg, "lan.example@lan.example"),
	    "accepts: last '@' wins");
	ok(!route_accepts(&cfg, "u@lan.example@elsewhere.example"),
	    "accepts: last '@' wins (negative)");

	return done_testing();
}
