/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * inject.h — the pure part of smarthost-sendmail: recipient lists from
 * the command line and from To:, Cc: and Bcc:, the header fixes (Bcc:
 * removed; From:, Message-ID: and Date: added when missing), the envelope
 * sender, and the splitting of input into lines.  No I/O, no globals:
 * sendmail.c reads, writes, and turns the errors here into exit codes.
 */
#ifndef SMARTHOSTD_INJECT_H
#define SMARTHOSTD_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct hdr_scan;

/* What the functions that collect recipients return. */
#define INJECT_OK	 0
#define INJECT_BAD	-1	/* an address is not valid (see *bad) */
#define INJECT_TOOMANY	-2	/* more than INCOMING_RCPT_MAX recipients */

/* A list of recipient addresses, no duplicates; { NULL, 0 } is empty. */
struct inject_rcpts {
	char	**v;
	int	  n;
};

/* Add a copy of addr unless it is there: INJECT_OK or INJECT_TOOMANY. */
int	 inject_rcpts_add(struct inject_rcpts *, const char *addr);

/* Free the addresses and leave the list empty. */
void	 inject_rcpts_clear(struct inject_rcpts *);

/* A mailbox as given, a bare local part with @hostname added; NULL if
 * the result fails smtp_addr_valid() or is longer than SMTP_ADDR_MAX. */
char	*inject_qualify(const char *addr, const char *hostname);

/*
 * Add the addresses of an RFC 5322 address list (a To:, Cc: or Bcc:
 * value, or a command-line argument) to r, qualified.  Display names,
 * comments and groups are dropped; within angle brackets is the address,
 * else the addr-spec with blanks removed.  Stops at the first error: on
 * INJECT_BAD, *bad is the offending address (control characters shown as
 * '?'; the caller frees it); on INJECT_TOOMANY *bad is NULL.
 */
int	 inject_addr_list(struct inject_rcpts *r, const char *s,
	    const char *hostname, char **bad);

/* Is the header line p[0..len) a field with this (lowercase) name? */
bool	 inject_field_is(const char *p, size_t len, const char *name);

/*
 * Walk the header section hdr[0..len) (CRLF lines, up to hs.end_offset):
 * the fields except Bcc: go into *kept (*keptlen octets, the caller frees
 * it), *has_from says whether there was a From:, and with tflag the
 * addresses of To:, Cc: and Bcc: are added to r.  Returns INJECT_OK, or
 * an error as inject_addr_list() with *kept NULL.
 */
int	 inject_filter_headers(const char *hdr, size_t len, bool tflag,
	    struct inject_rcpts *r, const char *hostname, char **kept,
	    size_t *keptlen, bool *has_from, char **bad);

/* A full name as an RFC 5322 phrase: as is, quoted, or RFC 2047 base64. */
char	*inject_phrase(const char *name);

/* A full name fit for one header line: control characters become blanks,
 * blanks at the ends go, at most 200 octets remain. */
char	*inject_clean_name(const char *name);

/* The full name of a passwd gecos field (up to its first comma), or NULL
 * when there is none. */
char	*inject_gecos_name(const char *gecos);

/*
 * The envelope sender of -f: "<x>" stands for x, "" and "<>" give "" (the
 * null sender), anything else is qualified.  NULL when invalid, with *bad
 * the address without its brackets (the caller frees it).
 */
char	*inject_sender(const char *given, const char *hostname, char **bad);

/*
 * The fields added at the end of the header section hs describes: From:
 * (unless has_from, or the sender is null; with the full name if given),
 * Message-ID: (built from t, rnd and hostname) and Date: (from t) when
 * missing, and the empty line if the section did not end with one.
 */
char	*inject_added_headers(const struct hdr_scan *hs, bool has_from,
	    const char *sender, const char *fullname, const char *hostname,
	    time_t t, const char *rnd);

/*
 * Input split into lines whatever their ends (LF, CRLF or a bare CR),
 * in pieces of at most segcap octets.  inject_line_take() moves octets of
 * in[0..len) to seg + l->n until a piece is complete and returns how many
 * it consumed; *done then says the piece is complete and *eol that it
 * ended with a line end.  The caller sets l->n to 0 for the next piece.
 */
struct inject_line {
	bool	 cr;		/* the last line ended with a CR */
	size_t	 n;		/* octets in the piece so far */
};
size_t	 inject_line_take(struct inject_line *l, const char *in, size_t len,
	    char *seg, size_t segcap, bool *done, bool *eol);

/* Is this piece the line "." that ends input (sendmail without -i)? */
bool	 inject_lone_dot(bool iflag, bool at_bol, const char *seg, size_t n,
	    bool eol);

#endif
