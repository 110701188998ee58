/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_qfile.c — owns the one-file form of a queued message
 * (spool_qfile.h): what follows the message in queue/<id>.q, and reading
 * the envelope back.  The trailer sits at the end so that the message can
 * be written as it arrives and the envelope, known only at the end of
 * DATA, after it; a fixed length lets recovery find it with one pread.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "spool_qfile.h"
#include "util.h"

#define MAGIC	"smarthostd-queue-file 1 "

char *
qfile_tail(const struct envelope *env, size_t *len)
{
	char	*text, *out;
	size_t	 tl;

	text = envelope_to_text(env, &tl);
	out = xmalloc(tl + QFILE_TRAILER + 1);
	memcpy(out, text, tl);
	snprintf(out + tl, QFILE_TRAILER + 1, MAGIC "%016llX %016llX\n",
	    (unsigned long long)env->size, (unsigned long long)tl);
	free(text);
	*len = tl + QFILE_TRAILER;
	return out;
}

/* 16 upper-case hex digits, exactly. */
static int
hex16(const char *p, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 16; i++) {
		int	c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | (uint64_t)d;
	}
	return 0;
}

int
qfile_trailer_parse(const char *buf, size_t n, uint64_t file_size,
    uint64_t *size, uint64_t *len, const char **why)
{
	const size_t	 m = sizeof(MAGIC) - 1;

	*why = NULL;
	if (n != QFILE_TRAILER || file_size < QFILE_TRAILER)
		*why = "too short for a queue file";
	else if (memcmp(buf, MAGIC, m) != 0)
		*why = "no queue file trailer";
	else if (hex16(buf + m, size) == -1 || buf[m + 16] != ' ' ||
	    hex16(buf + m + 17, len) == -1 || buf[m + 33] != '\n')
		*why = "bad queue file trailer";
	else if (*len > QFILE_ENV_MAX)
		*why = "envelope too large";
	else if (*len > file_size - QFILE_TRAILER ||
	    *size != file_size - QFILE_TRAILER - *len)
		*why = "queue file size differs from its trailer";
	return *why == NULL ? 0 : -1;
}

/* pread exactly n octets at off, or -1 (a short file is EIO). */
static int
pread_all(int fd, char *buf, size_t n, uint64_t off)
{
	size_t	got = 0;
	ssize_t	r;

	while (got < n) {
		r = pread(fd, buf + got, n - got, (off_t)(off + got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int
qfile_open(int dirfd, const char *name, struct stat *st, const char **why)
{
	int	fd;

	*why = NULL;
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, st) == -1)
		*why = strerror(errno);
	else if (!S_ISREG(st->st_mode))
		*why = "not a file";
	if (*why != NULL) {
		close(fd);
		return -1;
	}
	return fd;
}

struct envelope *
qfile_read(int dirfd, const char *name, const char **why)
{
	struct envelope	*env = NULL;
	struct stat	 st;
	char		 tr[QFILE_TRAILER], *text = NULL;
	uint64_t	 size, len;
	int		 fd;

	if ((fd = qfile_open(dirfd, name, &st, why)) == -1)
		return NULL;
	if ((uint64_t)st.st_size < QFILE_TRAILER)
		*why = "too short for a queue file";
	else if (pread_all(fd, tr, sizeof(tr),
	    (uint64_t)st.st_size - QFILE_TRAILER) == -1)
		*why = strerror(errno);
	else if (qfile_trailer_parse(tr, sizeof(tr), (uint64_t)st.st_size,
	    &size, &len, why) == 0) {
		text = xmalloc((size_t)len + 1);
		if (pread_all(fd, text, (size_t)len, size) == -1)
			*why = strerror(errno);
		else if ((env = envelope_from_text(text, (size_t)len,
		    why)) != NULL && env->size != size) {
			*why = "message size differs from the envelope";
			envelope_free(env);
			env = NULL;
		}
	}
	free(text);
	close(fd);
	if (env != NULL)
		env->one_file = true;
	return env;
}
