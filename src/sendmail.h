/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sendmail.h — what the files of smarthost-sendmail share: its name in
 * messages (its way out is log.h's die()), the incoming/ file it writes
 * (sendmail_out.c), and mailq (sendmail_mailq.c).  Not part of the
 * daemon's library.
 */
#ifndef SMARTHOSTD_SENDMAIL_H
#define SMARTHOSTD_SENDMAIL_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct sendmail_out;

/* The name we were called by ("sendmail", "mailq", ...). */
extern const char *progname;

/* 2 * nbytes (at most 32) random hex digits into buf. */
void	random_hex(char *buf, size_t nbytes);

/*
 * The message's file in the spool's incoming/ (incoming_env.h): its
 * envelope header envtext first, then the message; created
 * under a temporary name (the spool itself too, if the daemon never ran
 * and we may), written through a buffer, then made durable under its
 * final name.  Every failure, and SIGINT, SIGTERM or SIGHUP, removes the
 * temporary file and exits with EX_TEMPFAIL (EX_NOPERM when we may not
 * write there).
 */
struct sendmail_out *sendmail_out_open(const char *spool,
		    const char *envtext, size_t envlen);
void		 sendmail_out_write(struct sendmail_out *, const void *,
		    size_t);
/* The message's octets written so far (the envelope header, given at
 * the open, not counted). */
uint64_t	 sendmail_out_total(const struct sendmail_out *);
/* Durably in place: exits on failure; frees the object. */
void		 sendmail_out_commit(struct sendmail_out *);
/* Remove the temporary file (a message refused after all); frees it. */
void		 sendmail_out_abort(struct sendmail_out *);

/* mailq (-bp): ask the daemon, or list the spool when it is down.
 * Returns the exit status; exits itself on failure. */
int		 sendmail_mailq(const struct config *);

#endif
