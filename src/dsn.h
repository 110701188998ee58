/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dsn.h — the values of the DSN extension (RFC 3461): xtext, the RET and
 * NOTIFY keywords, ENVID and ORCPT, and the parameter strings the SMTP
 * client passes on.  Pure: no I/O, no globals.
 *
 * ENVID and ORCPT are kept in canonical xtext form (every octet outside
 * 33-126, and '+' and '=', as "+XX"; nothing else encoded): that form has
 * no blank and no control character, so it is safe in the envelope file
 * and in logs as it is, and it goes back on the wire unchanged.  Only a
 * notice decodes it.
 */
#ifndef SMARTHOSTD_DSN_H
#define SMARTHOSTD_DSN_H

#include <stdbool.h>
#include <stddef.h>

#define DSN_ENVID_MAX	100	/* RFC 3461 4.4: the ENVID value */
#define DSN_ORCPT_MAX	500	/* RFC 3461 4.2: the ORCPT value */

enum dsn_ret { DSN_RET_UNSPEC = 0, DSN_RET_FULL, DSN_RET_HDRS };

/* NOTIFY bits; 0 is "not given" (failures and delays are reported). */
#define DSN_NOTIFY_SUCCESS	0x01
#define DSN_NOTIFY_FAILURE	0x02
#define DSN_NOTIFY_DELAY	0x04
#define DSN_NOTIFY_NEVER	0x08

/* What became of a delivered recipient, for its success notice. */
enum dsn_done {
	DSN_DONE_DELIVERED = 0,	/* into a mailbox here (maildir, maildrop) */
	DSN_DONE_RELAYED,	/* to a next hop without DSN */
	DSN_DONE_PASSED		/* to a next hop with DSN: it reports */
};

/* Parse "FULL" / "HDRS" (any case).  Returns 0 or -1. */
int		 dsn_ret_parse(const char *, size_t, enum dsn_ret *);
const char	*dsn_ret_to_text(enum dsn_ret);	/* "FULL", "HDRS", "" */

/* Parse "NEVER" or a comma list of SUCCESS, FAILURE, DELAY (any case; an
 * element named twice counts once).  Returns 0 or -1. */
int		 dsn_notify_parse(const char *, size_t, unsigned *);
/* "SUCCESS,FAILURE,DELAY" order, "NEVER", or "" for 0, into buf. */
void		 dsn_notify_to_text(unsigned, char *buf, size_t size);

/*
 * An xtext value of n octets (RFC 3461 4: "+XX" upper-case hex, other
 * octets 33-126 but '+' and '='), re-encoded canonically into buf (NUL
 * terminated; size at least n + 1).  Returns 0, or -1 when it is not
 * xtext or is empty.
 */
int		 dsn_xtext_canon(const char *, size_t n, char *buf,
		    size_t size);
/* Decode a valid xtext into buf, at most size - 1 octets (cut); a NUL
 * octet ("+00") becomes a space.  Returns buf. */
char		*dsn_xtext_decode(const char *, char *buf, size_t size);

/* ENVID=: at most DSN_ENVID_MAX octets of xtext, canonical into buf
 * (DSN_ENVID_MAX + 1 octets).  Returns 0 or -1. */
int		 dsn_envid_parse(const char *, size_t, char *buf);
/* ORCPT=addr-type;xtext: at most DSN_ORCPT_MAX octets, addr-type an
 * atom; canonical into buf (DSN_ORCPT_MAX + 1).  Returns 0 or -1. */
int		 dsn_orcpt_parse(const char *, size_t, char *buf);
/* Is s a stored (canonical) ORCPT value?  For the envelope reader. */
bool		 dsn_orcpt_valid(const char *);
/* Is s a stored (canonical) ENVID value? */
bool		 dsn_envid_valid(const char *);

/*
 * The parameter strings for a next hop that offers DSN, each with a
 * leading space, or "" when there is nothing to pass: " RET=HDRS
 * ENVID=x" for MAIL (buf of DSN_MAIL_PARAMS_MAX), " NOTIFY=SUCCESS
 * ORCPT=rfc822;a@b" for RCPT (buf of DSN_RCPT_PARAMS_MAX).
 */
#define DSN_MAIL_PARAMS_MAX	(sizeof(" RET=FULL ENVID=") + DSN_ENVID_MAX)
#define DSN_RCPT_PARAMS_MAX \
	(sizeof(" NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=") + DSN_ORCPT_MAX)
void		 dsn_mail_params(enum dsn_ret, const char *envid, char *buf,
		    size_t size);
void		 dsn_rcpt_params(unsigned notify, const char *orcpt,
		    char *buf, size_t size);

#endif
