/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * bounce_int.h — what the two files of the notice builder share: the
 * line-fitting of inserted text (bounce.c) and the DSN fields
 * (bounce_dsn.c).  Nothing else includes it: everyone else sees bounce.h.
 */
#ifndef SMARTHOSTD_BOUNCE_INT_H
#define SMARTHOSTD_BOUNCE_INT_H

#include <stdbool.h>
#include <stddef.h>

struct bounce_info;
struct bounce_rcpt;
struct buf;

#define DIAG_MAX	900	/* longest diagnostic text kept */

/* A copy of s fit for one line (bounce.c). */
char		*bounce_clean(const char *, size_t, bool);
/* Append "<prefix><value>" CRLF, folded (bounce.c). */
void		 bounce_put_folded(struct buf *, const char *, const char *);
/* The Status of one recipient (bounce_dsn.c). */
const char	*bounce_rcpt_status(const struct bounce_info *,
		    const struct bounce_rcpt *);
/* Any recipient that succeeded (succ) or not (bounce_dsn.c). */
bool		 bounce_any_of(const struct bounce_rcpt *, int, bool);
/* The message/delivery-status part (bounce_dsn.c). */
void		 bounce_put_report(struct buf *, const struct bounce_info *,
		    const struct bounce_rcpt *, int, const char *);

#endif
