/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * util.h — allocation that never returns NULL, and small string helpers.
 */
#ifndef SMARTHOSTD_UTIL_H
#define SMARTHOSTD_UTIL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* asprintf that aborts on failure. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Copy at most size-1 bytes and terminate; returns strlen(src). */
size_t	 strlcpy_(char *dst, const char *src, size_t size);
/* Lower-case ASCII in place; returns s. */
char	*lowercase(char *s);
/* Control characters (C0 and DEL; 8-bit bytes such as UTF-8 are not):
 * does s hold one; each one in s made c, in place. */
bool	 str_has_ctl(const char *s);
void	 str_ctl_to(char *s, char c);
/* Case-insensitive ASCII equality. */
int	 strcaseeq(const char *, const char *);
/* Equal strings, or both NULL (a NULL is the same as no string only). */
bool	 str_same(const char *, const char *);

/*
 * A growable NUL-terminated byte buffer; start with { NULL, 0, 0 } and take
 * ownership of .p (NULL while nothing was added) or free() it.
 */
struct buf {
	char	*p;
	size_t	 len, cap;
};

void	 buf_add(struct buf *, const void *, size_t);
void	 buf_str(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Base64 of in[0..len), NUL-terminated, no line breaks (OpenSSL's EVP
 * encoder); the caller frees it. */
char	*base64_encode(const void *in, size_t len);

/* Free n strings and the array holding them (NULL is fine). */
void	 strv_free(char **v, size_t n);

/*
 * The one way text in memory is read line by line: the next line of
 * text[0..len) from *off into *line and *n (without its "\n"; the last
 * line may lack one), and *off moved past it.  False once nothing is
 * left.  The line is not copied or terminated.
 */
bool	 util_line(const char *text, size_t len, size_t *off,
	    const char **line, size_t *n);

/* write(2) all of it, again after EINTR: 0, or -1 with errno. */
int	 write_all(int fd, const void *, size_t);
/*
 * A buffered write to fd: data collects in buf (cap octets, *len of them
 * in use) and goes out by write_all() as soon as buf is full; data of
 * cap octets or more arriving at an empty buf goes straight through.
 * 0, or -1 with errno (then *len says what is still in buf).
 */
int	 write_buffered(int fd, char *buf, size_t cap, size_t *len,
	    const void *data, size_t n);
/*
 * One send(2) to a socket that must not block (MSG_DONTWAIT, no SIGPIPE),
 * again after EINTR: the octets it took, 0 when it took none (full, or an
 * error, which the caller's next write through its buffer meets again).
 */
size_t	 send_now(int fd, const void *, size_t);
/* read(2) of at most *left octets, *left less what was read: 0 once it
 * is 0 (a queued message ends inside its file: spool.h). */
ssize_t	 read_upto(int fd, void *, size_t, uint64_t *left);
/*
 * mkdir -p: every missing ancestor of path with mode parents (less the
 * umask), path itself with mode last exactly, whatever the umask.
 * Returns 1 when it made path, 0 when it was there, -1 with errno.
 */
int	 mkdir_p(const char *path, unsigned parents, unsigned last);
/* The directory part of path ("." for none), made absolute when it
 * exists; the caller frees it. */
char	*dir_of(const char *path);

/* RFC 5322 date ("Wed, 25 Nov 2026 06:40:00 +0000") for t, into buf. */
void	 rfc5322_date(time_t t, char *buf, size_t size);

struct sockaddr;
/*
 * The address of sa as text ("192.0.2.1", "2001:db8::1") in buf, or
 * "unknown" for another family.  With unmap, an IPv4-mapped IPv6 address
 * (a dual-stack listener's view of an IPv4 client) is written as its IPv4
 * address.  Returns the family written: AF_INET, AF_INET6 or AF_UNSPEC.
 */
int	 addr_text(const struct sockaddr *sa, char *buf, size_t len,
	    bool unmap);

/* Monotonic-enough wall clock seconds (time(NULL)), overridable in tests. */
time_t	 now(void);

#endif
