/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * privread.h — reading the files a daemon that dropped root still needs:
 * TLS keys and certificates, users files, password files, DKIM keys.
 *
 * Before the privilege drop, privread_start() forks a small helper that
 * stays root.  After it, privread_open() asks the helper, which opens the
 * file as root and passes the open descriptor back (SCM_RIGHTS); so a
 * reload with a changed root-only (0600) key works, and keys never have to
 * be made readable by the daemon's user.  The helper opens only files that
 * the configuration file itself names: it loads that file (as root) and
 * serves exactly the paths that loading opened.  Without a helper (no
 * `user`, tests, the tools) privread_open() is open(2).
 *
 * For a module that reads such a file (DKIM keys, say): call
 * privread_open(path) where you would call open(path, O_RDONLY), or
 * privread_fopen(path); warn when privread_others_can_read(fd) says so.
 */
#ifndef SMARTHOSTD_PRIVREAD_H
#define SMARTHOSTD_PRIVREAD_H

#include <stdbool.h>
#include <stdio.h>

#include <openssl/ssl.h>

/* As root, before the drop: start the helper for configuration file
 * cfgpath (absolute).  0, or -1 with err. */
int	privread_start(const char *cfgpath, char *err, size_t errlen);
/* End the helper (it also ends by itself when the daemon exits). */
void	privread_stop(void);

/* Open path for reading (O_CLOEXEC).  -1 with errno on failure (EACCES
 * when the helper refuses a path the configuration does not name). */
int	privread_open(const char *path);
/* The same as a stdio stream, or NULL with errno. */
FILE	*privread_fopen(const char *path);
/*
 * Whether nobody but root can change which file path names: every
 * directory on the way, and on the way of every symbolic link met, belongs
 * to root and is writable by nobody else (or is sticky, and the entry in
 * it belongs to root).  0 yes; 1 no, with the reason in why; -1 with
 * errno when the path cannot be followed.  The helper serves only such
 * paths: a key in a directory the daemon's user may write is read as that
 * user, never as root (else a symbolic link to /etc/shadow put there
 * before a reload would hand root's file to the daemon).
 */
int	privread_path_trusted(const char *path, char *why, size_t whylen);
/* For the configuration loader, before it reads a configuration file
 * (the main one or an @include): in the root helper, -1 with err unless
 * privread_path_trusted() says the path is root's alone, since whoever may
 * change the file decides what the helper serves.  Elsewhere 0. */
int	privread_config_trusted(const char *path, char *err, size_t errlen);
/* Whether the file open on fd is readable by "others" (mode o+r). */
bool	privread_others_can_read(int fd);

/*
 * Load a PEM certificate chain and its private key into ctx, through
 * privread_open().  0, or -1 with *failed set to "cert" or "key" and the
 * reason in errno (open) or the OpenSSL error queue.  Never prompts for a
 * pass phrase.
 */
int	privread_use_cert_key(SSL_CTX *, const char *cert, const char *key,
	    const char **failed);

#endif
