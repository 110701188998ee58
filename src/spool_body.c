/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * spool_body.c — owns a message body while it is received: a file in the
 * spool's tmp/ named by a fresh id, written through a 64 KiB buffer
 * (large writes straight through), octets put before the rest
 * (DKIM-Signature: fields) without a buffer of the body's size, and
 * where the first envelope's queue id stands in it.  Until the group
 * commit (spool_commit.c) fsyncs it and renames it into queue/ it is
 * garbage to a crash: tmp/ is emptied at start.  Part of the spool
 * (spool_int.h).
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"
#include "util.h"

/* Per message being received: 20 sessions of large messages hold 20 of
 * these at once (#18: memory), and larger writes gain little. */
#define BODY_BUFSIZE	(16 * 1024)

int
spool_tmp_create(struct spool *sp, const char *suffix, char *name,
    size_t size, uint64_t *stale)
{
	char	id[QUEUE_ID_MAX + 1];
	int	fd;

	/* One the unlink thread kept: no inode to allocate, and its blocks
	 * are written over rather than freed and allocated again
	 * (spool_unlink.c says why that matters). */
	*stale = 0;
	if ((fd = spool_unlinker_take(sp->unlinker, name, size, stale)) != -1)
		return fd;
	spool_new_id(sp, id, sizeof(id));
	snprintf(name, size, "%s.%s", id, suffix);
	return openat(sp->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
}

int
spool_tmp_fit(int fd, uint64_t stale, uint64_t size)
{
	return stale > size ? ftruncate(fd, (off_t)size) : 0;
}

ssize_t
spool_body_pread(int fd, void *buf, size_t len, uint64_t off, uint64_t size)
{
	if (off >= size)
		return 0;
	if (size - off < len)
		len = (size_t)(size - off);
	return pread(fd, buf, len, (off_t)off);
}

struct spool_body *
spool_body_new(struct spool *sp)
{
	struct spool_body	*b;

	b = xcalloc(1, sizeof(*b));
	b->sp = sp;
	b->fd = spool_tmp_create(sp, "body", b->name, sizeof(b->name),
	    &b->stale);
	if (b->fd == -1) {
		int saved = errno;

		log_warn("spool: create tmp/%s", b->name);
		free(b);
		errno = saved;
		return NULL;
	}
	b->buf = xmalloc(BODY_BUFSIZE);
	return b;
}

void
spool_body_id_at(struct spool_body *b, uint64_t offset)
{
	b->has_id = true;
	b->id_off = offset;
}

int
spool_body_flush(struct spool_body *b)
{
	if (b->err != 0) {
		errno = b->err;
		return -1;
	}
	if (b->buflen > 0 && write_all(b->fd, b->buf, b->buflen) == -1) {
		b->err = errno;
		return -1;
	}
	b->buflen = 0;
	return 0;
}

int
spool_body_write(struct spool_body *b, const void *data, size_t len)
{
	if (b->err != 0 || b->buf == NULL) {
		errno = b->err ? b->err : EINVAL;
		return -1;
	}
	/* A failed body is dropped by its writer: its size no longer
	 * matters. */
	if (write_buffered(b->fd, b->buf, BODY_BUFSIZE, &b->buflen, data,
	    len) == -1) {
		b->err = errno;
		return -1;
	}
	b->size += len;
	return 0;
}

/*
 * Put octets before everything written so far.  While the whole body is
 * still in the buffer this is a move in memory; otherwise a new tmp file
 * gets them and then the old file's octets, copied by the kernel
 * (copy_file_range), never through a buffer of the body's size.
 */
int
spool_body_prepend(struct spool_body *b, const void *data, size_t len)
{
	struct spool	*sp = b->sp;
	char		 name[NAME_MAX_];
	uint64_t	 stale;
	loff_t		 off = 0;
	ssize_t		 n;
	int		 in = -1, out = -1, saved;
	bool		 kernel = true;

	if (b->err != 0 || b->buf == NULL) {
		errno = b->err ? b->err : EINVAL;
		return -1;
	}
	if (b->size == b->buflen && b->buflen + len <= BODY_BUFSIZE) {
		memmove(b->buf + len, b->buf, b->buflen);
		memcpy(b->buf, data, len);
		b->buflen += len;
		b->size += len;
		b->id_off += len;
		return 0;
	}
	if (spool_body_flush(b) == -1)
		return -1;
	if ((in = openat(sp->tmpfd, b->name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1 ||
	    (out = spool_tmp_create(sp, "body", name, sizeof(name),
	    &stale)) == -1 ||
	    write_all(out, data, len) == -1)
		goto fail;
	while ((uint64_t)off < b->size) {
		if (kernel) {
			n = copy_file_range(in, &off, out, NULL,
			    b->size - off, 0);
			if (n == -1 && (errno == EXDEV || errno == ENOSYS ||
			    errno == EINVAL || errno == EOPNOTSUPP)) {
				kernel = false;
				continue;
			}
		} else {
			/* The buffer is empty after the flush. */
			n = spool_body_pread(in, b->buf, BODY_BUFSIZE,
			    (uint64_t)off, b->size);
			if (n > 0 && write_all(out, b->buf, n) == -1)
				goto fail;
			if (n > 0)
				off += n;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* shorter than written */
			goto fail;
		}
	}
	close(in);
	close(b->fd);
	if (unlinkat(sp->tmpfd, b->name, 0) == -1)
		log_warn("spool: unlink tmp/%s", b->name);
	b->fd = out;
	b->stale = stale;
	strlcpy_(b->name, name, sizeof(b->name));
	b->size += len;
	b->id_off += len;	/* the Received: id moved down with the rest */
	return 0;

fail:
	saved = errno;
	if (in != -1)
		close(in);
	if (out != -1) {
		close(out);
		unlinkat(sp->tmpfd, name, 0);
	}
	b->err = saved;
	errno = saved;
	return -1;
}

uint64_t
spool_body_size(const struct spool_body *b)
{
	return b->size;
}

/* Close and unlink the tmp name (the queue/ links, if any, remain). */
void
spool_body_release(struct spool_body *b)
{
	if (b == NULL)
		return;
	if (b->fd != -1) {
		close(b->fd);
		/* An empty name: the commit renamed it into queue/. */
		if (b->name[0] != '\0' &&
		    unlinkat(b->sp->tmpfd, b->name, 0) == -1 && errno != ENOENT)
			log_warn("spool: unlink tmp/%s", b->name);
	}
	free(b->buf);
	free(b);
}

void
spool_body_abort(struct spool_body *b)
{
	spool_body_release(b);
}
