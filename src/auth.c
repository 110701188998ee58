/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth.c — owns the decoding of SASL PLAIN and LOGIN responses and the
 * users file of a listener.  No sockets here: the session in
 * smtp_session.c drives the exchange and calls these for every line, so
 * the parts that see hostile bytes are unit-tested on their own.
 */
#include <sys/types.h>

#include <crypt.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "privread.h"
#include "util.h"

struct auth_user {
	char	*name;
	char	*hash;
};

struct auth_users {
	int			 refcnt;
	struct auth_user	*users;
	int			 n;
};

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * The one base64 decoder not left to OpenSSL (encoding is base64_encode()
 * in util.c): RFC 4954 wants an AUTH response that is not strict base64
 * refused with 501, and EVP_DecodeBlock() accepts blanks, ignores what
 * follows the padding and cannot tell the padding's length, so it would
 * let malformed credentials through as some other string.
 */
ssize_t
auth_b64_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outlen)
{
	size_t		 i, n = 0, pad = 0, data;
	unsigned int	 acc = 0;
	int		 bits = 0, v;

	/* Padding only at the end, at most two, and only where it fits. */
	while (pad < inlen && pad < 2 && in[inlen - 1 - pad] == '=')
		pad++;
	data = inlen - pad;
	if (pad > 0 && inlen % 4 != 0)
		return -1;
	if (data % 4 == 1)
		return -1;		/* 6 bits cannot make an octet */
	for (i = 0; i < data; i++) {
		if ((v = b64_value((unsigned char)in[i])) == -1)
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outlen)
				return -1;
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	/* Leftover bits must be zero (canonical encoding). */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	if (pad > 0 && (data + pad) % 4 != 0)
		return -1;
	if (pad == 2 && data % 4 != 2)
		return -1;
	if (pad == 1 && data % 4 != 3)
		return -1;
	if (n < outlen)
		out[n] = '\0';
	return (ssize_t)n;
}

int
auth_plain_decode(const char *b64, size_t len, char user[AUTH_NAME_MAX + 1],
    char pass[AUTH_PASS_MAX + 1])
{
	unsigned char	 buf[AUTH_NAME_MAX * 2 + AUTH_PASS_MAX + 3];
	const char	*authz, *authc, *pw;
	const unsigned char *nul1, *nul2;
	ssize_t		 n;
	size_t		 zlen, clen, plen;

	n = auth_b64_decode(b64, len, buf, sizeof(buf));
	if (n <= 0)
		return -1;
	if ((nul1 = memchr(buf, '\0', n)) == NULL)
		return -1;
	nul2 = memchr(nul1 + 1, '\0', n - (nul1 + 1 - buf));
	if (nul2 == NULL)
		return -1;
	/* A third NUL: the password would be cut short silently. */
	if (memchr(nul2 + 1, '\0', n - (nul2 + 1 - buf)) != NULL)
		return -1;
	authz = (const char *)buf;
	authc = (const char *)nul1 + 1;
	pw = (const char *)nul2 + 1;
	zlen = nul1 - buf;
	clen = nul2 - nul1 - 1;
	plen = n - (nul2 + 1 - buf);
	if (clen == 0 || clen > AUTH_NAME_MAX || plen > AUTH_PASS_MAX)
		return -1;
	if (zlen != 0 && (zlen != clen || memcmp(authz, authc, clen) != 0))
		return -1;
	memcpy(user, authc, clen);
	user[clen] = '\0';
	memcpy(pass, pw, plen);
	pass[plen] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int
auth_login_decode(const char *b64, size_t len, char *out, size_t outlen)
{
	ssize_t	 n;

	if (outlen == 0)
		return -1;
	/* Room for the NUL that auth_b64_decode() adds. */
	n = auth_b64_decode(b64, len, (unsigned char *)out, outlen - 1);
	if (n < 0)
		return -1;
	out[n] = '\0';
	if (memchr(out, '\0', n) != NULL)
		return -1;
	return 0;
}

static void
users_free(struct auth_users *u)
{
	int	i;

	for (i = 0; i < u->n; i++) {
		free(u->users[i].name);
		free(u->users[i].hash);
	}
	free(u->users);
	free(u);
}

/* One line without its end; 0, or -1 with a message in err. */

/* A user name is printed in logs and in the Received header's comment:
 * no controls, blanks, or comment delimiters. */
static int
auth_name_ok(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '(' || *p == ')' ||
		    *p == '\\')
			return 0;
	return 1;
}

static int
users_line(struct auth_users *u, char *line, const char *path, int lineno,
    char *err, size_t errlen)
{
	char	*colon, *end;
	int	 i;

	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r'))
		*--end = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	if ((colon = strchr(line, ':')) == NULL) {
		snprintf(err, errlen, "%s:%d: expected name:crypt-hash", path,
		    lineno);
		return -1;
	}
	*colon = '\0';
	if (colon == line || strlen(line) > AUTH_NAME_MAX ||
	    !auth_name_ok(line)) {
		snprintf(err, errlen, "%s:%d: bad user name", path, lineno);
		return -1;
	}
	if (colon[1] == '\0' || strpbrk(colon + 1, ": \t") != NULL) {
		snprintf(err, errlen, "%s:%d: bad crypt hash for \"%s\"", path,
		    lineno, line);
		return -1;
	}
	for (i = 0; i < u->n; i++)
		if (strcmp(u->users[i].name, line) == 0) {
			snprintf(err, errlen, "%s:%d: user \"%s\" listed twice",
			    path, lineno, line);
			return -1;
		}
	u->users = xreallocarray(u->users, u->n + 1, sizeof(*u->users));
	u->users[u->n].name = xstrdup(line);
	u->users[u->n].hash = xstrdup(colon + 1);
	u->n++;
	return 0;
}

struct auth_users *
auth_users_load(const char *path, char *err, size_t errlen)
{
	struct auth_users	*u;
	FILE			*fp;
	char			*line = NULL;
	size_t			 cap = 0;
	ssize_t			 len;
	int			 lineno = 0;

	/* Read as root after the privilege drop too (privread.h). */
	if ((fp = privread_fopen(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	u = xcalloc(1, sizeof(*u));
	u->refcnt = 1;
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (memchr(line, '\0', len) != NULL) {
			snprintf(err, errlen, "%s:%d: NUL byte", path, lineno);
			goto fail;
		}
		if (users_line(u, line, path, lineno, err, errlen) == -1)
			goto fail;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(line);
	fclose(fp);
	return u;

fail:
	free(line);
	fclose(fp);
	users_free(u);
	return NULL;
}

struct auth_users *
auth_users_ref(struct auth_users *u)
{
	u->refcnt++;
	return u;
}

void
auth_users_unref(struct auth_users *u)
{
	if (u != NULL && --u->refcnt == 0)
		users_free(u);
}

int
auth_users_count(const struct auth_users *u)
{
	return u->n;
}

int
auth_users_check(const struct auth_users *u, const char *user,
    const char *pass)
{
	struct crypt_data		*cd;
	const struct auth_user		*found = NULL;
	const char			*setting, *h;
	size_t				 hl;
	int				 i, r;

	if (u->n == 0)
		return 0;
	for (i = 0; i < u->n; i++)
		if (strcmp(u->users[i].name, user) == 0) {
			found = &u->users[i];
			break;
		}
	/* Unknown user: pay for a hash anyway, with a real user's setting. */
	setting = found != NULL ? found->hash : u->users[0].hash;
	/* Per call, not static: auth_worker.c runs this off the loop. */
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pass, setting, cd);
	if (found == NULL || h == NULL || h[0] == '*')
		r = 0;
	else {
		hl = strlen(h);
		r = hl == strlen(found->hash) &&
		    CRYPTO_memcmp(h, found->hash, hl) == 0;
	}
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return r;
}
