/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * receive-t.c — the one reception path against a real spool in a temporary
 * directory, on a real event loop: batches and ids, Received: per origin,
 * added Message-ID:/Date:, the hooks (header filter, end of headers, body
 * observer, finish), release before and during the commit, and what the
 * sink and the callback are given.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "envelope.h"
#include "log.h"
#include "receive.h"
#include "spool.h"
#include "spool_commit.h"
#include "spool_qfile.h"
#include "util.h"
#include "../tap.h"

static char			 top[64], spooldir[128];
static struct event_base	*base;
static struct spool		*sp;
static struct spool_commits	*cm;
static struct config		*cfg;

/* What the sink was given. */
static struct envelope		*sunk[8];
static int			 n_sunk;

struct done {
	int	calls, ok;
	char	id[QUEUE_ID_MAX + 1];
};

static void
sink(void *arg, struct envelope *env)
{
	if (n_sunk < 8)
		sunk[n_sunk++] = env;
	else
		envelope_free(env);
}

static void
sink_clear(void)
{
	while (n_sunk > 0)
		envelope_free(sunk[--n_sunk]);
}

static void
done_cb(void *arg, int ok_, const char *id)
{
	struct done	*d = arg;

	d->calls++;
	d->ok = ok_;
	strlcpy_(d->id, id, sizeof(d->id));
}

/* The message in queue/<id>.q: what comes before its envelope. */
static char *
slurp_msg(const char *id)
{
	char		 path[512], *buf;
	const char	*why;
	struct stat	 st;
	uint64_t	 size, len;
	int		 fd;
	ssize_t		 n;

	snprintf(path, sizeof(path), "%s/queue/%s.q", spool_dir(sp), id);
	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	buf = xmalloc(st.st_size + 1);
	n = read(fd, buf, st.st_size);
	close(fd);
	if (n != st.st_size || n < QFILE_TRAILER || qfile_trailer_parse(buf + n - QFILE_TRAILER,
	    QFILE_TRAILER, (uint64_t)n, &size, &len, &why) == -1) {
		free(buf);
		return NULL;
	}
	buf[size] = '\0';
	return buf;
}

static int
count_dir(const char *sub)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s", spooldir, sub);
	return tap_count_dir(path);
}

/* Write text in chunks of every size from 1 up, so that the header scan
 * sees its end split anywhere. */
static void
write_chunked(struct receive_tx *tx, const char *text)
{
	size_t	len = strlen(text), off = 0, n = 1;

	while (off < len) {
		if (n > len - off)
			n = len - off;
		receive_write(tx, text + off, n);
		off += n;
		n = n % 7 + 1;
	}
}

static struct receive_origin
smtp_origin(enum batch_mode batch)
{
	struct receive_origin	o;

	memset(&o, 0, sizeof(o));
	o.kind = RECEIVE_SMTP;
	o.listener = "in";
	o.batch = batch;
	o.helo = "client.test";
	o.client = "127.0.0.9";
	o.esmtp = true;
	return o;
}

static void
test_smtp(struct receive *rc)
{
	char			*rcpts[] = { "a@one.test", "b@two.test",
				    "c@ONE.test" };
	struct receive_origin	 o = smtp_origin(BATCH_BY_DOMAIN);
	struct receive_tx	*tx;
	struct done		 d = { 0, -1, "" };
	char			*msg, *want, id0[QUEUE_ID_MAX + 1];
	const char		*body = "Subject: hi\r\n\r\nline 1\r\n.line 2\r\n";

	o.add_message_id = true;
	o.add_date = true;
	o.auth_user = "alice";
	o.tls_info = "TLSv1.3 with cipher X";
	tx = receive_begin(rc, cfg, &o, "s@src.test", rcpts, 3);
	ok(tx != NULL, "smtp: begin");
	strlcpy_(id0, receive_id(tx), sizeof(id0));
	ok(envelope_id_valid(id0), "smtp: first id planned at begin");
	is_int(count_dir("tmp"), 1, "smtp: body open in tmp/");
	write_chunked(tx, body);
	ok(receive_commit(tx, done_cb, &d, NULL) == 0, "smtp: commit");
	is_int(d.calls, 0, "smtp: no callback inside the commit");
	event_base_dispatch(base);
	is_int(d.calls, 1, "smtp: callback once");
	is_int(d.ok, 1, "smtp: ok");
	is_str(d.id, id0, "smtp: callback names the first id");
	is_int(n_sunk, 2, "smtp: by_domain: two batches to the sink");
	if (n_sunk != 2)
		return;
	is_str(sunk[0]->id, id0, "smtp: first batch has the first id");
	ok(strcmp(sunk[1]->id, id0) > 0, "smtp: second batch its own id");
	ok(sunk[0]->n_rcpts == 2 && strcmp(sunk[0]->rcpts[1].addr,
	    "c@ONE.test") == 0, "smtp: domains compare case-insensitively");
	is_str(sunk[1]->rcpts[0].addr, "b@two.test", "smtp: second batch");
	is_str(sunk[0]->listener, "in", "smtp: listener");
	is_str(sunk[0]->helo, "client.test", "smtp: helo");
	is_str(sunk[0]->client, "127.0.0.9", "smtp: client");
	is_str(sunk[0]->auth_user, "alice", "smtp: auth user");
	ok(sunk[0]->size == sunk[1]->size && sunk[0]->size > 0,
	    "smtp: sizes set from the shared body");

	msg = slurp_msg(id0);
	ok(msg != NULL, "smtp: .q queued");
	if (msg == NULL)
		return;
	want = xasprintf("Received: from client.test (unknown [127.0.0.9])"
	    "\r\n\t(using TLSv1.3 with cipher X)\r\n\t(Authenticated sender: "
	    "alice)\r\n\tby relay.test with ESMTPSA id %s; ", id0);
	ok(strncmp(msg, want, strlen(want)) == 0, "smtp: Received: first");
	free(want);
	want = xasprintf("Subject: hi\r\nMessage-ID: <%s@relay.test>\r\n"
	    "Date: ", id0);
	ok(strstr(msg, want) != NULL, "smtp: Message-ID and Date added "
	    "where the header section ends");
	free(want);
	want = "\r\n\r\nline 1\r\n.line 2\r\n";
	ok(strlen(msg) > strlen(want) && strcmp(msg + strlen(msg) -
	    strlen(want), want) == 0,
	    "smtp: body intact after the empty line");
	free(msg);
	sink_clear();
}

static void
test_pickup(struct receive *rc)
{
	char			*rcpts[] = { "x@one.test" };
	struct receive_origin	 o;
	struct receive_tx	*tx;
	struct done		 d = { 0, -1, "" };
	char			*msg, *want;

	memset(&o, 0, sizeof(o));
	o.kind = RECEIVE_PICKUP;
	o.listener = LISTENER_SENDMAIL;
	o.batch = BATCH_BY_DOMAIN;
	o.uid = 1234;
	tx = receive_begin(rc, cfg, &o, "", rcpts, 1);
	receive_write(tx, "Date: x\r\nMessage-ID: <m@x>\r\n\r\nhello\r\n",
	    38);
	receive_set_body8bit(tx, true);
	ok(receive_commit(tx, done_cb, &d, NULL) == 0, "pickup: commit");
	event_base_dispatch(base);
	ok(d.ok == 1 && n_sunk == 1, "pickup: one message queued");
	if (n_sunk != 1)
		return;
	is_str(sunk[0]->listener, "sendmail", "pickup: listener sendmail");
	ok(sunk[0]->helo == NULL && sunk[0]->client == NULL,
	    "pickup: no helo, no client");
	ok(sunk[0]->body8bit, "pickup: 8-bit body learnt late");
	msg = slurp_msg(d.id);
	want = xasprintf("Received: by relay.test (smarthostd, from userid "
	    "1234)\r\n\tid %s\r\n\tfor <x@one.test>; ", d.id);
	ok(msg != NULL && strncmp(msg, want, strlen(want)) == 0,
	    "pickup: Received: names the user id and the one recipient");
	ok(msg != NULL && strstr(msg, "\r\n\r\nhello\r\n") != NULL,
	    "pickup: message follows");
	free(want);
	free(msg);
	sink_clear();
}

static void
test_bounce(struct receive *rc)
{
	char			*rcpt = "orig@src.test";
	struct receive_origin	 o;
	struct receive_tx	*tx;
	struct done		 d = { 0, -1, "" };
	char			*msg;

	memset(&o, 0, sizeof(o));
	o.kind = RECEIVE_BOUNCE;
	o.listener = LISTENER_BOUNCE;
	o.batch = BATCH_BIFURCATE_ALWAYS;
	o.bounce_of = "0123456789ABCDEF";
	tx = receive_begin(rc, cfg, &o, "", &rcpt, 1);
	receive_write(tx, "From: MAILER-DAEMON\r\n\r\nsorry\r\n", 30);
	ok(receive_commit(tx, done_cb, &d, NULL) == 0, "bounce: commit");
	event_base_dispatch(base);
	ok(d.ok == 1 && n_sunk == 1, "bounce: queued");
	msg = slurp_msg(d.id);
	is_str(msg, "From: MAILER-DAEMON\r\n\r\nsorry\r\n",
	    "bounce: stored as written, no Received:");
	if (n_sunk == 1)
		ok(sunk[0]->sender[0] == '\0' && strcmp(sunk[0]->listener,
		    "bounce") == 0, "bounce: null sender, listener bounce");
	free(msg);
	sink_clear();
}

/* Headers only, no empty line: added fields at the end (as headers.t
 * expects of the daemon). */
static void
test_headers_only(struct receive *rc)
{
	char			*rcpts[] = { "a@one.test" };
	struct receive_origin	 o = smtp_origin(BATCH_BY_DOMAIN);
	struct receive_tx	*tx;
	struct done		 d = { 0, -1, "" };
	char			*msg, *want;

	o.add_message_id = true;
	tx = receive_begin(rc, cfg, &o, "s@src.test", rcpts, 1);
	write_chunked(tx, "Subject: only\r\nX-Long: a\r\n b\r\n");
	receive_commit(tx, done_cb, &d, NULL);
	event_base_dispatch(base);
	msg = slurp_msg(d.id);
	want = xasprintf("\r\nSubject: only\r\nX-Long: a\r\n b\r\n"
	    "Message-ID: <%s@relay.test>\r\n", d.id);
	ok(msg != NULL && strlen(msg) > strlen(want) &&
	    strcmp(msg + strlen(msg) - strlen(want), want) == 0,
	    "headers only: Message-ID at the end");
	free(want);
	free(msg);
	sink_clear();
}

/*
 * Hooks.
 */
struct hookstate {
	int		 starts, ends;
	int		 fields;
	struct buf	 observed;
	size_t		 in_header, in_body;
	int		 refuse;
};

static void *
h_start(void *arg, struct receive_tx *tx)
{
	struct hookstate	*h = arg;
	int			*n = xcalloc(1, sizeof(*n));

	h->starts++;
	return n;
}

static void
h_stop(void *arg, struct receive_tx *tx)
{
	struct hookstate	*h = arg;

	h->ends++;
	free(receive_hook_state(tx));
}

/* The stream filter: 'z' becomes 'Z'; counts octets in its state. */
static void
h_filter(void *arg, struct receive_tx *tx, const char *in, size_t len,
    struct buf *out)
{
	int	*n = receive_hook_state(tx);
	size_t	 i;

	for (i = 0; i < len; i++)
		buf_add(out, in[i] == 'z' ? "Z" : &in[i], 1);
	*n += (int)len;
}

static void
h_filter_finish(void *arg, struct receive_tx *tx, struct buf *out)
{
	buf_str(out, "-- end\r\n");
}

static int
h_header(void *arg, struct receive_tx *tx, const char *f, size_t len)
{
	struct hookstate	*h = arg;

	h->fields++;
	if (len >= 9 && strncasecmp(f, "X-Secret:", 9) == 0)
		return 1;			/* dropped */
	if (len >= 8 && strncasecmp(f, "Subject:", 8) == 0) {
		receive_emit(tx, "Subject: [ext] ", 15);
		receive_emit(tx, f + 9, len - 9);
		return 1;
	}
	return 0;
}

static void
h_end(void *arg, struct receive_tx *tx)
{
	receive_emit(tx, "X-Added: yes\r\n", 14);
}

static void
h_body(void *arg, struct receive_tx *tx, const char *buf, size_t len,
    bool in_header)
{
	struct hookstate	*h = arg;

	buf_add(&h->observed, buf, len);
	if (in_header)
		h->in_header += len;
	else
		h->in_body += len;
}

static int
h_finish(void *arg, struct receive_tx *tx, const char **reply)
{
	struct hookstate	*h = arg;

	if (!h->refuse)
		return 0;
	*reply = "554 5.7.1 refused by a hook";
	return -1;
}

static const struct receive_hooks hooks = {
	.start = h_start,
	.filter = h_filter,
	.filter_finish = h_filter_finish,
	.header = h_header,
	.headers_end = h_end,
	.body = h_body,
	.finish = h_finish,
	.end = h_stop
};

static void
test_hooks(struct receive *rc)
{
	char			*rcpts[] = { "a@one.test" };
	struct receive_origin	 o = smtp_origin(BATCH_BY_DOMAIN);
	struct receive_tx	*tx;
	struct hookstate	 h;
	struct done		 d = { 0, -1, "" };
	const char		*reply = NULL;
	char			*msg, *p;

	memset(&h, 0, sizeof(h));
	receive_set_hooks(rc, &hooks, &h);
	o.add_date = true;
	tx = receive_begin(rc, cfg, &o, "s@src.test", rcpts, 1);
	is_int(h.starts, 1, "hooks: start ran at begin");
	write_chunked(tx, "Subject: plans\r\nX-Secret: one\r\n two\r\n"
	    "To: a@one.test\r\n\r\nzebra\r\n");
	is_int(*(int *)receive_hook_state(tx), 62, "hooks: filter saw every "
	    "octet, with its own state");
	receive_commit(tx, done_cb, &d, NULL);
	event_base_dispatch(base);
	is_int(d.ok, 1, "hooks: queued");
	is_int(h.fields, 3, "hooks: three fields, a folded one whole");
	msg = slurp_msg(d.id);
	p = msg != NULL ? strstr(msg, "Subject:") : NULL;
	ok(p != NULL && strncmp(p, "Subject: [ext] plans\r\nTo: a@one.test"
	    "\r\nX-Added: yes\r\nDate: ", 56) == 0,
	    "hooks: field rewritten, field dropped, field added before Date");
	ok(msg != NULL && strstr(msg, "Secret") == NULL && strstr(msg,
	    "two") == NULL, "hooks: no part of the dropped field stored");
	ok(p != NULL && h.observed.p != NULL && strcmp(h.observed.p, p) == 0,
	    "hooks: body observer saw exactly what was stored after "
	    "Received:");
	ok(h.in_body == strlen("\r\nZebra\r\n-- end\r\n") && msg != NULL &&
	    strstr(msg, "\r\n\r\nZebra\r\n-- end\r\n") != NULL,
	    "hooks: body part from the empty line on, filtered and finished");
	is_int(h.ends, 1, "hooks: end ran once");
	free(msg);
	sink_clear();
	free(h.observed.p);

	memset(&h, 0, sizeof(h));
	h.refuse = 1;
	d.calls = 0;
	tx = receive_begin(rc, cfg, &o, "s@src.test", rcpts, 1);
	receive_write(tx, "\r\nx\r\n", 5);
	ok(receive_commit(tx, done_cb, &d, &reply) == -1,
	    "finish hook refuses: commit fails at once");
	is_str(reply, "554 5.7.1 refused by a hook", "finish hook's reply");
	event_base_dispatch(base);
	ok(d.calls == 0 && n_sunk == 0, "refused: no callback, nothing "
	    "queued");
	is_int(count_dir("tmp"), 0, "refused: tmp/ empty");
	ok(h.starts == 1 && h.ends == 1, "refused: end ran");
	free(h.observed.p);
	receive_set_hooks(rc, NULL, NULL);
}

static void
test_release(struct receive *rc)
{
	char			*rcpts[] = { "a@one.test" };
	struct receive_origin	 o = smtp_origin(BATCH_BY_DOMAIN);
	struct receive_tx	*tx;
	struct done		 d = { 0, -1, "" };
	int			 q0 = count_dir("queue");

	tx = receive_begin(rc, cfg, &o, "s@src.test", rcpts, 1);
	receive_write(tx, "\r\nx\r\n", 5);
	receive_release(tx);
	is_int(count_dir("tmp"), 0, "released before commit: body gone");

	tx = receive_begin(rc, cfg, &o, "s@src.test", rcpts, 1);
	receive_write(tx, "\r\nx\r\n", 5);
	receive_commit(tx, done_cb, &d, NULL);
	receive_release(tx);		/* the client went away */
	event_base_dispatch(base);
	is_int(d.calls, 0, "released during commit: no callback");
	is_int(n_sunk, 1, "released during commit: queued all the same");
	is_int(count_dir("queue") - q0, 1, "released during commit: on disk");
	sink_clear();
}

int
main(void)
{
	struct receive	*rc;
	char		 err[256], *text, cmd[128];

	log_init("receive-t", 1, LOG_LEVEL_WARN);
	strlcpy_(top, "/tmp/receive-t.XXXXXX", sizeof(top));
	if (mkdtemp(top) == NULL)
		fatal("mkdtemp");
	snprintf(spooldir, sizeof(spooldir), "%s/spool", top);
	base = event_base_new();
	if ((sp = spool_open(spooldir, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((cm = spool_commits_new(sp, base)) == NULL)
		fatal("spool_commits_new");
	text = xasprintf("hostname = \"relay.test\";\nspool = \"%s\";\n",
	    spooldir);
	if ((cfg = config_load_string(text, "t.conf", err, sizeof(err))) ==
	    NULL)
		fatalx("%s", err);
	free(text);
	rc = receive_new(sp, cm, sink, NULL);

	test_smtp(rc);
	test_pickup(rc);
	test_bounce(rc);
	test_headers_only(rc);
	test_hooks(rc);
	test_release(rc);

	spool_commits_free(cm);
	spool_free(sp);
	receive_free(rc);
	config_unref(cfg);
	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", top);
	return done_testing();
}
