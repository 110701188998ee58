/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth.h — the server side of SMTP AUTH (RFC 4954) without the I/O: base64
 * and the PLAIN (RFC 4616) and LOGIN exchanges decoded into a user name and
 * a password, and the listener's users file checked with crypt(3).
 */
#ifndef SMARTHOSTD_AUTH_H
#define SMARTHOSTD_AUTH_H

#include <stddef.h>
#include <sys/types.h>

/* Longest user name and password accepted (an AUTH line holds less). */
#define AUTH_NAME_MAX	255
#define AUTH_PASS_MAX	255

/* LOGIN's prompts, base64 of "Username:" and "Password:". */
#define AUTH_LOGIN_USER_PROMPT	"VXNlcm5hbWU6"
#define AUTH_LOGIN_PASS_PROMPT	"UGFzc3dvcmQ6"

/*
 * Strict base64 (RFC 4648, standard alphabet): padding optional, nothing
 * but the alphabet and trailing '=' allowed.  Writes at most outlen octets
 * into out, then a NUL if there is room (the text of PLAIN/LOGIN).
 * Returns the decoded length, or -1 when the input is not base64 or the
 * result does not fit.
 */
ssize_t		 auth_b64_decode(const char *in, size_t inlen,
		    unsigned char *out, size_t outlen);

/*
 * PLAIN: decode "authzid NUL authcid NUL passwd" from base64.  An authzid
 * other than empty or the authcid itself is refused (we do not let one
 * user act as another).  Returns 0, or -1 for anything malformed.
 */
int		 auth_plain_decode(const char *b64, size_t len,
		    char user[AUTH_NAME_MAX + 1], char pass[AUTH_PASS_MAX + 1]);

/*
 * LOGIN: one base64 response (the user name or the password) decoded into
 * out, which must not contain NUL.  Returns 0 or -1.
 */
int		 auth_login_decode(const char *b64, size_t len, char *out,
		    size_t outlen);

/* The users of one listener: loaded when the listener is configured,
 * shared by its sessions (reference-counted, immutable). */
struct auth_users;

/*
 * Read a users file: "name:crypt-hash" lines, '#' comments and blank lines
 * allowed.  On error returns NULL with "file:line: message" in err.
 */
struct auth_users *auth_users_load(const char *path, char *err,
		    size_t errlen);
struct auth_users *auth_users_ref(struct auth_users *);
void		 auth_users_unref(struct auth_users *);
int		 auth_users_count(const struct auth_users *);

/* 1 when user exists and pass matches its hash, else 0.  An unknown user
 * costs a crypt() all the same, so timing does not tell them apart. */
int		 auth_users_check(const struct auth_users *, const char *user,
		    const char *pass);

#endif
