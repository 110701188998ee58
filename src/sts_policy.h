/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sts_policy.h — the pure parsers of MTA-STS (RFC 8461): the _mta-sts TXT
 * record, the policy text served at https://mta-sts.<domain>/.well-known/
 * mta-sts.txt, the matching of an MX host against the policy's patterns,
 * and the cache file that keeps a policy in the spool.  Bytes in, structs
 * and errors out; no I/O (mta_sts.c, sts_fetch.c and sts_cache.c do that).
 */
#ifndef SMARTHOSTD_STS_POLICY_H
#define SMARTHOSTD_STS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* RFC 8461 3.2: a sender may refuse a bigger policy; 64 KiB is our cap. */
#define STS_POLICY_MAX		(64 * 1024)
/* RFC 8461 3.2: max_age is at most 31557600 seconds (a year). */
#define STS_MAX_AGE_MAX		31557600L
/* RFC 8461 3.1: the id is 1 to 32 letters and digits. */
#define STS_ID_MAX		32

enum sts_mode { STS_MODE_NONE, STS_MODE_TESTING, STS_MODE_ENFORCE };

struct sts_policy {
	enum sts_mode	 mode;
	long		 max_age;	/* seconds, 0..STS_MAX_AGE_MAX */
	char		**mx;		/* lower-cased: "mx.example.com" or
					   "*.example.com" */
	int		 n_mx;
};

/*
 * Parse the _mta-sts TXT records of a domain (each one the joined strings
 * of one record).  Records not beginning "v=STSv1" are not ours and are
 * ignored; exactly one must remain and be valid (RFC 8461 3.1).  Returns
 * 1 with its id (NUL-terminated, at most STS_ID_MAX) in id, 0 when no
 * record begins "v=STSv1" (no policy), -1 with a reason in err for
 * several or an invalid one (also no policy, but worth a log line).
 */
int		 sts_txt_parse(const char *const *txt, const int *len, int n,
		    char id[STS_ID_MAX + 1], char *err, size_t errlen);

/*
 * Parse a policy body (at most STS_POLICY_MAX octets, LF or CRLF line
 * ends) into p, which the caller clears with sts_policy_clear().  Returns
 * 0, or -1 with a reason in err (p then holds nothing).
 */
int		 sts_policy_parse(const char *text, size_t len,
		    struct sts_policy *p, char *err, size_t errlen);

void		 sts_policy_clear(struct sts_policy *);

/* dst becomes a copy of src (dst's old contents not freed). */
void		 sts_policy_copy(struct sts_policy *dst,
		    const struct sts_policy *src);

/* Does an MX host name match one of p's patterns (RFC 8461 4.1: case
 * aside, equal, or "*.rest" with one label, never the empty one, in front
 * of "rest")?  A trailing dot on host is ignored. */
bool		 sts_policy_match(const struct sts_policy *p, const char *host);

/* "enforce", "testing", "none". */
const char	*sts_mode_to_text(enum sts_mode);

/*
 * The cache file of one domain's policy: the id it was fetched under,
 * when it was fetched, then the policy in canonical form.  The text is
 * malloc'd; sts_cache_text_parse() reads it back (0, or -1 with err).
 */
char		*sts_cache_text(const struct sts_policy *, const char *id,
		    time_t fetched);
int		 sts_cache_text_parse(const char *text, size_t len,
		    struct sts_policy *p, char id[STS_ID_MAX + 1],
		    time_t *fetched, char *err, size_t errlen);

#endif
