/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_data.h — pure filters for the DATA phase.
 *
 * smtp_data_feed() turns the octets a client sends after DATA into the
 * message as stored: dot-stuffing undone, every line ended by CRLF, and the
 * end of data recognised only at CRLF "." CRLF, so that no smuggling
 * sequence (<LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF>, <CR><LF>.<LF>) can end the
 * message early.  A bare LF or bare CR (not part of CRLF) is written as CRLF
 * and counted in bare_count so that the caller can refuse the message when
 * the listener says bare_lf = "reject".  A line that follows a bare line end
 * is not a line start for end-of-data purposes, and a leading dot there is
 * kept as data (it is dot-stuffed again when relayed).
 *
 * hdr_scan watches the stored (CRLF) message and finds where its header
 * section ends, noting whether Message-ID: and Date: are present, so that
 * the server can insert missing ones (add_message_id, add_date) there.
 * Field names compare case-insensitively; blanks between a name and its
 * colon (RFC 5322 obsolete syntax) are allowed, so "Date :" is a Date.
 */
#ifndef SMARTHOSTD_SMTP_DATA_H
#define SMARTHOSTD_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lineend.h"

struct smtp_data {
	int		state;		/* private */
	bool		done;		/* CRLF.CRLF seen */
	uint64_t	bare_count;	/* bare CR or LF line ends seen */
	uint64_t	octets_out;	/* total written to out so far */
};

void	smtp_data_init(struct smtp_data *);

/*
 * Consume input up to and including the end-of-data marker.  Writes the
 * stored form to out, which must have room for 2 * len + 4 octets; sets
 * *outlen.  Returns the number of input octets consumed: when d->done is
 * set, the remaining input (a pipelined next command) was not consumed.
 * The terminating CRLF.CRLF contributes its first CRLF (the end of the last
 * line) to the output and nothing else.
 */
size_t	smtp_data_feed(struct smtp_data *d, const char *in, size_t len,
	    char *out, size_t *outlen);

/*
 * BDAT (RFC 3030) chunks carry the message as it is, with no dot-stuffing
 * and no end marker: the chunk sizes frame it.  bdat_feed() stores what it
 * is given with every line ended by CRLF, a bare CR or LF written as CRLF
 * and counted (as smtp_data_feed() does, so bare_lf = "reject" applies
 * alike); a CR at the end of one chunk waits for the next.  bdat_finish()
 * at BDAT LAST ends a pending CR or an unterminated last line with CRLF,
 * so that every stored message ends with a line end.
 */
struct bdat_filter {
	struct crlf	crlf;		/* private */
	uint64_t	bare_count;
	uint64_t	octets_in;	/* chunk octets fed */
	uint64_t	octets_out;	/* stored octets written */
};

void	bdat_init(struct bdat_filter *);
/* Consumes all len octets; out needs room for 2 * len + 2. */
void	bdat_feed(struct bdat_filter *, const char *in, size_t len, char *out,
	    size_t *outlen);
/* out needs room for 2 octets. */
void	bdat_finish(struct bdat_filter *, char *out, size_t *outlen);

struct hdr_scan {
	int		state;		/* private */
	size_t		matched;	/* private */
	bool		done;		/* header section has ended */
	bool		has_message_id, has_date;
	bool		need_blank;	/* ended at a non-header line, not at
					   an empty line: insert an empty line
					   after any added headers */
	/* Added: the exact end when the line that ends the section began
	 * in an earlier buffer (see hdr_scan_feed). */
	uint64_t	fed;		/* private: octets fed so far */
	uint64_t	line_start;	/* private: offset of current line */
	uint64_t	end_offset;	/* once done: where the section ends,
					   counted from the first octet fed */
};

void	hdr_scan_init(struct hdr_scan *);

/*
 * Feed stored-form octets (CRLF line ends).  Returns -1 while the header
 * section goes on, or the offset within buf at which it ends: the first
 * octet of the empty line, or of the first line that is not a header
 * (a line without "name:" and not a continuation).  After it has ended,
 * returns -1 for every later call.
 * hdr_scan_finish() is called at end of data when the section never ended
 * (a message that is all headers): it sets done.
 */
long	hdr_scan_feed(struct hdr_scan *h, const char *buf, size_t len);
void	hdr_scan_finish(struct hdr_scan *h);

/*
 * Added.  Whether a line is a header is known only at its ':' (or at the
 * octet that rules one out), so the line that ends the section may have
 * begun in an earlier buffer; hdr_scan_feed() then returns 0 and
 * end_offset says exactly where the end is.  A caller that streams and
 * wants to insert exactly there holds back the last hdr_scan_pending()
 * octets it has fed (at most 998: a longer would-be field name is not a
 * header): the section can end only at their start.
 */
size_t	hdr_scan_pending(const struct hdr_scan *h);

#endif
