/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * helo.h — what a client's HELO/EHLO name may look like once we write it
 * into a Received: header (pure).
 */
#ifndef SMARTHOSTD_HELO_H
#define SMARTHOSTD_HELO_H

/*
 * A copy of the name (the caller frees it) that keeps letters, digits and
 * - . _ : [ ] and shows every other octet as '?': it can neither close a
 * comment, open one, fold the header nor add a clause such as "by".
 */
char	*helo_for_header(const char *);

#endif
