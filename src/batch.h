/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * batch.h — pure split of one accepted transaction into queued messages,
 * by the listener's batch_handling.
 */
#ifndef SMARTHOSTD_BATCH_H
#define SMARTHOSTD_BATCH_H

#include "config.h"

/*
 * keys[i] is recipient i's grouping key: its lower-cased domain for
 * BATCH_BY_DOMAIN, its route ("relayer name" + "\n" + next hop) for
 * BATCH_BY_ROUTE; ignored for BATCH_BIFURCATE_ALWAYS (one each).
 * Sets batch_of[i] to a batch number 0..k-1, numbered in order of first
 * appearance, and returns k.
 */
int	batch_split(enum batch_mode, const char *const *keys, int n,
	    int *batch_of);

struct route;

/*
 * The route key of a resolved recipient: recipients with equal keys ride
 * in one transaction, both when BatchByRoute splits a received
 * transaction and when the queue groups an attempt.  For an smtp relayer
 * the next hop is its host list, so the key is the relayer alone; for mx
 * it is the relayer and the next-hop domain (which also fixes the domains
 * entry: mx_list, force_mx, tls); maildir and maildrop deliver per
 * recipient anyway.  The caller frees it.
 */
char	*batch_route_key(const struct route *);

#endif
