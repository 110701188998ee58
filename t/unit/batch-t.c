/*
 * batch-t.c — batch_split() in each batch_handling mode: grouping, the
 * numbering by first appearance, exact key comparison and odd inputs.
 */
#include <stdio.h>
#include <string.h>

#include "batch.h"
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

	return done_testing();
}
