/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * qindex.h — queued messages by queue id: an open-addressing hash table
 * from a string key to a pointer, so that finding one message among many
 * (smarthostctl show, hold, remove, flush ID) costs the same with 50,000
 * queued as with one.  The keys are borrowed: each must stay valid and
 * unchanged while it is in the table (queue.c uses the envelope's id).
 */
#ifndef SMARTHOSTD_QINDEX_H
#define SMARTHOSTD_QINDEX_H

#include <stddef.h>

struct qindex;

struct qindex	*qindex_new(void);
void		 qindex_free(struct qindex *);

/* Add key -> val.  A key already present keeps its first value and
 * returns -1; else 0. */
int		 qindex_put(struct qindex *, const char *key, void *val);

/* The value of key, or NULL. */
void		*qindex_get(const struct qindex *, const char *key);

/* Remove key if it maps to val (another value under the same key stays).
 * Returns 0 when removed, -1 otherwise. */
int		 qindex_del(struct qindex *, const char *key, const void *val);

/* Entries held. */
size_t		 qindex_count(const struct qindex *);

#endif
