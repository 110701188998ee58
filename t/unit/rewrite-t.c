/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * rewrite-t.c — unit tests for rewrite.c: every pattern form, `*` in
 * `to`, first match wins, one rewrite per address, the null sender, the
 * checks config.c runs, listener selection and header fields.
 */
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "util.h"
#include "../tap.h"

#define HOST	"router.lan"

static void
is_match(const char *pat, const char *addr, int want, const char *name)
{
	is_int(rewrite_match(pat, addr, HOST), want, name);
}

static struct rewrite_rule senders[] = {
	{ "*@*.lan", "alerts@example.com", 1 },
	{ "*@nas.example.com", "*@example.com", 2 },
	{ "root", "admin-*@example.com", 3 },
	{ "alerts@example.com", "loop@example.com", 4 },
};

static void
is_rw(const char *addr, const char *want, const char *name)
{
	char	*got = rewrite_addr(senders, 4, addr, HOST);

	is_str(got, want, name);
	free(got);
}

static void
is_hdr(const struct rewrite_conf *rc, const char *f, const char *want,
    const char *name)
{
	struct buf	 b = { NULL, 0, 0 };
	int		 r = rewrite_header(rc, HOST, f, strlen(f), &b);

	is_str(r == 1 ? b.p : f, want, name);
	free(b.p);
}

int
main(void)
{
	struct rewrite_conf	 rc;
	char			*lst[] = { "lan", "sendmail" };

	/* Patterns */
	is_match("user@example.com", "user@example.com", 1, "exact");
	is_match("user@example.com", "USER@Example.COM", 1, "case-insensitive");
	is_match("user@example.com", "user2@example.com", 0, "other user");
	is_match("user@example.com", "user@example.co", 0, "other domain");
	is_match("*@example.com", "any@example.com", 1, "*@domain");
	is_match("*@example.com", "any@sub.example.com", 0,
	    "*@domain: not subdomains");
	is_match("*@*.lan", "root@router.lan", 1, "*@*.domain subdomain");
	is_match("*@*.lan", "root@a.b.lan", 1, "*@*.domain deeper");
	is_match("*@*.lan", "root@lan", 0, "*@*.domain: not the domain itself");
	is_match("*@*.lan", "root@xlan", 0, "*@*.domain: label boundary");
	is_match("user@*", "user@anything.test", 1, "user@*");
	is_match("user@*", "other@anything.test", 0, "user@* other user");
	is_match("root", "root", 1, "bare: no domain");
	is_match("root", "root@localhost", 1, "bare: localhost");
	is_match("root", "ROOT@Router.LAN", 1, "bare: our hostname");
	is_match("root", "root@other.lan", 0, "bare: other host");
	is_match("*", "nobody@localhost", 1, "bare *: any local user");
	is_match("*@router.lan", "root", 1, "unqualified is @hostname");
	is_match("*@*", "a@b.test", 1, "*@*");
	is_match("*@*", "", 0, "null address never matches");
	is_match("\"a b\"@x.test", "\"a b\"@x.test", 1, "quoted local");

	/* Rules: first match, * in to, one rewrite per address */
	is_rw("root@router.lan", "alerts@example.com", "first rule wins");
	is_rw("backup@nas.example.com", "backup@example.com", "* in to");
	is_rw("root@localhost", "admin-root@example.com", "bare local, * in to");
	is_rw("root", "alerts@example.com", "unqualified is @hostname: rule 1");
	is_rw("alerts@example.com", "loop@example.com", "plain rule");
	is_rw("user@elsewhere.test", NULL, "no match");
	is_rw("", NULL, "null sender never rewritten");
	{
		struct rewrite_rule r[] = { { "*@x.test", "*@y.test", 1 } };
		char *a = xasprintf("%065d@x.test", 0), *got;

		got = rewrite_addr(r, 1, "\"a b\"@x.test", HOST);
		is_str(got, "\"a b\"@y.test", "quoted local carried");
		free(got);
		got = rewrite_addr(r, 1, a, HOST);
		is_str(got, NULL, "result longer than 64 octets: not rewritten");
		free(got);
		free(a);
	}

	/* Checks */
	is_str(rewrite_check_from("root"), NULL, "from: bare");
	is_str(rewrite_check_from("*@*.lan"), NULL, "from: *@*.domain");
	is_str(rewrite_check_from("user@*"), NULL, "from: user@*");
	ok(rewrite_check_from("") != NULL, "from: empty");
	ok(rewrite_check_from("a*b@x") != NULL, "from: * inside local");
	ok(rewrite_check_from("a@x*.y") != NULL, "from: * inside domain");
	ok(rewrite_check_from("a@*.") != NULL, "from: *. alone");
	ok(rewrite_check_from("a@b@c") != NULL, "from: two @");
	ok(rewrite_check_from("@x") != NULL, "from: empty local");
	ok(rewrite_check_from("a b@x") != NULL, "from: blank");
	is_str(rewrite_check_to("*@example.com"), NULL, "to: *@domain");
	is_str(rewrite_check_to("dev-*@example.com"), NULL, "to: prefix-*");
	ok(rewrite_check_to("root") != NULL, "to: no domain");
	ok(rewrite_check_to("a@*.example") != NULL, "to: * in domain");
	ok(rewrite_check_to("a b@example") != NULL, "to: invalid");

	/* Listeners and header fields */
	memset(&rc, 0, sizeof(rc));
	rc.sender = senders;
	rc.n_sender = 4;
	ok(rewrite_applies(&rc, "anything"), "all listeners by default");
	rc.listeners = lst;
	rc.n_listeners = 2;
	ok(rewrite_applies(&rc, "sendmail"), "listed listener");
	ok(!rewrite_applies(&rc, "submission"), "unlisted listener");
	{
		char *got = rewrite_envelope(&rc, "lan", true, "x@a.lan", HOST);

		is_str(got, "alerts@example.com", "envelope sender, listed");
		free(got);
		got = rewrite_envelope(&rc, "submission", true, "x@a.lan", HOST);
		is_str(got, NULL, "envelope sender, unlisted listener");
		got = rewrite_envelope(&rc, "lan", false, "x@a.lan", HOST);
		is_str(got, NULL, "recipient rules apply to recipients");
		got = rewrite_envelope(&rc, "lan", true, "", HOST);
		is_str(got, NULL, "null sender");
	}
	rc.headers = true;
	is_hdr(&rc, "From: \"Cron Daemon\" <root@router.lan>\r\n",
	    "From: \"Cron Daemon\" <alerts@example.com>\r\n", "From:");
	is_hdr(&rc, "sender :root@localhost (Cron)\r\n",
	    "sender :admin-root@example.com (Cron)\r\n", "Sender: obs blank");
	is_hdr(&rc, "Reply-To: a@x.test,\r\n b@nas.example.com\r\n",
	    "Reply-To: a@x.test,\r\n b@example.com\r\n", "Reply-To: folded");
	is_hdr(&rc, "To: root@router.lan\r\n", "To: root@router.lan\r\n",
	    "To: uses recipient rules (none)");
	is_hdr(&rc, "Subject: root@router.lan\r\n",
	    "Subject: root@router.lan\r\n", "Subject: never");
	is_hdr(&rc, "From: <root@router.lan\r\n", "From: <root@router.lan\r\n",
	    "malformed From: untouched");
	is_hdr(&rc, "From: \"a\r\n b\"@nas.example.com\r\n",
	    "From: \"a\r\n b\"@nas.example.com\r\n",
	    "a folded quoted local part is never carried into a new address");
	rc.recipient = senders + 1;
	rc.n_recipient = 1;
	is_hdr(&rc, "Cc: x@nas.example.com\r\n", "Cc: x@example.com\r\n", "Cc:");
	rc.headers = false;
	is_hdr(&rc, "From: root\r\n", "From: root\r\n", "headers = false");
	return done_testing();
}
