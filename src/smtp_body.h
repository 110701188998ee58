/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_body.h — the stored message on its way from the spool to the next
 * hop, for smtp_client.c.  Two framings of the same octets:
 *
 *  - DATA: dot-stuffed, the last line completed with a line end, then the
 *    final ".";
 *  - BDAT (RFC 3030 CHUNKING): one chunk "BDAT <size> LAST" of the octets
 *    as stored plus the same completing line end, nothing stuffed, no
 *    final ".".  smtp_body_open() learns the chunk size before the first
 *    octet is sent.
 *
 * The next hop receives the same message either way.  The file is read in
 * reads of up to SMTP_BODY_READ octets straight into the output; a plain
 * (not TLS) connection sends a large message by BDAT from the file
 * (sendfile) with no read at all, and any other body on a plain socket
 * goes from one static buffer straight to the socket while it keeps up.
 * Memory stays bounded: each smtp_body_fill() queues up to a high mark.
 */
#ifndef SMARTHOSTD_SMTP_BODY_H
#define SMARTHOSTD_SMTP_BODY_H

#include <stdbool.h>
#include <stdint.h>

#define SMTP_BODY_READ	65536	/* the most one read() of the file asks */
#define SMTP_BODY_DIRECT (1024 * 1024)	/* the most one fill sends directly */

struct evbuffer;
struct evbuffer_file_segment;

struct smtp_body {
	int			 fd;
	bool			 bdat;
	uint64_t		 size;		/* the stored octets */
	uint64_t		 done;		/* of which read or queued */
	bool			 eof;		/* the file's end was seen */
	int			 last;		/* the last octet, -1: none */
	bool			 bol;		/* DATA: at a line start */
	const char		*tail;		/* the completing line end,
						   once known */
	bool			 queued;	/* all of it is on the output */
	struct evbuffer		*ahead;		/* BDAT: read before the
						   command, not yet queued */
	struct evbuffer_file_segment *seg;	/* sendfile: owns the fd */
};

/*
 * Open the stored message at path, `size` octets long (the envelope's
 * size, which the spool keeps equal to the file's).  bdat: BDAT framing;
 * sendfile: the output drains straight to a plain socket.  For BDAT the
 * last octet is read at once (so the chunk size is known), for a small
 * message by reading all of it ahead.  Returns 0, or -1 with errno (EIO:
 * the file is not `size` octets long); the body is then closed.
 */
int		 smtp_body_open(struct smtp_body *, const char *path,
		    uint64_t size, bool bdat, bool sendfile);

/* BDAT: the chunk's size, the stored octets and the completing line end. */
uint64_t	 smtp_body_wire_size(const struct smtp_body *);

/*
 * Queue more of the message on o until o holds hiwat octets or the
 * message is all queued.  fd, unless -1, is the plain socket that o
 * drains to, with o empty: the message is then sent to it directly,
 * read by read, for as long as it takes all of each (and up to
 * SMTP_BODY_DIRECT octets), without a copy in o.  Returns 1 when it is all
 * queued or sent (DATA: the final "." included), 0 when more is due, -1
 * with errno on a read error or a file whose size is not the one given
 * (EIO).
 */
int		 smtp_body_fill(struct smtp_body *, struct evbuffer *o,
		    size_t hiwat, int fd);

/* Close the file (a sendfile segment still queued keeps it open until it
 * is sent or dropped).  Safe on a closed or zeroed-then-closed body. */
void		 smtp_body_close(struct smtp_body *);

#endif
