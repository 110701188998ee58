/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_body-t.c — unit tests for smtp_body.c over real files: the DATA
 * and BDAT framings of the same stored message (sizes around the read
 * size, empty, no final line end, a bare CR at the end, dots), the BDAT
 * chunk size, a bounded output per fill, a file whose size is not the
 * envelope's (EIO, never a short message sent as whole), and the sends
 * straight to a socket (a socketpair with a small buffer, so that some
 * sends are partial and the rest waits in the output).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "smtp_body.h"
#include "smtp_reply.h"
#include "../tap.h"

static char	 path[] = "/tmp/smtp_body-t.XXXXXX";

/* The most one stuffed read adds to the output (smtp_body.c). */
#define STUFFED_BOUND	(SMTP_BODY_READ + SMTP_BODY_READ / 2 + 1)

static void
put_file(const char *data, size_t len)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1 ||
	    write(fd, data, len) != (ssize_t)len || close(fd) == -1) {
		perror(path);
		exit(1);
	}
}

/* Fill until done, draining the output when it passes hiwat (as a socket
 * would); the octets queued go to *out.  Returns the last fill's result
 * and, in *max, the most the output ever held. */
static int
run(struct smtp_body *b, struct evbuffer *all, size_t hiwat, size_t *max)
{
	struct evbuffer	*o = evbuffer_new();
	int		 r;

	*max = 0;
	do {
		r = smtp_body_fill(b, o, hiwat, -1);
		if (evbuffer_get_length(o) > *max)
			*max = evbuffer_get_length(o);
		evbuffer_add_buffer(all, o);
	} while (r == 0);
	evbuffer_free(o);
	return r;
}

/* Does the buffer hold exactly these len octets? */
static bool
holds(struct evbuffer *b, const char *want, size_t len)
{
	if (evbuffer_get_length(b) != len)
		return false;
	return len == 0 || memcmp(evbuffer_pullup(b, -1), want, len) == 0;
}

/* What the next hop must receive from `msg`: the octets, the last line
 * completed; and the DATA form of it, stuffed and with the final dot. */
static void
expect(const char *msg, size_t len, char **plain, size_t *plen,
    char **stuffed, size_t *slen)
{
	const char	*tail = smtp_line_end_tail(len > 0 ?
			    (unsigned char)msg[len - 1] : -1);
	bool		 bol = true;

	*plen = len + strlen(tail);
	*plain = malloc(*plen + 1);
	memcpy(*plain, msg, len);
	memcpy(*plain + len, tail, strlen(tail));
	*stuffed = malloc(2 * *plen + 4);
	*slen = smtp_dot_stuff(*plain, *plen, *stuffed, &bol);
	memcpy(*stuffed + *slen, ".\r\n", 3);
	*slen += 3;
}

static void
both(const char *msg, size_t len, const char *name)
{
	struct smtp_body	 b;
	struct evbuffer		*all;
	char			*plain, *stuffed, buf[128];
	size_t			 plen, slen, max;
	int			 sf;

	put_file(msg, len);
	expect(msg, len, &plain, &plen, &stuffed, &slen);
	for (sf = 0; sf < 2; sf++) {
		all = evbuffer_new();
		snprintf(buf, sizeof(buf), "%s: BDAT opens%s", name,
		    sf ? " (sendfile)" : "");
		ok(smtp_body_open(&b, path, len, true, sf) == 0, buf);
		snprintf(buf, sizeof(buf), "%s: BDAT size%s", name,
		    sf ? " (sendfile)" : "");
		is_int((long long)smtp_body_wire_size(&b), (long long)plen,
		    buf);
		snprintf(buf, sizeof(buf), "%s: BDAT octets as stored, "
		    "line completed%s", name, sf ? " (sendfile)" : "");
		ok(run(&b, all, 65536, &max) == 1 && holds(all, plain, plen),
		    buf);
		snprintf(buf, sizeof(buf), "%s: output bounded%s", name,
		    sf ? " (sendfile)" : "");
		ok(max <= 65536 + SMTP_BODY_READ + 2, buf);
		smtp_body_close(&b);
		evbuffer_free(all);
	}
	all = evbuffer_new();
	snprintf(buf, sizeof(buf), "%s: DATA opens", name);
	ok(smtp_body_open(&b, path, len, false, false) == 0, buf);
	snprintf(buf, sizeof(buf), "%s: DATA stuffed, final dot", name);
	ok(run(&b, all, 65536, &max) == 1 && holds(all, stuffed, slen), buf);
	smtp_body_close(&b);
	evbuffer_free(all);
	free(plain);
	free(stuffed);
}

static char	*lines(size_t);

/* Everything the peer end has for us now, into got. */
static void
take(int fd, struct evbuffer *got)
{
	char	buf[65536];
	ssize_t	n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		evbuffer_add(got, buf, (size_t)n);
}

/*
 * The fills handed a plain socket, as smtp_client.c does while its output
 * is empty; the output written to the socket as the bufferevent would.
 * The peer must receive exactly the framed message; counts the fills
 * that found the output empty and left it empty (sent it all directly).
 */
static void
direct(const char *msg, size_t len, bool bdat, const char *name)
{
	struct smtp_body	 b;
	struct evbuffer		*o = evbuffer_new(), *got = evbuffer_new();
	char			*plain, *stuffed, buf[128];
	size_t			 plen, slen, max = 0;
	int			 sv[2], r = -1, sz = 16384, empty = 0, loops = 0;

	put_file(msg, len);
	expect(msg, len, &plain, &plen, &stuffed, &slen);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == -1 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1) {
		perror("socketpair");
		exit(1);
	}
	snprintf(buf, sizeof(buf), "%s: opens", name);
	ok(smtp_body_open(&b, path, len, bdat, false) == 0, buf);
	do {
		if (evbuffer_get_length(o) == 0) {
			r = smtp_body_fill(&b, o, 65536, sv[0]);
			if (evbuffer_get_length(o) == 0)
				empty++;
		} else if (r == 0)
			r = smtp_body_fill(&b, o, 65536, -1);
		if (evbuffer_get_length(o) > max)
			max = evbuffer_get_length(o);
		(void)evbuffer_write(o, sv[0]);
		take(sv[1], got);
	} while ((r == 0 || evbuffer_get_length(o) > 0) && r != -1 &&
	    ++loops < 1000000);
	take(sv[1], got);
	snprintf(buf, sizeof(buf), "%s: the peer has the %s form", name,
	    bdat ? "BDAT" : "DATA");
	ok(r == 1 && (bdat ? holds(got, plain, plen) :
	    holds(got, stuffed, slen)), buf);
	snprintf(buf, sizeof(buf), "%s: output bounded", name);
	ok(max <= 65536 + STUFFED_BOUND, buf);
	if (len < 4096) {
		snprintf(buf, sizeof(buf), "%s: sent straight, nothing queued",
		    name);
		ok(max == 0 && empty == 1, buf);
	}
	printf("# %s: %d fills sent all directly, most queued %zu\n", name,
	    empty, max);
	smtp_body_close(&b);
	close(sv[0]);
	close(sv[1]);
	evbuffer_free(o);
	evbuffer_free(got);
	free(plain);
	free(stuffed);
}

/* A file longer than the envelope says (a spool .q: the envelope after
 * the message): the message is its first said octets, framed exactly as
 * a file of that size alone. */
static void
longer(size_t said, size_t extra, bool bdat, const char *name)
{
	struct smtp_body	 b;
	struct evbuffer		*got = evbuffer_new(), *want = evbuffer_new();
	char			*m = lines(said + extra);
	size_t			 max;
	int			 r1 = -1, r2 = -1;

	memset(m + said, 'E', extra);
	put_file(m, said);
	if (smtp_body_open(&b, path, said, bdat, false) == 0)
		r1 = run(&b, want, 65536, &max);
	smtp_body_close(&b);
	put_file(m, said + extra);
	if (smtp_body_open(&b, path, said, bdat, false) == 0)
		r2 = run(&b, got, 65536, &max);
	smtp_body_close(&b);
	ok(r1 == 1 && r2 == 1 && evbuffer_get_length(got) ==
	    evbuffer_get_length(want) && (evbuffer_get_length(got) == 0 ||
	    memcmp(evbuffer_pullup(got, -1), evbuffer_pullup(want, -1),
	    evbuffer_get_length(got)) == 0), name);
	evbuffer_free(got);
	evbuffer_free(want);
	free(m);
}

/* A file shorter than the envelope says: an error, never the end of the
 * message. */
static void
mismatch(size_t real, size_t said, bool bdat, const char *name)
{
	struct smtp_body	 b;
	struct evbuffer		*all = evbuffer_new();
	char			*m = malloc(real + 1);
	size_t			 max;
	int			 r;

	memset(m, 'm', real);
	put_file(m, real);
	r = smtp_body_open(&b, path, said, bdat, false);
	if (r == 0) {
		errno = 0;
		r = run(&b, all, 65536, &max);
	}
	ok(r == -1 && errno == EIO, name);
	smtp_body_close(&b);
	evbuffer_free(all);
	free(m);
}

static char *
lines(size_t len)
{
	char	*m = malloc(len);
	size_t	 i;

	for (i = 0; i < len; i++)
		m[i] = i % 80 == 78 ? '\r' : i % 80 == 79 ? '\n' :
		    i % 80 == 0 && i % 240 == 0 ? '.' : 'a' + i % 26;
	return m;
}

int
main(void)
{
	static const size_t	 sizes[] = { 65534, 65535, 65536, 65537,
				    131072, 131073, 3000001 };
	struct smtp_body	 b;
	char			*m, name[64];
	size_t			 i;
	int			 fd;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	both("", 0, "empty");
	both("a\r\n", 3, "one line");
	both("a", 1, "no line end");
	both("a\r", 2, "bare CR at the end");
	both(".\r\n..\r\n.x", 9, "dots");
	both("x\r\n.", 4, "a dot last");
	both("\xff\x00\r\n\x80", 5, "8-bit and NUL");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		m = lines(sizes[i]);
		snprintf(name, sizeof(name), "%zu octets", sizes[i]);
		both(m, sizes[i], name);
		free(m);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		m = lines(sizes[i]);
		snprintf(name, sizeof(name), "direct, %zu octets", sizes[i]);
		direct(m, sizes[i], false, name);
		direct(m, sizes[i], true, name);
		free(m);
	}
	direct("", 0, false, "direct, empty");
	direct(".\r\n..\r\n.x", 9, false, "direct, dots");
	direct("a\r", 2, true, "direct, bare CR at the end");
	m = malloc(200000);
	for (i = 0; i < 200000; i++)
		m[i] = i % 2 == 0 ? '.' : '\n';
	direct(m, 200000, false, "direct, every line a dot");
	free(m);
	mismatch(10, 11, true, "BDAT: file shorter than said: EIO");
	mismatch(10, 11, false, "DATA: file shorter than said: EIO");
	mismatch(200000, 200001, true, "BDAT, large: file shorter: EIO");
	longer(11, 1, true, "BDAT: file longer than said: its start only");
	longer(11, 300, false, "DATA: file longer than said: its start only");
	longer(200000, 500, true, "BDAT, large, longer: its start only");
	longer(200000, 500, false, "DATA, large, longer: its start only");
	longer(65535, 1, false, "DATA at the read size, longer: its start");
	longer(0, 100, false, "DATA: empty message in a longer file");
	longer(0, 100, true, "BDAT: empty message in a longer file");
	mismatch(0, 1, false, "DATA: empty file, one octet said: EIO");
	errno = 0;
	ok(smtp_body_open(&b, "/nonexistent/x.msg", 1, true, false) == -1 &&
	    errno == ENOENT, "missing file: ENOENT");
	smtp_body_close(&b);
	unlink(path);
	return done_testing();
}
