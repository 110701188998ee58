/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_client.h — the client side of the control socket (control.h),
 * shared by smarthostctl and `smarthost-sendmail -bp`: connect, send one
 * request line, read the first answer line ("ok" or "error TEXT") and
 * stream the rest of the answer to a FILE, all within one deadline.  It
 * prints nothing of its own: each program words and maps the outcome.
 */
#ifndef SMARTHOSTD_CONTROL_CLIENT_H
#define SMARTHOSTD_CONTROL_CLIENT_H

#include <stddef.h>
#include <stdio.h>

enum control_client_result {
	CTLC_OK,		/* "ok": the output went to out */
	CTLC_REFUSED,		/* "error TEXT": TEXT is in err */
	CTLC_NO_DAEMON,		/* cannot connect (errno kept): no daemon */
	CTLC_TIMEOUT,		/* no (whole) answer before the deadline */
	CTLC_PROTOCOL,		/* not an answer the daemon gives */
	CTLC_IO			/* a system call failed (errno kept) */
};

/*
 * Send req[0..len) (one line, ending with "\n") to the socket at path and
 * wait at most timeout seconds for the whole answer.  err gets a message
 * naming path for every result but CTLC_OK (for CTLC_REFUSED, the
 * daemon's own text).
 */
enum control_client_result control_client_run(const char *path,
		    const char *req, size_t len, int timeout, FILE *out,
		    char *err, size_t errlen);

#endif
