/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_body.c — owns the stored message on its way to the next hop
 * (smtp_body.h): reads the spool file in large reads straight into the
 * connection's output evbuffer, framed for DATA (dot-stuffed, final ".")
 * or for one BDAT LAST chunk (the octets as stored); on a plain socket a
 * large BDAT body goes by sendfile from the file.  The pure pieces
 * (dot-stuffing, the completing line end) are smtp_reply.c's.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "smtp_body.h"
#include "smtp_reply.h"
#include "util.h"

/*
 * How much the next read asks: up to SMTP_BODY_READ, and never past the
 * message's size: the message is the first b->size octets of its file
 * (a spool .q holds its envelope after them: spool_qfile.h), so its end
 * is known without a read for the EOF.
 */
static size_t
body_want(const struct smtp_body *b)
{
	uint64_t	left = b->size - b->done;

	return left < SMTP_BODY_READ ? (size_t)left : SMTP_BODY_READ;
}

/* One read into buf, which holds want octets.  Returns the octets read,
 * or -1 with errno (EIO: the file is shorter than b->size octets). */
static ssize_t
body_read(struct smtp_body *b, char *buf, size_t want)
{
	uint64_t	left = b->size - b->done;
	ssize_t		n;

	if (left == 0) {
		b->eof = true;
		return 0;
	}
	do
		n = read(b->fd, buf, want);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((uint64_t)n > left || (n == 0 && left > 0)) {
		errno = EIO;
		return -1;
	}
	if ((uint64_t)n == left)
		b->eof = true;
	if (n > 0)
		b->last = (unsigned char)buf[n - 1];
	b->done += (uint64_t)n;
	return n;
}

/* BDAT without sendfile: one read straight into o's free space. */
static int
body_read_into(struct smtp_body *b, struct evbuffer *o)
{
	struct evbuffer_iovec	v;
	size_t			want = body_want(b);
	ssize_t			n;

	if (want == 0) {
		b->eof = true;
		return 0;
	}
	if (evbuffer_reserve_space(o, (ev_ssize_t)want, &v, 1) < 1) {
		errno = ENOMEM;
		return -1;
	}
	if ((n = body_read(b, v.iov_base, want)) == -1)
		return -1;
	v.iov_len = (size_t)n;
	if (n > 0 && evbuffer_commit_space(o, &v, 1) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * Dot-stuffing adds one octet per line that starts with ".", so at most
 * one per two octets (".\n"), and one before the first.
 */
#define STUFFED_MAX(n)	((n) + (n) / 2 + 1)

/* One read of the file, only single-threaded callers: one buffer each. */
#define TRAILER_MAX	8	/* line end and ".\r\n": body_trailer() */
static char	body_in[SMTP_BODY_READ + TRAILER_MAX];
static char	body_out[STUFFED_MAX(SMTP_BODY_READ) + TRAILER_MAX];

/* What follows the stored octets on the wire, into end (TRAILER_MAX
 * octets): the completing line end and, for DATA, the final ".". */
static size_t
body_trailer(struct smtp_body *b, char *end)
{
	size_t	n;

	if (b->tail == NULL)
		b->tail = smtp_line_end_tail(b->last);
	n = strlcpy_(end, b->tail, TRAILER_MAX);
	if (!b->bdat)
		n += strlcpy_(end + n, ".\r\n", TRAILER_MAX - n);
	return n;
}

/* DATA: one read, dot-stuffed into o's free space. */
static int
body_read_stuffed(struct smtp_body *b, struct evbuffer *o)
{
	char			*in = body_in;
	struct evbuffer_iovec	v;
	ssize_t			n;

	if ((n = body_read(b, in, body_want(b))) <= 0)
		return (int)n;
	if (evbuffer_reserve_space(o, STUFFED_MAX(n), &v, 1) < 1) {
		errno = ENOMEM;
		return -1;
	}
	v.iov_len = smtp_dot_stuff(in, (size_t)n, v.iov_base, &b->bol);
	if (evbuffer_commit_space(o, &v, 1) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
smtp_body_open(struct smtp_body *b, const char *path, uint64_t size,
    bool bdat, bool sendfile)
{
	unsigned char	ch;
	ssize_t		n;
	int		e;

	memset(b, 0, sizeof(*b));
	b->last = -1;
	b->bol = true;
	b->bdat = bdat;
	b->size = size;
	if ((b->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (!bdat)
		return 0;
	if (size < SMTP_BODY_READ) {
		/* A small message is read whole now: its last octet
		 * decides the chunk size, and it is the one read. */
		if ((b->ahead = evbuffer_new()) == NULL) {
			errno = ENOMEM;
			goto fail;
		}
		while (!b->eof)
			if (body_read_into(b, b->ahead) == -1)
				goto fail;
	} else {
		do
			n = pread(b->fd, &ch, 1, (off_t)(size - 1));
		while (n == -1 && errno == EINTR);
		if (n != 1) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		b->last = ch;
	}
	b->tail = smtp_line_end_tail(b->last);
	if (sendfile && b->ahead == NULL) {
		/* The segment owns the file from now on; each fill queues
		 * a slice of it, and the socket sends it by sendfile. */
		b->seg = evbuffer_file_segment_new(b->fd, 0, (ev_off_t)size,
		    EVBUF_FS_CLOSE_ON_FREE | EVBUF_FS_DISABLE_LOCKING);
		if (b->seg != NULL)
			b->fd = -1;
	}
	return 0;
fail:
	e = errno;
	smtp_body_close(b);
	errno = e;
	return -1;
}

uint64_t
smtp_body_wire_size(const struct smtp_body *b)
{
	return b->size + strlen(b->tail != NULL ? b->tail : "");
}

/*
 * The next piece of the message in one of the static buffers, framed for
 * the connection, the trailer included after the last octet (then
 * b->queued is set): *p set to it, its length returned (0 at the end),
 * -1 with errno.
 */
static ssize_t
body_piece(struct smtp_body *b, const char **p)
{
	char	*out = body_in;
	ssize_t	 n;

	if ((n = body_read(b, body_in, body_want(b))) <= 0)
		return n;
	if (!b->bdat) {
		out = body_out;
		n = (ssize_t)smtp_dot_stuff(body_in, (size_t)n, body_out,
		    &b->bol);
	}
	if (b->eof) {
		n += (ssize_t)body_trailer(b, out + n);
		b->queued = true;
	}
	*p = out;
	return n;
}

/*
 * Straight to the socket while it takes every piece and o stays empty: no
 * copy of the message in memory, one read(2) and one send(2) per piece.
 * What it does not take goes on o, and then the caller's write callback
 * carries on.  At most SMTP_BODY_DIRECT octets per call: one large
 * message to a fast peer does not hold the loop.
 */
static int
body_send(struct smtp_body *b, struct evbuffer *o, int fd)
{
	const char	*p = NULL;
	size_t		 sent = 0, k;
	ssize_t		 n;

	while (!b->eof && sent < SMTP_BODY_DIRECT &&
	    evbuffer_get_length(o) == 0) {
		if ((n = body_piece(b, &p)) == -1)
			return -1;
		if (n == 0)
			break;
		k = send_now(fd, p, (size_t)n);
		sent += k;
		if (k < (size_t)n &&
		    evbuffer_add(o, p + k, (size_t)n - k) == -1) {
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

int
smtp_body_fill(struct smtp_body *b, struct evbuffer *o, size_t hiwat,
    int fd)
{
	char	end[TRAILER_MAX];
	size_t	m, n, k;

	if (b->queued)
		return 1;
	if (b->ahead != NULL) {
		if (fd != -1 && evbuffer_get_length(o) == 0)
			(void)evbuffer_write(b->ahead, fd);
		if (evbuffer_add_buffer(o, b->ahead) == -1) {
			errno = ENOMEM;
			return -1;
		}
		evbuffer_free(b->ahead);
		b->ahead = NULL;
	}
	if (fd != -1 && b->seg == NULL && body_send(b, o, fd) == -1)
		return -1;
	if (b->queued)
		return 1;	/* the trailer went with the last piece */
	while (!b->eof && evbuffer_get_length(o) < hiwat) {
		if (b->seg != NULL) {
			m = b->size - b->done < SMTP_BODY_READ ?
			    (size_t)(b->size - b->done) : SMTP_BODY_READ;
			if (m > 0 && evbuffer_add_file_segment(o, b->seg,
			    (ev_off_t)b->done, (ev_off_t)m) == -1) {
				errno = ENOMEM;
				return -1;
			}
			b->done += m;
			b->eof = b->done == b->size;
		} else if ((b->bdat ? body_read_into(b, o) :
		    body_read_stuffed(b, o)) == -1)
			return -1;
	}
	if (!b->eof)
		return 0;
	n = body_trailer(b, end);
	k = fd != -1 && evbuffer_get_length(o) == 0 ? send_now(fd, end, n) : 0;
	if (k < n && evbuffer_add(o, end + k, n - k) == -1) {
		errno = ENOMEM;
		return -1;
	}
	b->queued = true;
	return 1;
}

void
smtp_body_close(struct smtp_body *b)
{
	if (b->fd != -1)
		close(b->fd);
	b->fd = -1;
	if (b->ahead != NULL)
		evbuffer_free(b->ahead);
	b->ahead = NULL;
	if (b->seg != NULL)
		evbuffer_file_segment_free(b->seg);
	b->seg = NULL;
}
