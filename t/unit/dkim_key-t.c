/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_key-t.c — unit tests for dkim_key.c and the configuration's `dkim`
 * section: keys of each kind and size, encrypted and foreign keys, files
 * readable by others, the TXT records, and every entry error with its
 * file:line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "config.h"
#include "dkim_key.h"
#include "util.h"
#include "../tap.h"

static char	 dir[64];
static char	 err[1024];

static char *
path_of(const char *name)
{
	static char	 p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Write key as PEM (encrypted with "pw" when enc) with mode. */
static void
write_key(const char *name, EVP_PKEY *key, int enc, mode_t mode)
{
	FILE	*fp = fopen(path_of(name), "w");

	if (fp == NULL || key == NULL) {
		printf("Bail out! cannot write %s\n", name);
		exit(1);
	}
	PEM_write_PrivateKey(fp, key, enc ? EVP_aes_128_cbc() : NULL,
	    enc ? (unsigned char *)"pw" : NULL, enc ? 2 : 0, NULL, NULL);
	fclose(fp);
	chmod(path_of(name), mode);
	EVP_PKEY_free(key);
}

static void
write_text(const char *name, const char *text)
{
	FILE	*fp = fopen(path_of(name), "w");

	fputs(text, fp);
	fclose(fp);
	chmod(path_of(name), 0600);
}

static EVP_PKEY *
rsa(unsigned bits)
{
	EVP_PKEY_CTX	*c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY	*k = NULL;

	EVP_PKEY_keygen_init(c);
	EVP_PKEY_CTX_set_rsa_keygen_bits(c, bits);
	EVP_PKEY_keygen(c, &k);
	EVP_PKEY_CTX_free(c);
	return k;
}

static struct config *
load(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct config *
load(const char *fmt, ...)
{
	va_list		 ap;
	char		*text, *t2, *p;
	struct config	*cfg;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		exit(1);
	va_end(ap);
	/* "@D@" stands for the scratch directory. */
	t2 = xstrdup("");
	while ((p = strstr(text, "@D@")) != NULL) {
		*p = '\0';
		free(t2);
		t2 = xasprintf("%s%s", text, dir);
		p = xasprintf("%s%s", t2, p + 3);
		free(text);
		text = p;
	}
	free(t2);
	err[0] = '\0';
	cfg = config_load_string(text, "t.conf", err, sizeof(err));
	free(text);
	return cfg;
}

static void
refused(const char *entry, const char *want, const char *name)
{
	struct config	*cfg;

	cfg = load("dkim = (\n%s\n);\n", entry);
	ok(cfg == NULL, name);
	is_str(err, want, name);
	if (cfg != NULL)
		config_unref(cfg);
}

int
main(void)
{
	struct config	*cfg;
	enum dkim_alg	 alg;
	EVP_PKEY	*k;
	bool		 others;
	char		*txt, want[2048];
	int		 i;

	snprintf(dir, sizeof(dir), "/tmp/dkim_key-t.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	write_key("rsa1024.pem", rsa(1024), 0, 0600);
	write_key("rsa512.pem", rsa(512), 0, 0600);
	write_key("ed.pem", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), 0,
	    0600);
	write_key("ec.pem", EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), 0,
	    0600);
	write_key("enc.pem", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), 1,
	    0600);
	write_key("open.pem", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), 0,
	    0644);
	write_text("junk.pem", "-----BEGIN PRIVATE KEY-----\nnope\n"
	    "-----END PRIVATE KEY-----\n");

	/* dkim_key_load */
	k = dkim_key_load(path_of("rsa1024.pem"), &alg, &others, err,
	    sizeof(err));
	ok(k != NULL && alg == DKIM_RSA_SHA256 && !others, "RSA 1024 loads");
	txt = dkim_key_txt(k, alg);
	ok(txt != NULL && strncmp(txt, "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQ"
	    "EBAQUAA4GNADCBiQKBgQ", 56) == 0, "RSA TXT: SubjectPublicKeyInfo");
	free(txt);
	EVP_PKEY_free(k);
	k = dkim_key_load(path_of("ed.pem"), &alg, &others, err, sizeof(err));
	ok(k != NULL && alg == DKIM_ED25519_SHA256, "Ed25519 loads");
	txt = dkim_key_txt(k, alg);
	ok(txt != NULL && strncmp(txt, "v=DKIM1; k=ed25519; p=", 22) == 0 &&
	    strlen(txt) == 22 + 44, "Ed25519 TXT: the bare 32-octet key");
	free(txt);
	EVP_PKEY_free(k);
	k = dkim_key_load(path_of("open.pem"), &alg, &others, err,
	    sizeof(err));
	ok(k != NULL && others, "a key others can read loads, flagged");
	EVP_PKEY_free(k);

	/* The configuration. */
	cfg = load("dkim = (\n"
	    "  { domain = \"Example.COM\"; selector = \"rsa2026\";"
	    " key = \"@D@/rsa1024.pem\"; },\n"
	    "  { domain = \"example.com\"; selector = \"ed2026\";"
	    " key = \"@D@/ed.pem\"; subdomains = true;\n"
	    "    headers = [ \"Subject\", \"To\", \"subject\" ];"
	    " canonicalization = \"simple/simple\"; }\n);\n");
	ok(cfg != NULL, "two dkim entries load");
	if (cfg == NULL)
		printf("# %s\n", err);
	if (cfg != NULL) {
		is_int(cfg->n_dkim, 2, "two signers");
		is_str(cfg->dkim[0].domain, "example.com", "domain lower-cased");
		is_int(cfg->dkim[0].alg, DKIM_RSA_SHA256, "RSA key: rsa-sha256");
		is_int(cfg->dkim[1].alg, DKIM_ED25519_SHA256,
		    "Ed25519 key: ed25519-sha256");
		ok(cfg->dkim[0].hcanon == DKIM_RELAXED &&
		    cfg->dkim[0].bcanon == DKIM_RELAXED, "default relaxed/relaxed");
		ok(cfg->dkim[1].hcanon == DKIM_SIMPLE &&
		    cfg->dkim[1].bcanon == DKIM_SIMPLE, "simple/simple");
		ok(!cfg->dkim[0].subdomains && cfg->dkim[1].subdomains,
		    "subdomains");
		is_int(cfg->dkim[0].n_headers, 12, "the default headers");
		is_int(cfg->dkim[1].n_headers, 3, "from, subject, to");
		if (cfg->dkim[1].n_headers == 3) {
			is_str(cfg->dkim[1].headers[0], "from", "From first");
			is_str(cfg->dkim[1].headers[1], "subject",
			    "names lower-cased, each once");
		}
		is_int(cfg->n_warnings, 0, "no warning for 0600 keys");
		config_unref(cfg);
	}
	cfg = load("dkim = ( { domain = \"example.com\"; selector = \"s\";\n"
	    "  key = \"@D@/open.pem\"; } );\n");
	ok(cfg != NULL && cfg->n_warnings == 1, "a key others can read: "
	    "one warning");
	if (cfg != NULL && cfg->n_warnings == 1) {
		snprintf(want, sizeof(want), "t.conf:2: dkim: entry 1: key: "
		    "%s/open.pem can be read by other users than its owner",
		    dir);
		is_str(cfg->warnings[0], want, "... with file:line");
		ok(strstr(cfg->warnings[0], "BEGIN") == NULL, "no key text");
	}
	if (cfg != NULL)
		config_unref(cfg);

	snprintf(want, sizeof(want), "t.conf:3: dkim: entry 1: key: cannot "
	    "read %s/missing.pem: No such file or directory", dir);
	refused("{ domain = \"example.com\"; selector = \"s\";\n"
	    "  key = \"@D@/missing.pem\"; }", want, "a missing key");
	snprintf(want, sizeof(want), "t.conf:3: dkim: entry 1: key: "
	    "%s/rsa512.pem: RSA key of 512 bits (at least 1024 needed)", dir);
	refused("{ domain = \"example.com\"; selector = \"s\";\n"
	    "  key = \"@D@/rsa512.pem\"; }", want, "RSA under 1024 bits");
	snprintf(want, sizeof(want), "t.conf:2: dkim: entry 1: key: "
	    "%s/ec.pem: key type id-ecPublicKey is neither RSA nor Ed25519",
	    dir);
	refused("{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@/ec.pem\"; }", want, "an EC key");
	snprintf(want, sizeof(want), "t.conf:2: dkim: entry 1: key: "
	    "%s/enc.pem: not an unencrypted PEM private key", dir);
	refused("{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@/enc.pem\"; }", want,
	    "an encrypted key (and no prompt)");
	snprintf(want, sizeof(want), "t.conf:2: dkim: entry 1: key: "
	    "%s/junk.pem: not an unencrypted PEM private key", dir);
	refused("{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@/junk.pem\"; }", want, "not a key");
	snprintf(want, sizeof(want), "t.conf:2: dkim: entry 1: key: "
	    "%s: not a regular file", dir);
	refused("{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@\"; }", want, "a directory");
	if (geteuid() != 0) {
		chmod(path_of("ed.pem"), 0);
		snprintf(want, sizeof(want), "t.conf:2: dkim: entry 1: key: "
		    "cannot read %s/ed.pem: Permission denied", dir);
		refused("{ domain = \"example.com\"; selector = \"s\";"
		    " key = \"@D@/ed.pem\"; }", want, "an unreadable key");
		chmod(path_of("ed.pem"), 0600);
	} else
		ok(1, "# SKIP an unreadable key: running as root");
	refused("{ selector = \"s\"; key = \"@D@/ed.pem\"; }",
	    "t.conf:2: dkim: entry 1: domain is required", "no domain");
	refused("{ domain = \"example.com\"; key = \"@D@/ed.pem\"; }",
	    "t.conf:2: dkim: entry 1: selector is required", "no selector");
	refused("{ domain = \"example.com\"; selector = \"s\"; }",
	    "t.conf:2: dkim: entry 1: key is required", "no key");
	refused("{ domain = \"exa mple.com\"; selector = \"s\";"
	    " key = \"@D@/ed.pem\"; }",
	    "t.conf:2: dkim: entry 1: domain: \"exa mple.com\" is not a "
	    "domain", "a bad domain");
	refused("{ domain = \"example.com\"; selector = \"s;x=1\";"
	    " key = \"@D@/ed.pem\"; }",
	    "t.conf:2: dkim: entry 1: selector: \"s;x=1\" is not a DNS name",
	    "a selector that would add a tag");
	refused("{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@/ed.pem\"; canonicalization = \"simple\"; }",
	    "t.conf:2: dkim: entry 1: canonicalization: \"simple\" is not one "
	    "of relaxed/relaxed, relaxed/simple, simple/simple",
	    "a bad canonicalization");
	refused("{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@/ed.pem\"; headers = [ \"X Bad\" ]; }",
	    "t.conf:2: dkim: entry 1: headers: \"X Bad\" is not a header field "
	    "name", "a bad header name");
	refused("{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@/ed.pem\"; frob = 1; }",
	    "t.conf:2: dkim: entry 1: unknown setting \"frob\"",
	    "an unknown setting");
	refused("{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@/ed.pem\"; },\n"
	    "{ domain = \"example.com\"; selector = \"s\";"
	    " key = \"@D@/rsa1024.pem\"; }",
	    "t.conf:3: dkim: entry 2: selector \"s\" of \"example.com\" is "
	    "listed twice (first at line 2)", "a selector twice");

	for (i = 0; i < 8; i++) {
		static const char *f[] = { "rsa1024.pem", "rsa512.pem",
		    "ed.pem", "ec.pem", "enc.pem", "open.pem", "junk.pem",
		    NULL };

		if (f[i] != NULL)
			unlink(path_of(f[i]));
	}
	rmdir(dir);
	return done_testing();
}
