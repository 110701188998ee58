/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * batch-t.c — batch_split() in each batch_handling mode: grouping, the
 * numbering by first appearance, exact key comparison and odd inputs; and
 * batch_route_key() on routes resolved from a real configuration (issue
 * 10 item 1: an smtp relayer's recipients ride together whatever their
 * domain; mx groups by next-hop domain).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "config.h"
#include "route.h"
#include "../tap.h"

#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

static void
check(const char *name, enum batch_mode mode, const char *const *keys,
    int n, int want_k, const int *want)
{
	int	got[64], i, same = 1;
	char	buf[160];

	for (i = 0; i < N(got); i++)
		got[i] = -99;
	snprintf(buf, sizeof(buf), "%s: number of batches", name);
	is_int(batch_split(mode, keys, n, got), want_k, buf);
	for (i = 0; i < n; i++)
		if (got[i] != want[i]) {
			printf("#   recipient %d: got batch %d, want %d\n", i,
			    got[i], want[i]);
			same = 0;
		}
	snprintf(buf, sizeof(buf), "%s: batch of each recipient", name);
	ok(same, buf);
	snprintf(buf, sizeof(buf), "%s: nothing written past n", name);
	ok(got[n] == -99, buf);
}

static const char route_conf[] =
"hostname = \"relay.test\";\n"
"spool = \"/tmp/batch-t-spool\";\n"
"control = \"\";\n"
"relayers = (\n"
"  { name = \"isp\"; type = \"smtp\"; host = \"127.0.0.1\"; tls = \"none\"; },\n"
"  { name = \"other\"; type = \"smtp\"; host = \"127.0.0.2\"; tls = \"none\"; },\n"
"  { name = \"mx\"; type = \"mx\"; },\n"
"  { name = \"box\"; type = \"maildir\"; path = \"/tmp/%{domain}\"; }\n"
");\n"
"routing = {\n"
"  default_relayer = \"isp\";\n"
"  rules = (\n"
"    { recipient_domain = \"three.test\"; relayer = \"other\"; },\n"
"    { recipient_domain = [ \"a.hub.test\", \"b.hub.test\" ];\n"
"      routing_domain = \"hub.test\"; relayer = \"mx\"; },\n"
"    { recipient_domain = [ \"m1.test\", \"m2.test\", \"*.hub.test\" ];\n"
"      relayer = \"mx\"; },\n"
"    { recipient_domain = \"local.test\"; relayer = \"box\"; }\n"
"  );\n"
"  domains = (\n"
"    { domain = \"m2.test\"; mx_list = ( \"mx.m2.test\" ); tls = \"none\"; }\n"
"  );\n"
"};\n";

/* Route each recipient, key it, split: the batch of each. */
static void
route_batches(const char *name, struct config *cfg, const char *const *rcpt,
    int n, int want_k, const int *want)
{
	char		*keys[16] = { NULL };
	struct route	 r;
	int		 i;

	for (i = 0; i < n; i++) {
		if (route_resolve(cfg, "in", "s@x.test", rcpt[i], &r) == -1) {
			ok(0, "route_resolve");
			return;
		}
		keys[i] = batch_route_key(&r);
	}
	check(name, BATCH_BY_ROUTE, (const char *const *)keys, n, want_k, want);
	for (i = 0; i < n; i++)
		free(keys[i]);
}

static void
test_route_keys(void)
{
	struct config	*cfg;
	char		 err[512];
	/* The case: three domains, two to one smarthost, one to
	 * another relayer: two transactions. */
	const char *const smarthost[] = { "a@one.test", "b@two.test",
	    "c@three.test", "d@One.TEST" };
	const int by_smarthost[] = { 0, 0, 1, 0 };
	/* mx: equal next-hop domain rides together; a domains entry
	 * (mx_list, tls) belongs to its next-hop domain; routing_domain
	 * makes one next hop of two recipient domains. */
	const char *const mx[] = { "a@m1.test", "b@m2.test", "c@m1.test",
	    "d@m2.test", "e@a.hub.test", "f@b.hub.test", "g@x.hub.test" };
	const int by_mx[] = { 0, 1, 0, 1, 2, 2, 3 };
	const char *const mixed[] = { "a@one.test", "b@m1.test",
	    "c@local.test", "d@two.test", "e@local.test", "f@three.test" };
	const int by_mixed[] = { 0, 1, 2, 0, 2, 3 };

	if ((cfg = config_load_string(route_conf, "t.conf", err,
	    sizeof(err))) == NULL) {
		ok(0, "route configuration loads");
		printf("# %s\n", err);
		return;
	}
	route_batches("smtp relayer: every domain in one batch", cfg,
	    smarthost, N(smarthost), 2, by_smarthost);
	route_batches("mx: by next-hop domain", cfg, mx, N(mx), 4, by_mx);
	route_batches("smtp, mx and maildir together", cfg, mixed, N(mixed),
	    4, by_mixed);
	config_unref(cfg);
}

int
main(void)
{
	const char *const doms[] = {
		"b.example", "a.example", "b.example", "c.example",
		"a.example", "b.example"
	};
	const int by_dom[] = { 0, 1, 0, 2, 1, 0 };
	const int each[] = { 0, 1, 2, 3, 4, 5 };
	const char *const routes[] = {
		"isp\nexample.com", "mx\nexample.com", "isp\nexample.com",
		"isp\nexample.org"
	};
	const int by_route[] = { 0, 1, 0, 2 };
	const char *const exact[] = { "Example.com", "example.com",
	    "example.com ", "example.com" };
	const int by_exact[] = { 0, 1, 2, 1 };
	const char *const one[] = { "x.example" };
	const int zero[] = { 0 };
	const char *const same[] = { "s", "s", "s", "s", "s" };
	const int all0[] = { 0, 0, 0, 0, 0 };
	const char *const nulls[] = { NULL, "a", NULL, "" , "a", "" };
	const int by_null[] = { 0, 1, 0, 2, 1, 2 };
	const char *const prefix[] = { "ab", "a", "abc", "a", "ab" };
	const int by_prefix[] = { 0, 1, 2, 1, 0 };
	const char *many[40];
	int want_many[40], i, got[2];

	check("BifurcateAlways", BATCH_BIFURCATE_ALWAYS, doms, N(doms), 6,
	    each);
	check("BifurcateAlways, no keys", BATCH_BIFURCATE_ALWAYS, NULL, 4, 4,
	    each);
	check("BatchByDomain", BATCH_BY_DOMAIN, doms, N(doms), 3, by_dom);
	check("BatchByRoute", BATCH_BY_ROUTE, routes, N(routes), 3, by_route);
	check("BatchByDomain, exact compare", BATCH_BY_DOMAIN, exact,
	    N(exact), 3, by_exact);
	check("BatchByDomain, prefixes differ", BATCH_BY_DOMAIN, prefix,
	    N(prefix), 3, by_prefix);
	check("BatchByDomain, one recipient", BATCH_BY_DOMAIN, one, 1, 1,
	    zero);
	check("BatchByRoute, all the same", BATCH_BY_ROUTE, same, N(same), 1,
	    all0);
	check("BatchByDomain, NULL and empty keys", BATCH_BY_DOMAIN, nulls,
	    N(nulls), 3, by_null);
	check("BatchByDomain, first n only", BATCH_BY_DOMAIN, doms, 2, 2,
	    by_dom);
	check("unknown mode splits", (enum batch_mode)42, same, N(same), 5,
	    each);
	check("BatchByDomain, no keys splits", BATCH_BY_DOMAIN, NULL, 3, 3,
	    each);

	/* Many batches, interleaved: a 1 b 1 c 1 ... checks the numbering
	 * when representatives are not adjacent. */
	for (i = 0; i < 40; i++) {
		many[i] = (i % 2 == 0) ? doms[(i / 2) % 4 == 3 ? 3 : 0] :
		    routes[(i / 2) % 3];
	}
	/* keys: even i: "b.example" except (i/2)%4==3 -> "c.example";
	 * odd i: routes[(i/2)%3]: isp/com, mx/com, isp/com. */
	for (i = 0; i < 40; i++) {
		const char *k = many[i];

		if (strcmp(k, "b.example") == 0)
			want_many[i] = 0;
		else if (strcmp(k, "isp\nexample.com") == 0)
			want_many[i] = 1;
		else if (strcmp(k, "mx\nexample.com") == 0)
			want_many[i] = 2;
		else
			want_many[i] = 3;	/* c.example, first at i=6 */
	}
	check("interleaved", BATCH_BY_ROUTE, many, 40, 4, want_many);

	/* Nothing to split. */
	got[0] = -7;
	is_int(batch_split(BATCH_BY_DOMAIN, doms, 0, got), 0, "n = 0");
	is_int(got[0], -7, "n = 0 writes nothing");
	is_int(batch_split(BATCH_BY_DOMAIN, doms, -3, got), 0, "n < 0");
	is_int(batch_split(BATCH_BY_DOMAIN, doms, 3, NULL), 0,
	    "NULL batch_of");

	test_route_keys();

	return done_testing();
}
