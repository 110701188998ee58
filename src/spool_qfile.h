/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_qfile.h — the one-file form of a queued message, queue/<id>.q:
 *
 *   [0, size)                the message, as a .msg holds it
 *   [size, size + len)       its envelope at reception (envelope.h text)
 *   the last QFILE_TRAILER   "smarthostd-queue-file 1 <size> <len>\n",
 *                            both numbers 16 upper-case hex digits
 *
 * One file, so one fdatasync makes a received message and its envelope
 * durable (doc/decisions.md, "One spool file per message").  Readers of
 * the message stop at env->size.  Later envelope states go to
 * queue/<id>.env beside it (spool.h).  The trailer's parser is pure.
 */
#ifndef SMARTHOSTD_SPOOL_QFILE_H
#define SMARTHOSTD_SPOOL_QFILE_H

#include <stddef.h>
#include <stdint.h>

struct envelope;
struct stat;

#define QFILE_TRAILER	58	/* strlen of the trailer */
#define QFILE_ENV_MAX	(16 * 1024 * 1024)	/* refuse to read more */

/* The octets that follow the message: envelope text and trailer; the
 * caller frees it.  env->size must be the message's size. */
char		*qfile_tail(const struct envelope *, size_t *len);

/*
 * Parse a trailer (n octets, the end of a file of file_size octets).
 * Returns 0 with the message size and the envelope text's length, or -1
 * with a reason in *why.
 */
int		 qfile_trailer_parse(const char *buf, size_t n,
		    uint64_t file_size, uint64_t *size, uint64_t *len,
		    const char **why);

/* Open dirfd/name for reading (no symbolic link followed): a regular
 * file, its status in *st.  Returns the descriptor, or -1 with a reason in
 * *why. */
int		 qfile_open(int dirfd, const char *name, struct stat *st,
		    const char **why);

/* Read the envelope of dirfd/name (a .q).  NULL with a reason in *why. */
struct envelope	*qfile_read(int dirfd, const char *name, const char **why);

#endif
