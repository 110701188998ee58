/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth-t.c — unit tests for auth.c: base64, PLAIN and LOGIN decoding, and
 * the users file (syntax errors naming file:line, crypt(3) checks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "../../src/auth.h"

/* openssl passwd -6 -salt abcdefgh secret / -5 -salt abcdefgh hunter2 */
#define HASH_SECRET	"$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG."
#define HASH_HUNTER2	"$5$abcdefgh$XEPmEiAJvPG31m/DaIsyckkv.Sxd.8NrmElXxCKFQr/"

static char	tmpdir[] = "/tmp/auth-t-XXXXXX";

static char *
write_users(const char *name, const char *text)
{
	static char	 path[256];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	return path;
}

static int
b64(const char *in, char *out, size_t outlen)
{
	return (int)auth_b64_decode(in, strlen(in), (unsigned char *)out,
	    outlen);
}

static void
test_base64(void)
{
	char	out[64];

	is_int(b64("", out, sizeof(out)), 0, "b64: empty");
	is_int(b64("YQ==", out, sizeof(out)), 1, "b64: one octet padded");
	is_str(out, "a", "b64: one octet value");
	is_int(b64("YQ", out, sizeof(out)), 1, "b64: one octet unpadded");
	is_int(b64("YWI=", out, sizeof(out)), 2, "b64: two octets");
	is_str(out, "ab", "b64: two octets value");
	is_int(b64("YWJj", out, sizeof(out)), 3, "b64: three octets");
	is_str(out, "abc", "b64: three octets value");
	is_int(b64("VXNlcm5hbWU6", out, sizeof(out)), 9, "b64: Username:");
	is_str(out, "Username:", "b64: Username: value");
	is_int(b64("+/+/", out, sizeof(out)), 3, "b64: + and /");
	ok((unsigned char)out[0] == 0xfb && (unsigned char)out[1] == 0xff &&
	    (unsigned char)out[2] == 0xbf, "b64: + and / values");
	is_int(b64("Y", out, sizeof(out)), -1, "b64: one char");
	is_int(b64("YQ=", out, sizeof(out)), -1, "b64: short padding");
	is_int(b64("Y===", out, sizeof(out)), -1, "b64: three pads");
	is_int(b64("====", out, sizeof(out)), -1, "b64: only pads");
	is_int(b64("YQ==YQ==", out, sizeof(out)), -1, "b64: pad inside");
	is_int(b64("YW=j", out, sizeof(out)), -1, "b64: pad in the middle");
	is_int(b64("YW J", out, sizeof(out)), -1, "b64: space");
	is_int(b64("YW\r\n", out, sizeof(out)), -1, "b64: CRLF");
	is_int(b64("YR==", out, sizeof(out)), -1, "b64: non-zero spare bits");
	is_int(b64("YW-_", out, sizeof(out)), -1, "b64: url alphabet refused");
	is_int(b64("YWJj", out, 2), -1, "b64: output too small");
	is_int(b64("YWJj", out, 3), 3, "b64: exact output fits");
}

static void
test_plain(void)
{
	char	user[AUTH_NAME_MAX + 1], pass[AUTH_PASS_MAX + 1];
	char	big[1024];
	int	i;

	/* "\0alice\0secret" */
	is_int(auth_plain_decode("AGFsaWNlAHNlY3JldA==", 20, user, pass), 0,
	    "plain: no authzid");
	is_str(user, "alice", "plain: user");
	is_str(pass, "secret", "plain: password");
	/* "alice\0alice\0secret" */
	is_int(auth_plain_decode("YWxpY2UAYWxpY2UAc2VjcmV0", 24, user, pass),
	    0, "plain: authzid equal to authcid");
	is_str(user, "alice", "plain: user with authzid");
	/* "bob\0alice\0secret" */
	is_int(auth_plain_decode("Ym9iAGFsaWNlAHNlY3JldA==", 24, user, pass),
	    -1, "plain: other authzid refused");
	/* "\0alice\0" */
	is_int(auth_plain_decode("AGFsaWNlAA==", 12, user, pass), 0,
	    "plain: empty password decodes");
	is_str(pass, "", "plain: empty password");
	/* "\0\0secret" */
	is_int(auth_plain_decode("AABzZWNyZXQ=", 12, user, pass), -1,
	    "plain: empty authcid");
	/* "alice secret" (no NUL) */
	is_int(auth_plain_decode("YWxpY2Ugc2VjcmV0", 16, user, pass), -1,
	    "plain: no NUL");
	/* "\0alice" (one NUL) */
	is_int(auth_plain_decode("AGFsaWNl", 8, user, pass), -1,
	    "plain: one NUL");
	/* "\0alice\0sec\0ret" */
	is_int(auth_plain_decode("AGFsaWNlAHNlYwByZXQ=", 20, user, pass), -1,
	    "plain: third NUL");
	is_int(auth_plain_decode("", 0, user, pass), -1, "plain: empty");
	is_int(auth_plain_decode("!!!!", 4, user, pass), -1,
	    "plain: not base64");
	/* A huge response: refused, not overflowed. */
	for (i = 0; i < (int)sizeof(big) - 1; i++)
		big[i] = 'A';
	big[sizeof(big) - 1] = '\0';
	is_int(auth_plain_decode(big, strlen(big), user, pass), -1,
	    "plain: oversized");
}

static void
test_login(void)
{
	char	out[AUTH_NAME_MAX + 1];

	is_int(auth_login_decode("YWxpY2U=", 8, out, sizeof(out)), 0,
	    "login: decodes");
	is_str(out, "alice", "login: value");
	is_int(auth_login_decode("", 0, out, sizeof(out)), 0, "login: empty");
	is_str(out, "", "login: empty value");
	is_int(auth_login_decode("YQBi", 4, out, sizeof(out)), -1,
	    "login: NUL inside refused");
	is_int(auth_login_decode("*", 1, out, sizeof(out)), -1,
	    "login: not base64");
	is_int(auth_login_decode("YWxpY2U=", 8, out, 5), -1,
	    "login: too long for out");
	is_int(auth_login_decode("YWxpY2U=", 8, out, 6), 0,
	    "login: exact fit");
}

static void
test_users(void)
{
	struct auth_users	*u;
	char			 err[512], want[512];
	char			*p;

	p = write_users("good",
	    "# users of the submission listener\n"
	    "\n"
	    "alice:" HASH_SECRET "\n"
	    "   \t\n"
	    "bob:" HASH_HUNTER2 "\r\n"
	    "carol:!locked\n");
	u = auth_users_load(p, err, sizeof(err));
	ok(u != NULL, "users: good file loads");
	if (u == NULL) {
		printf("# %s\n", err);
		return;
	}
	is_int(auth_users_count(u), 3, "users: three users");
	is_int(auth_users_check(u, "alice", "secret"), 1, "users: alice ok");
	is_int(auth_users_check(u, "alice", "Secret"), 0,
	    "users: alice wrong password");
	is_int(auth_users_check(u, "alice", ""), 0, "users: alice empty");
	is_int(auth_users_check(u, "bob", "hunter2"), 1,
	    "users: bob ok (CRLF line, $5$)");
	is_int(auth_users_check(u, "bob", "secret"), 0,
	    "users: bob with alice's password");
	is_int(auth_users_check(u, "Alice", "secret"), 0,
	    "users: names are case-sensitive");
	is_int(auth_users_check(u, "mallory", "secret"), 0,
	    "users: unknown user");
	is_int(auth_users_check(u, "carol", "!locked"), 0,
	    "users: locked hash never matches");
	is_int(auth_users_check(u, "carol", ""), 0,
	    "users: locked hash, empty password");
	ok(auth_users_ref(u) == u, "users: ref");
	auth_users_unref(u);
	auth_users_unref(u);

	p = write_users("nocolon", "alice:" HASH_SECRET "\n# ok\nbob\n");
	snprintf(want, sizeof(want), "%s:3: expected name:crypt-hash", p);
	ok(auth_users_load(p, err, sizeof(err)) == NULL, "users: no colon");
	is_str(err, want, "users: no colon names file:line");

	p = write_users("noname", ":" HASH_SECRET "\n");
	snprintf(want, sizeof(want), "%s:1: bad user name", p);
	ok(auth_users_load(p, err, sizeof(err)) == NULL, "users: empty name");
	is_str(err, want, "users: empty name names file:line");

	p = write_users("ctlname", "# x\nal\001ice:" HASH_SECRET "\n");
	snprintf(want, sizeof(want), "%s:2: bad user name", p);
	ok(auth_users_load(p, err, sizeof(err)) == NULL, "users: control char");
	is_str(err, want, "users: control char in a name names file:line");

	p = write_users("parenname", "a(b):" HASH_SECRET "\n");
	snprintf(want, sizeof(want), "%s:1: bad user name", p);
	ok(auth_users_load(p, err, sizeof(err)) == NULL, "users: parenthesis");
	is_str(err, want, "users: a parenthesis in a name names file:line");

	p = write_users("nohash", "\n\nalice:\n");
	snprintf(want, sizeof(want), "%s:3: bad crypt hash for \"alice\"", p);
	ok(auth_users_load(p, err, sizeof(err)) == NULL, "users: empty hash");
	is_str(err, want, "users: empty hash names file:line");

	p = write_users("extra", "alice:" HASH_SECRET ":1000:\n");
	ok(auth_users_load(p, err, sizeof(err)) == NULL,
	    "users: extra field refused");

	p = write_users("twice", "alice:" HASH_SECRET "\nalice:"
	    HASH_HUNTER2 "\n");
	snprintf(want, sizeof(want), "%s:2: user \"alice\" listed twice", p);
	ok(auth_users_load(p, err, sizeof(err)) == NULL, "users: duplicate");
	is_str(err, want, "users: duplicate names file:line");

	p = write_users("nul", "alice:" HASH_SECRET "\n");
	{
		FILE *fp = fopen(p, "a");
		fwrite("bo\0b:x\n", 1, 7, fp);
		fclose(fp);
	}
	ok(auth_users_load(p, err, sizeof(err)) == NULL, "users: NUL byte");

	p = write_users("empty", "# nobody yet\n");
	u = auth_users_load(p, err, sizeof(err));
	ok(u != NULL && auth_users_count(u) == 0, "users: empty file loads");
	if (u != NULL) {
		is_int(auth_users_check(u, "alice", "secret"), 0,
		    "users: empty file lets nobody in");
		auth_users_unref(u);
	}

	snprintf(want, sizeof(want), "%s/missing", tmpdir);
	ok(auth_users_load(want, err, sizeof(err)) == NULL,
	    "users: missing file");
	ok(strstr(err, "No such file") != NULL, "users: missing file errno");
}

int
main(void)
{
	char	cmd[300];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_base64();
	test_plain();
	test_login();
	test_users();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return done_testing();
}
