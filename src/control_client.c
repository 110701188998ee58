/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_client.c — owns the client side of the control protocol
 * (control_client.h): one request, one answer, one deadline, poll(2)
 * before every read and write so that a daemon that stops answering
 * cannot hang a script.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control_client.h"
#include "util.h"

#define HEAD_MAX	4096	/* the first line of the answer */

struct exchange {
	const char	*path;
	int		 fd;
	time_t		 deadline;
	int		 timeout;
	char		*err;
	size_t		 errlen;
};

/* Wait for the socket to be ready before the deadline: 0, or -1 with
 * the result in *r. */
static int
wait_for(struct exchange *x, short events, enum control_client_result *r)
{
	struct pollfd	pfd = { .fd = x->fd, .events = events };
	time_t		left;
	int		rc;

	for (;;) {
		left = x->deadline - time(NULL);
		if (left <= 0) {
			snprintf(x->err, x->errlen, "%s: no answer from "
			    "smarthostd within %d seconds", x->path,
			    x->timeout);
			*r = CTLC_TIMEOUT;
			return -1;
		}
		rc = poll(&pfd, 1, (int)left * 1000);
		if (rc > 0)
			return 0;
		if (rc == -1 && errno != EINTR) {
			snprintf(x->err, x->errlen, "poll: %s",
			    strerror(errno));
			*r = CTLC_IO;
			return -1;
		}
	}
}

static enum control_client_result
exchange_connect(struct exchange *x)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy_(sun.sun_path, x->path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		snprintf(x->err, x->errlen, "%s: socket path too long",
		    x->path);
		return CTLC_IO;
	}
	if ((x->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(x->err, x->errlen, "socket: %s", strerror(errno));
		return CTLC_IO;
	}
	if (connect(x->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int saved = errno;

		snprintf(x->err, x->errlen, "cannot connect to %s: %s%s",
		    x->path, strerror(saved), saved == ENOENT ||
		    saved == ECONNREFUSED ? " (is smarthostd running?)" : "");
		close(x->fd);
		x->fd = -1;
		errno = saved;
		return CTLC_NO_DAEMON;
	}
	return CTLC_OK;
}

static enum control_client_result
exchange_send(struct exchange *x, const char *req, size_t len)
{
	enum control_client_result	r;
	size_t				off = 0;
	ssize_t				n;

	while (off < len) {
		if (wait_for(x, POLLOUT, &r) == -1)
			return r;
		n = send(x->fd, req + off, len - off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(x->err, x->errlen, "%s: send: %s", x->path,
			    strerror(errno));
			return CTLC_IO;
		}
		off += (size_t)n;
	}
	return CTLC_OK;
}

/* Read some octets: their number, 0 at the end, -1 with *r set. */
static ssize_t
exchange_read(struct exchange *x, char *buf, size_t size,
    enum control_client_result *r)
{
	ssize_t	n;

	for (;;) {
		if (wait_for(x, POLLIN, r) == -1)
			return -1;
		n = read(x->fd, buf, size);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN) {
			snprintf(x->err, x->errlen, "%s: read: %s", x->path,
			    strerror(errno));
			*r = CTLC_IO;
			return -1;
		}
	}
}

static enum control_client_result
exchange_answer(struct exchange *x, FILE *out)
{
	enum control_client_result	 r = CTLC_OK;
	char				 head[HEAD_MAX + 1], buf[8192], *nl;
	size_t				 hlen = 0, rest;
	ssize_t				 n;

	/* The first line says ok or error. */
	while ((nl = memchr(head, '\n', hlen)) == NULL) {
		if (hlen == HEAD_MAX) {
			snprintf(x->err, x->errlen, "%s: answer line too "
			    "long", x->path);
			return CTLC_PROTOCOL;
		}
		if ((n = exchange_read(x, head + hlen, HEAD_MAX - hlen,
		    &r)) == -1)
			return r;
		if (n == 0) {
			snprintf(x->err, x->errlen, "%s: connection closed "
			    "without an answer", x->path);
			return CTLC_PROTOCOL;
		}
		hlen += (size_t)n;
	}
	*nl = '\0';
	if (strncmp(head, "error ", 6) == 0) {
		snprintf(x->err, x->errlen, "%s", head + 6);
		return CTLC_REFUSED;
	}
	if (strcmp(head, "ok") != 0) {
		snprintf(x->err, x->errlen, "%s: unexpected answer "
		    "\"%.100s\"", x->path, head);
		return CTLC_PROTOCOL;
	}

	/* The rest is the output, streamed as it comes. */
	nl++;
	rest = hlen - (size_t)(nl - head);
	if (fwrite(nl, 1, rest, out) != rest)
		goto out_error;
	while ((n = exchange_read(x, buf, sizeof(buf), &r)) > 0)
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			goto out_error;
	if (n == -1)
		return r;
	if (fflush(out) == EOF)
		goto out_error;
	return CTLC_OK;

out_error:
	snprintf(x->err, x->errlen, "stdout: %s", strerror(errno));
	return CTLC_IO;
}

enum control_client_result
control_client_run(const char *path, const char *req, size_t len,
    int timeout, FILE *out, char *err, size_t errlen)
{
	struct exchange			x;
	enum control_client_result	r;

	x.path = path;
	x.fd = -1;
	x.timeout = timeout;
	x.deadline = time(NULL) + timeout;
	x.err = err;
	x.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if ((r = exchange_connect(&x)) == CTLC_OK &&
	    (r = exchange_send(&x, req, len)) == CTLC_OK)
		r = exchange_answer(&x, out);
	if (x.fd != -1)
		close(x.fd);
	return r;
}
