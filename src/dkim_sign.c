/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_sign.c — the DKIM signer: header fields kept while the message
 * streams by, From: domain, body hashes, the DKIM-Signature: field with its
 * h=, bh=, t= and folded b=.  Pure; see dkim_sign.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim_sign.h"
#include "log.h"

enum hstate { H_START, H_NAME, H_VALUE, H_VALUE_CR, H_START_CR, H_BODY };

struct bodyhash {
	bool		 on;
	EVP_MD_CTX	*md;
	struct dkim_body canon;
};

struct dkim_msg {
	const struct dkim_signer *signers;
	int		 n_signers;
	bool		*match;		/* per signer, once the headers ended */
	enum hstate	 st;
	struct buf	 cur;		/* the field being read, while kept */
	size_t		 namelen;
	bool		 keep, skip;
	struct dkim_field *fields;
	int		 n_fields;
	size_t		 kept;		/* octets in fields */
	bool		 overflow;
	int		 n_from;
	char		*from_domain;
	struct bodyhash	 bh[2];		/* by enum dkim_canon */
};

const char *
dkim_alg_to_text(enum dkim_alg a)
{
	return a == DKIM_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

char *
dkim_base64(const unsigned char *p, size_t len)
{
	return base64_encode(p, len);
}

/* From: parsing. */

static void
skip_comment(const char *v, size_t len, size_t *i)
{
	int	 depth = 0;

	for (; *i < len; (*i)++) {
		if (v[*i] == '\\')
			(*i)++;
		else if (v[*i] == '(')
			depth++;
		else if (v[*i] == ')' && --depth == 0)
			return;
	}
}

static void
skip_quoted(const char *v, size_t len, size_t *i)
{
	for ((*i)++; *i < len; (*i)++) {
		if (v[*i] == '\\')
			(*i)++;
		else if (v[*i] == '"')
			return;
	}
}

char *
dkim_from_domain(const char *v, size_t len)
{
	struct buf	 plain = { NULL, 0, 0 };
	size_t		 i, lt = 0, gt = 0;
	bool		 angle = false;
	const char	*addr, *at;
	size_t		 alen;
	char		*dom = NULL;

	for (i = 0; i < len; i++) {
		if (v[i] == '(')
			skip_comment(v, len, &i);
		else if (v[i] == '"') {
			skip_quoted(v, len, &i);
			buf_add(&plain, "\"", 1);	/* a local part's */
		} else if (v[i] == '<' && !angle) {
			angle = true;
			lt = i + 1;
		} else if (v[i] == '>' && angle) {
			gt = i;
			break;
		} else if (v[i] == ',' && !angle)
			break;			/* the first mailbox only */
		else if (v[i] != ' ' && v[i] != '\t' && v[i] != '\r' &&
		    v[i] != '\n')
			buf_add(&plain, v + i, 1);
	}
	if (angle && gt > lt) {
		addr = v + lt;
		alen = gt - lt;
	} else if (!angle && plain.len > 0) {
		addr = plain.p;
		alen = plain.len;
	} else
		goto out;
	for (at = NULL, i = 0; i < alen; i++)
		if (addr[i] == '@')
			at = addr + i;
	if (at == NULL || at + 1 == addr + alen)
		goto out;
	dom = lowercase(xstrndup(at + 1, addr + alen - at - 1));
	if (strcspn(dom, " \t\r\n\"()<>,;:\\[]") != strlen(dom)) {
		free(dom);
		dom = NULL;
	}
out:
	free(plain.p);
	return dom;
}

bool
dkim_signer_matches(const struct dkim_signer *s, const char *dom)
{
	size_t	 dl = strlen(dom), sl = strlen(s->domain);

	if (strcmp(dom, s->domain) == 0)
		return true;
	return s->subdomains && dl > sl + 1 && dom[dl - sl - 1] == '.' &&
	    strcmp(dom + dl - sl, s->domain) == 0;
}

/* Header fields. */

void
dkim_select_headers(enum dkim_canon canon, const struct dkim_field *f,
    int n, const char *const *h, int n_h, struct buf *out)
{
	bool	*used = xcalloc(n > 0 ? n : 1, sizeof(*used));
	int	 i, j;

	for (i = 0; i < n_h; i++)
		for (j = n - 1; j >= 0; j--)
			if (!used[j] && strcaseeq(f[j].name, h[i])) {
				used[j] = true;
				dkim_canon_header(canon, f[j].raw, f[j].len,
				    out);
				break;
			}
	free(used);
}

static bool
wanted(const struct dkim_msg *m, const char *name)
{
	int	 i, j;

	for (i = 0; i < m->n_signers; i++)
		for (j = 0; j < m->signers[i].n_headers; j++)
			if (strcmp(m->signers[i].headers[j], name) == 0)
				return true;
	return false;
}

/* A field is complete (cur holds it, CRLF included if it had one). */
static void
field_end(struct dkim_msg *m)
{
	struct dkim_field *f;
	size_t		 len = m->cur.len;

	if (m->keep && !m->skip) {
		if (len >= 2 && m->cur.p[len - 2] == '\r' &&
		    m->cur.p[len - 1] == '\n')
			len -= 2;
		m->fields = xreallocarray(m->fields, m->n_fields + 1,
		    sizeof(*m->fields));
		f = &m->fields[m->n_fields++];
		f->name = lowercase(xstrndup(m->cur.p, m->namelen));
		/* Octets, not a string: a NUL in a field is data. */
		f->raw = xmalloc(len + 1);
		memcpy(f->raw, m->cur.p, len);
		f->raw[len] = '\0';
		f->len = len;
		if (strcmp(f->name, "from") == 0) {
			m->n_from++;
			free(m->from_domain);
			m->from_domain = NULL;
			if (m->n_from == 1) {
				const char *colon = memchr(f->raw, ':', len);
				size_t	 c = colon != NULL ?
				    (size_t)(colon - f->raw) + 1 : len;

				m->from_domain = dkim_from_domain(f->raw + c,
				    len - c);
			}
		}
	}
	m->cur.len = 0;
	m->keep = m->skip = false;
	m->namelen = 0;
}

/* The colon of a field: its name is known, keep it or not. */
static void
field_named(struct dkim_msg *m)
{
	size_t	 n = m->cur.len;
	char	*name;

	while (n > 0 && (m->cur.p[n - 1] == ' ' || m->cur.p[n - 1] == '\t'))
		n--;
	m->namelen = n;
	name = lowercase(xstrndup(m->cur.p, n));
	m->keep = n > 0 && strcspn(name, " \t\r\n") == n && wanted(m, name);
	free(name);
	if (!m->keep)
		m->cur.len = 0;
}

static void
body_out(void *arg, const void *p, size_t len)
{
	EVP_DigestUpdate(arg, p, len);
}

/* The header section has ended: who signs, which body hashes. */
static void
headers_end(struct dkim_msg *m)
{
	int	 i;
	enum dkim_canon c;

	m->st = H_BODY;
	free(m->cur.p);
	m->cur.p = NULL;
	m->cur.len = m->cur.cap = 0;
	if (m->n_from != 1 || m->from_domain == NULL || m->overflow)
		return;
	for (i = 0; i < m->n_signers; i++) {
		if (!dkim_signer_matches(&m->signers[i], m->from_domain))
			continue;
		m->match[i] = true;
		c = m->signers[i].bcanon;
		if (m->bh[c].on)
			continue;
		m->bh[c].on = true;
		m->bh[c].md = EVP_MD_CTX_new();
		if (m->bh[c].md == NULL ||
		    EVP_DigestInit_ex(m->bh[c].md, EVP_sha256(), NULL) != 1)
			fatalx("dkim: SHA-256 unavailable");
		dkim_body_init(&m->bh[c].canon, c, body_out, m->bh[c].md);
	}
}

struct dkim_msg *
dkim_msg_new(const struct dkim_signer *signers, int n)
{
	struct dkim_msg	*m = xcalloc(1, sizeof(*m));

	m->signers = signers;
	m->n_signers = n;
	m->match = xcalloc(n > 0 ? n : 1, sizeof(*m->match));
	m->st = H_START;
	return m;
}

/* One octet of the current field. */
static void
add(struct dkim_msg *m, char c)
{
	if (m->skip)
		return;
	if (m->st == H_NAME || m->keep) {
		buf_add(&m->cur, &c, 1);
		if (m->keep && ++m->kept > DKIM_MAX_HEADERS) {
			m->overflow = true;
			m->skip = true;
		}
	}
	if (m->st == H_NAME && m->cur.len > 998)
		m->skip = true;		/* no such field name */
}

void
dkim_msg_feed(struct dkim_msg *m, const void *data, size_t len)
{
	const char	*p = data;
	size_t		 i;
	int		 c;

	for (i = 0; i < len && m->st != H_BODY; i++) {
		switch (m->st) {
		case H_START:
			if (p[i] == ' ' || p[i] == '\t') {
				m->st = H_VALUE;	/* continuation */
				add(m, p[i]);
				break;
			}
			field_end(m);
			if (p[i] == '\r') {
				m->st = H_START_CR;
				break;
			}
			m->st = H_NAME;
			add(m, p[i]);
			if (p[i] == ':')
				m->skip = true;
			break;
		case H_START_CR:
			if (p[i] == '\n') {
				headers_end(m);
				break;
			}
			m->skip = true;		/* not a field: ignore it */
			m->st = H_VALUE;
			break;
		case H_NAME:
			if (p[i] == ':') {
				field_named(m);
				m->st = H_VALUE;
			} else if (p[i] == '\r') {
				m->skip = true;	/* no colon: not kept */
				m->st = H_VALUE_CR;
				break;
			}
			add(m, p[i]);
			break;
		case H_VALUE:
			add(m, p[i]);
			if (p[i] == '\r')
				m->st = H_VALUE_CR;
			break;
		case H_VALUE_CR:
			add(m, p[i]);
			m->st = p[i] == '\n' ? H_START : H_VALUE;
			if (p[i] == '\r')
				m->st = H_VALUE_CR;
			break;
		case H_BODY:
			break;
		}
	}
	if (i == len)
		return;
	for (c = 0; c < 2; c++)
		if (m->bh[c].on)
			dkim_body_feed(&m->bh[c].canon, p + i, len - i);
}

const char *
dkim_msg_from_domain(const struct dkim_msg *m)
{
	return m->from_domain;
}

/* Folding: tokens on lines of at most about 76 columns. */
struct fold {
	struct buf	*b;
	size_t		 col;
};

static void
fold_put(struct fold *f, const char *tok, bool space)
{
	size_t	 len = strlen(tok);

	if (f->col + len + (space ? 1 : 0) > 76) {
		buf_add(f->b, "\r\n\t", 3);
		f->col = 1;
	} else if (space) {
		buf_add(f->b, " ", 1);
		f->col++;
	}
	buf_add(f->b, tok, len);
	f->col += len;
}

/* One DKIM-Signature: field for signer s into out. */
static int
sign_one(struct dkim_msg *m, const struct dkim_signer *s, const char *bh,
    time_t t, struct buf *out, char *err, size_t errlen)
{
	struct buf	 hdr = { NULL, 0, 0 }, data = { NULL, 0, 0 };
	struct fold	 f = { &hdr, 0 };
	const char	**h = NULL;
	char		*tok, *sig = NULL;
	int		 n_h = 0, i, j, k, rc = -1;
	size_t		 col, chunk, len;

	for (i = 0; i < s->n_headers; i++)
		for (j = 0; j < m->n_fields; j++)
			if (strcmp(m->fields[j].name, s->headers[i]) == 0) {
				h = xreallocarray(h, n_h + 1, sizeof(*h));
				h[n_h++] = s->headers[i];
			}
	buf_str(&hdr, "DKIM-Signature:");
	f.col = hdr.len;
	fold_put(&f, "v=1;", true);
	tok = xasprintf("a=%s;", dkim_alg_to_text(s->alg));
	fold_put(&f, tok, true);
	free(tok);
	tok = xasprintf("c=%s/%s;", s->hcanon == DKIM_RELAXED ? "relaxed" :
	    "simple", s->bcanon == DKIM_RELAXED ? "relaxed" : "simple");
	fold_put(&f, tok, true);
	free(tok);
	tok = xasprintf("d=%s;", s->domain);
	fold_put(&f, tok, true);
	free(tok);
	tok = xasprintf("s=%s;", s->selector);
	fold_put(&f, tok, true);
	free(tok);
	tok = xasprintf("t=%lld;", (long long)t);
	fold_put(&f, tok, true);
	free(tok);
	for (k = 0; k < n_h; k++) {
		tok = xasprintf("%s%s%s", k == 0 ? "h=" : "", h[k],
		    k + 1 < n_h ? ":" : ";");
		fold_put(&f, tok, k == 0);
		free(tok);
	}
	tok = xasprintf("bh=%s;", bh);
	fold_put(&f, tok, true);
	free(tok);
	fold_put(&f, "b=", true);

	/* The header data: the signed fields, then this field with an empty
	 * b= and no final CRLF (RFC 6376 §3.7). */
	dkim_select_headers(s->hcanon, m->fields, m->n_fields, h, n_h, &data);
	dkim_canon_header(s->hcanon, hdr.p, hdr.len, &data);
	data.len -= 2;
	if ((sig = dkim_sign_data(s->alg, s->key, data.p, data.len)) == NULL) {
		snprintf(err, errlen, "signing with d=%s s=%s failed",
		    s->domain, s->selector);
		goto out;
	}
	/* The signature, folded; the whitespace in it is ignored. */
	col = f.col;
	for (len = strlen(sig), i = 0; (size_t)i < len; i += chunk) {
		if (col >= 76) {
			buf_add(&hdr, "\r\n\t", 3);
			col = 1;
		}
		chunk = 76 - col;
		if (chunk > len - i)
			chunk = len - i;
		buf_add(&hdr, sig + i, chunk);
		col += chunk;
	}
	buf_add(&hdr, "\r\n", 2);
	buf_add(out, hdr.p, hdr.len);
	rc = 0;
out:
	free(sig);
	free(h);
	free(hdr.p);
	free(data.p);
	return rc;
}

int
dkim_msg_finish(struct dkim_msg *m, time_t t, struct buf *out, char *err,
    size_t errlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		*bh[2] = { NULL, NULL };
	size_t		 start = out->len;
	int		 c, i, n = 0;

	if (m->st != H_BODY) {
		field_end(m);
		headers_end(m);
	}
	if (m->overflow) {
		snprintf(err, errlen, "header fields over %d octets",
		    DKIM_MAX_HEADERS);
		return -1;
	}
	if (m->n_from != 1 || m->from_domain == NULL) {
		if (m->n_from == 0)
			return 0;	/* nothing says whose it is */
		if (m->n_from > 1)
			snprintf(err, errlen, "%d From: fields", m->n_from);
		else
			snprintf(err, errlen, "no domain in From:");
		return -1;
	}
	for (c = 0; c < 2; c++) {
		if (!m->bh[c].on)
			continue;
		dkim_body_finish(&m->bh[c].canon);
		if (EVP_DigestFinal_ex(m->bh[c].md, md, &mdlen) != 1)
			fatalx("dkim: SHA-256 unavailable");
		bh[c] = dkim_base64(md, mdlen);
	}
	for (i = 0; i < m->n_signers; i++) {
		if (!m->match[i])
			continue;
		if (sign_one(m, &m->signers[i], bh[m->signers[i].bcanon], t,
		    out, err, errlen) == -1) {
			out->len = start;
			if (out->p != NULL)
				out->p[start] = '\0';
			n = -1;
			break;
		}
		n++;
	}
	free(bh[0]);
	free(bh[1]);
	return n;
}

void
dkim_msg_free(struct dkim_msg *m)
{
	int	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_fields; i++) {
		free(m->fields[i].name);
		free(m->fields[i].raw);
	}
	for (i = 0; i < 2; i++)
		EVP_MD_CTX_free(m->bh[i].md);
	free(m->fields);
	free(m->cur.p);
	free(m->from_domain);
	free(m->match);
	free(m);
}

char *
dkim_sign_data(enum dkim_alg alg, EVP_PKEY *key, const void *data,
    size_t len)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 hash[32], *sig = NULL;
	size_t		 siglen = 0;
	char		*b64 = NULL;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (alg == DKIM_ED25519_SHA256) {
		/* RFC 8463 §3: Ed25519 signs the SHA-256 hash. */
		if (EVP_Digest(data, len, hash, NULL, EVP_sha256(), NULL) != 1)
			goto out;
		ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		    EVP_DigestSign(ctx, NULL, &siglen, hash, sizeof(hash)) == 1;
		if (!ok)
			goto out;
		sig = xmalloc(siglen);
		if (EVP_DigestSign(ctx, sig, &siglen, hash, sizeof(hash)) != 1)
			goto out;
	} else {
		ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) ==
		    1 && EVP_DigestSignUpdate(ctx, data, len) == 1 &&
		    EVP_DigestSignFinal(ctx, NULL, &siglen) == 1;
		if (!ok)
			goto out;
		sig = xmalloc(siglen);
		if (EVP_DigestSignFinal(ctx, sig, &siglen) != 1)
			goto out;
	}
	b64 = dkim_base64(sig, siglen);
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return b64;
}
