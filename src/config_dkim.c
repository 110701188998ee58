/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_dkim.c — the `dkim` section of the configuration: one signer per
 * entry, its key read and checked at load (start and SIGHUP alike), so that
 * a missing, unreadable, unsuitable or short key is a file:line error and
 * never a surprise at the first message.  Part of the config module.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "config.h"
#include "config_opts.h"
#include "dkim_key.h"
#include "util.h"

struct dkim_opts {
	char	*domain, *selector, *key, *canon;
	bool	 subdomains;
	char	**headers;
	int	 n_headers;
};

static const char *default_headers[] = { "from", "to", "cc", "subject",
    "date", "message-id", "reply-to", "in-reply-to", "references",
    "mime-version", "content-type", "content-transfer-encoding" };

static int
check_field_name(struct loader *ld, const struct opt *o,
    const config_setting_t *s, void *value)
{
	const unsigned char *p;

	/* RFC 5322 ftext: printable US-ASCII but the colon. */
	for (p = value; *p != '\0'; p++)
		if (*p <= 32 || *p >= 127 || *p == ':')
			return fail(ld, s, "%s: \"%s\" is not a header field "
			    "name", o->name, (char *)value);
	lowercase(value);
	return 0;
}

#define D(f) offsetof(struct dkim_opts, f)

static const struct opt dkim_opts[] = {
	{ .name = "domain", .kind = O_STRING, .off = D(domain) },
	{ .name = "selector", .kind = O_STRING, .off = D(selector) },
	{ .name = "key", .kind = O_PATH, .off = D(key) },
	{ .name = "subdomains", .kind = O_BOOL, .off = D(subdomains) },
	{ .name = "headers", .kind = O_LIST, .off = D(headers),
	  .noff = D(n_headers), .min = 1, .fn = check_field_name },
	{ .name = "canonicalization", .kind = O_STRING, .off = D(canon),
	  .defstr = "relaxed/relaxed" },
};

/* The header names, "from" first and each once. */
static void
set_headers(struct dkim_signer *d, char **names, int n)
{
	int	 i, j;

	d->headers = xcalloc(n + 1, sizeof(*d->headers));
	d->headers[d->n_headers++] = xstrdup("from");
	for (i = 0; i < n; i++) {
		for (j = 0; j < d->n_headers; j++)
			if (strcmp(d->headers[j], names[i]) == 0)
				break;
		if (j == d->n_headers)
			d->headers[d->n_headers++] = xstrdup(names[i]);
	}
}

static int
require(struct loader *ld, const config_setting_t *g, const char *what,
    const char *v)
{
	if (v == NULL)
		return fail(ld, g, "%s is required", what);
	return 0;
}

static int
parse_dkim(struct loader *ld, const config_setting_t *g, struct dkim_signer *d)
{
	struct dkim_opts o;
	const config_setting_t *k;
	char		 err[512];
	bool		 others;
	int		 i, rc = -1;

	memset(&o, 0, sizeof(o));
	d->line = config_setting_source_line(g);
	if (parse_opts(ld, g, dkim_opts, nitems(dkim_opts), &o, 0, NULL) == -1)
		goto out;
	if (require(ld, g, "domain", o.domain) == -1 ||
	    require(ld, g, "selector", o.selector) == -1 ||
	    require(ld, g, "key", o.key) == -1)
		goto out;
	lowercase(o.domain);
	if (!valid_domain(o.domain, 0)) {
		fail(ld, config_setting_get_member(g, "domain"),
		    "domain: \"%s\" is not a domain", o.domain);
		goto out;
	}
	/* A selector is one or more DNS labels (RFC 6376 §3.1). */
	if (!valid_domain(o.selector, 0) || strchr(o.selector, '_') != NULL) {
		fail(ld, config_setting_get_member(g, "selector"),
		    "selector: \"%s\" is not a DNS name", o.selector);
		goto out;
	}
	if (strcmp(o.canon, "relaxed/relaxed") == 0)
		d->hcanon = d->bcanon = DKIM_RELAXED;
	else if (strcmp(o.canon, "relaxed/simple") == 0) {
		d->hcanon = DKIM_RELAXED;
		d->bcanon = DKIM_SIMPLE;
	} else if (strcmp(o.canon, "simple/simple") == 0)
		d->hcanon = d->bcanon = DKIM_SIMPLE;
	else {
		fail(ld, config_setting_get_member(g, "canonicalization"),
		    "canonicalization: \"%s\" is not one of relaxed/relaxed, "
		    "relaxed/simple, simple/simple", o.canon);
		goto out;
	}
	if (o.headers != NULL)
		set_headers(d, o.headers, o.n_headers);
	else
		set_headers(d, (char **)default_headers,
		    (int)nitems(default_headers));
	d->domain = o.domain;
	d->selector = o.selector;
	d->key_path = o.key;
	d->subdomains = o.subdomains;
	o.domain = o.selector = o.key = NULL;

	k = config_setting_get_member(g, "key");
	d->key = dkim_key_load(d->key_path, &d->alg, &others, err,
	    sizeof(err));
	if (d->key == NULL) {
		fail(ld, k, "key: %s", err);
		goto out;
	}
	if (others)
		warn_at(ld, k, "key: %s can be read by other users than its "
		    "owner", d->key_path);
	rc = 0;
out:
	free(o.domain);
	free(o.selector);
	free(o.key);
	free(o.canon);
	for (i = 0; i < o.n_headers; i++)
		free(o.headers[i]);
	free(o.headers);
	return rc;
}

/* Entry i of the dkim list: its domain and selector listed once. */
static int
dkim_entry(struct loader *ld, const config_setting_t *g, int i, void *arg)
{
	struct config	*cfg = arg;
	int		 j;

	if (parse_dkim(ld, g, &cfg->dkim[i]) == -1)
		return -1;
	for (j = 0; j < i; j++)
		if (strcmp(cfg->dkim[j].domain, cfg->dkim[i].domain) == 0 &&
		    strcmp(cfg->dkim[j].selector, cfg->dkim[i].selector) == 0)
			return fail(ld, g, "selector \"%s\" of \"%s\" is listed "
			    "twice (first at line %d)", cfg->dkim[i].selector,
			    cfg->dkim[i].domain, cfg->dkim[j].line);
	return 0;
}

int
opt_dkim(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	static const struct group_list list = { "dkim: entry %d: ", "",
	    sizeof(struct dkim_signer), offsetof(struct config, dkim),
	    offsetof(struct config, n_dkim), 0, dkim_entry };

	return parse_groups(ld, s, o->name, &list, obj);
}

void
config_dkim_free(struct config *cfg)
{
	struct dkim_signer *d;
	int		 i, j;

	for (i = 0; i < cfg->n_dkim; i++) {
		d = &cfg->dkim[i];
		free(d->domain);
		free(d->selector);
		free(d->key_path);
		for (j = 0; j < d->n_headers; j++)
			free(d->headers[j]);
		free(d->headers);
		EVP_PKEY_free(d->key);
	}
	free(cfg->dkim);
}
