/*
 * util.h — allocation that never returns NULL, and small string helpers.
 */
#ifndef SMARTHOSTD_UTIL_H
#define SMARTHOSTD_UTIL_H

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
/* Case-insensitive ASCII equality. */
int	 strcaseeq(const char *, const char *);

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

/* RFC 5322 date ("Wed, 25 Nov 2026 06:40:00 +0000") for t, into buf. */
void	 rfc5322_date(time_t t, char *buf, size_t size);

/* Monotonic-enough wall clock seconds (time(NULL)), overridable in tests. */
time_t	 now(void);

#endif
