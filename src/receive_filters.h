/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * receive_filters.h — the work attached to the one reception path
 * (receive.h hooks): a listener's strip_headers and the `rewrite` of
 * address header fields, for mail from listeners and from
 * smarthost-sendmail alike.  A receive context has one struct
 * receive_hooks: signing (DKIM) attaches its members (body, headers_end,
 * finish) to this one too, and so sees what these filters stored.
 */
#ifndef SMARTHOSTD_RECEIVE_FILTERS_H
#define SMARTHOSTD_RECEIVE_FILTERS_H

#include "receive.h"

/* The hooks for receive_set_hooks(); their argument is unused (NULL). */
extern const struct receive_hooks receive_filters;

#endif
