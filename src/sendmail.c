/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sendmail.c — smarthost-sendmail, the sendmail(1)-compatible injector
 * for scripts, cron and devices (and, through links, `sendmail` and
 * `mailq`).  It owns the command line, reading the message from stdin
 * and the hand-over of one file to the spool's incoming/ area, in the
 * format incoming_env.h describes, made durable by durable.c; what it
 * decides about the message (recipients, line ends, the lone-dot rule,
 * the header fixes: Bcc removed, From, Message-ID and Date added when
 * missing) is inject.c's.  It never talks to the daemon to send: the
 * message waits in incoming/ until smarthostd takes it, so injection
 * works while the daemon is down.  The file itself is sendmail_out.c's,
 * mailq sendmail_mailq.c's (sendmail.h).
 *
 * Exit status as sendmail's (sysexits.h): 0 only once the message is
 * durably in incoming/; EX_USAGE for the command line, EX_DATAERR for bad
 * addresses or message, EX_CONFIG for the configuration, EX_NOPERM or
 * EX_TEMPFAIL when the spool cannot take it.
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "incoming_env.h"
#include "inject.h"
#include "log.h"
#include "sendmail.h"
#include "smtp_data.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define HEADER_MAX	(1024 * 1024)	/* header section held in memory */
#define LINE_SEG	8192		/* longer lines are read in pieces */
#define IO_BUFSIZE	(64 * 1024)	/* reads from stdin */

const char *progname = "smarthost-sendmail";

/* What the injector needs of the configuration. */
struct settings {
	struct config	*cfg;		/* hostname, spool, control */
	const char	*hostname, *spool, *control;	/* in cfg */
	uint64_t	 max_size;	/* incoming_max_size() */
};

struct opts {
	const char	*cfgpath;
	const char	*sender;	/* -f, or NULL */
	const char	*fullname;	/* -F, or NULL */
	bool		 tflag, iflag, mailq, verbose;
	/* DSN (RFC 3461), as sendmail takes them: -R, -V, -N. */
	enum dsn_ret	 ret;
	char		 envid[DSN_ENVID_MAX + 1];	/* "" if none */
	unsigned	 notify;
};

/* The usage on stdout with status 0 (--help), else on stderr. */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: %s [-ti] [-C file] [-f sender] [-F fullname] "
	    "[recipient ...]\n"
	    "       %s -bp [-C file]\n"
	    "       %s --help | --version\n"
	    "  -t          recipients also from To:, Cc: and Bcc:\n"
	    "  -i, -oi     a line with a single dot does not end the message\n"
	    "  -f sender   envelope sender (default: you at the hostname)\n"
	    "  -F name     full name for the From: header\n"
	    "  -C file     configuration (default %s/smarthostd.conf)\n"
	    "  -bp         list the queue, as mailq\n"
	    "  -N dsn      DSN notify: never, or success,failure,delay\n"
	    "  -R ret      DSN return: full or hdrs\n"
	    "  -V envid    DSN envelope id (xtext)\n"
	    "ignored: -B type, -bm, -h N, -L tag, -m, -n, -odX, "
	    "-oeX, -om, -U, -v\n",
	    progname, progname, progname, SYSCONFDIR);
	exit(status);
}

/*
 * Configuration.
 */

/*
 * The whole file when we can read all it names; otherwise only the
 * settings we need (config_load_local(): the same code and defaults).  An
 * ordinary user usually cannot read the TLS keys and password files that
 * config_load() checks, and must still be able to send.  Whatever else is
 * wrong with the file is the daemon's to report; the message waits in
 * incoming/ meanwhile.
 */
static void
load_settings(const char *path, struct settings *st, bool verbose)
{
	struct config	*cfg;
	char		 err[1024];

	if ((cfg = config_load(path, err, sizeof(err))) == NULL) {
		if (verbose)
			fprintf(stderr, "%s: %s; reading only hostname, spool "
			    "and control\n", progname, err);
		if ((cfg = config_load_local(path, err, sizeof(err))) == NULL)
			die(EX_CONFIG, "%s", err);
	}
	st->cfg = cfg;
	st->hostname = cfg->hostname;
	st->spool = cfg->spool;
	st->control = cfg->control;
	st->max_size = incoming_max_size(cfg);
}

/*
 * Addresses.
 */

/* An error of inject_addr_list() or inject_filter_headers(). */
static void __attribute__((noreturn))
rcpt_fail(int ret, const char *bad, const char *where)
{
	if (ret == INJECT_TOOMANY)
		die(EX_DATAERR, "too many recipients (at most %d)",
		    INCOMING_RCPT_MAX);
	die(EX_DATAERR, "bad recipient address \"%s\"%s", bad, where);
}

/*
 * Reading the message: lines of any length from stdin, any line end.
 */

struct reader {
	char	 buf[IO_BUFSIZE];
	size_t	 off, len;
	bool	 eof;
	struct inject_line line;
	char	 seg[LINE_SEG];
};

/*
 * The next piece of a line, without its line end, into r->seg.  Returns
 * its length with *eol set when the line ended there (LF, CRLF or a bare
 * CR; the last line needs none), or -1 at the end of input.
 */
static ssize_t
reader_next(struct reader *r, bool *eol)
{
	ssize_t	got;
	size_t	n;
	bool	done;

	*eol = false;
	r->line.n = 0;
	for (;;) {
		if (r->off == r->len) {
			if (r->eof)
				break;
			got = read(STDIN_FILENO, r->buf, sizeof(r->buf));
			if (got == -1 && errno == EINTR)
				continue;
			if (got == -1)
				die(EX_IOERR, "reading the message: %s",
				    strerror(errno));
			if (got == 0)
				r->eof = true;
			r->off = 0;
			r->len = (size_t)got;
			continue;
		}
		r->off += inject_line_take(&r->line, r->buf + r->off,
		    r->len - r->off, r->seg, sizeof(r->seg), &done, eol);
		if (done)
			return r->line.n;
	}
	if ((n = r->line.n) > 0) {
		*eol = true;
		return n;
	}
	return -1;
}

/*
 * The header section.
 */

struct message {
	char		*hbuf;		/* header section and what followed */
	size_t		 hlen, hcap;
	struct hdr_scan	 hs;
	bool		 ended;		/* the lone dot or end of input seen */
	bool		 at_bol;
};

static void
hbuf_add(struct message *m, const char *p, size_t n)
{
	if (m->hlen + n + 2 > HEADER_MAX)
		die(EX_DATAERR, "the header section is longer than %d octets",
		    HEADER_MAX);
	if (m->hlen + n + 2 > m->hcap) {
		m->hcap = m->hcap ? m->hcap * 2 : 16384;
		while (m->hcap < m->hlen + n + 2)
			m->hcap *= 2;
		m->hbuf = xreallocarray(m->hbuf, m->hcap, 1);
	}
	memcpy(m->hbuf + m->hlen, p, n);
	m->hlen += n;
}

/* Is this piece the line "." that ends input (sendmail without -i)? */
static bool
lone_dot(const struct message *m, const struct opts *o, const char *seg,
    ssize_t n, bool eol)
{
	return n >= 0 && inject_lone_dot(o->iflag, m->at_bol, seg, (size_t)n,
	    eol);
}

/* Read until the header section has ended (or the message has). */
static void
read_headers(struct reader *r, struct message *m, const struct opts *o)
{
	ssize_t	n;
	size_t	before;
	bool	eol;

	hdr_scan_init(&m->hs);
	m->at_bol = true;
	while (!m->hs.done) {
		if ((n = reader_next(r, &eol)) == -1 ||
		    lone_dot(m, o, r->seg, n, eol)) {
			m->ended = true;
			hdr_scan_finish(&m->hs);
			break;
		}
		before = m->hlen;
		hbuf_add(m, r->seg, n);
		if (eol)
			hbuf_add(m, "\r\n", 2);
		m->at_bol = eol;
		hdr_scan_feed(&m->hs, m->hbuf + before, m->hlen - before);
	}
	if (m->hs.end_offset > m->hlen)
		die(EX_SOFTWARE, "header scan out of range");
}

/*
 * Options, the sendmail way: -fsender and -f sender, -oi, -odi, -B8BITMIME.
 */

static void
parse_o(struct opts *o, const char *arg)
{
	if (strcmp(arg, "i") == 0)
		o->iflag = true;
	else if (arg[0] == 'd' || arg[0] == 'e' || strcmp(arg, "m") == 0)
		;	/* delivery and error modes: we always queue */
	else
		die(EX_USAGE, "-o%s is not supported", arg);
}

enum { OPT_HELP = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int
parse_args(int argc, char **argv, struct opts *o)
{
	int	ch;

	/* "+": options end at the first recipient, as in sendmail.  -h is
	 * sendmail's hop count; help is only --help. */
	while ((ch = getopt_long(argc, argv, "+B:b:C:F:f:h:iL:mN:no:R:r:tUV:v",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_HELP:
			usage(0);
		case OPT_VERSION:
			printf("%s %s\n", progname, PACKAGE_VERSION);
			exit(0);
		case 'b':
			if (strcmp(optarg, "p") == 0)
				o->mailq = true;
			else if (strcmp(optarg, "m") != 0)
				die(EX_USAGE, "-b%s is not supported", optarg);
			break;
		case 'C':
			o->cfgpath = optarg;
			break;
		case 'F':
			o->fullname = optarg;
			break;
		case 'f':
		case 'r':
			o->sender = optarg;
			break;
		case 'i':
			o->iflag = true;
			break;
		case 'o':
			parse_o(o, optarg);
			break;
		case 't':
			o->tflag = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'B':	/* body type: stored as given anyway */
		case 'h':	/* hop count */
		case 'L':	/* syslog tag */
		case 'm':	/* send to me too */
		case 'n':	/* no aliasing */
		case 'U':	/* initial submission */
			break;
		case 'N':	/* DSN notify: never or success,failure,delay */
			if (dsn_notify_parse(optarg, strlen(optarg),
			    &o->notify) == -1)
				die(EX_USAGE, "bad -N \"%s\": never, or a list "
				    "of success, failure, delay", optarg);
			break;
		case 'R':	/* DSN return: full or hdrs */
			if (dsn_ret_parse(optarg, strlen(optarg), &o->ret) == -1)
				die(EX_USAGE, "bad -R \"%s\": full or hdrs",
				    optarg);
			break;
		case 'V':	/* DSN envelope id, in xtext */
			if (dsn_envid_parse(optarg, strlen(optarg),
			    o->envid) == -1)
				die(EX_USAGE, "bad -V \"%s\": at most %d "
				    "characters of xtext", optarg,
				    DSN_ENVID_MAX);
			break;
		default:
			usage(EX_USAGE);
		}
	}
	return optind;
}

/* The envelope sender: -f as given (a bare name gets @hostname; "" and
 * "<>" are the null sender), else the invoking user at hostname. */
static char *
make_sender(const struct opts *o, const char *hostname, char **gecos)
{
	struct passwd	*pw;
	char		*a, *bad;

	*gecos = NULL;
	if (o->sender != NULL) {
		if ((a = inject_sender(o->sender, hostname, &bad)) == NULL)
			die(EX_DATAERR, "bad sender address \"%s\"", bad);
		return a;
	}
	if ((pw = getpwuid(getuid())) == NULL)
		die(EX_NOUSER, "no user name for uid %ld; give a sender with "
		    "-f", (long)getuid());
	if ((a = inject_qualify(pw->pw_name, hostname)) == NULL)
		die(EX_DATAERR, "user name \"%s\" makes no valid address; "
		    "give a sender with -f", pw->pw_name);
	*gecos = inject_gecos_name(pw->pw_gecos);
	return a;
}

int
main(int argc, char **argv)
{
	struct opts	 o;
	struct settings	 st;
	struct inject_rcpts rc = { NULL, 0 };
	struct reader	*r;
	struct message	 m;
	struct incoming_env ie;
	struct sendmail_out *out;
	char		*sender, *gecos, *name = NULL, *kept, *added, *envtext;
	char		*bad, rnd[33];
	const char	*base;
	size_t		 keptlen = 0, len;
	ssize_t		 n;
	bool		 has_from, eol;
	int		 i, first, ret;

	if (argc > 0 && argv[0] != NULL) {
		base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		if (*base != '\0')
			progname = base;
	}
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	o.cfgpath = SYSCONFDIR "/smarthostd.conf";
	o.mailq = strcmp(progname, "mailq") == 0;
	log_init(progname, 1, LOG_LEVEL_WARN);
	first = parse_args(argc, argv, &o);
	load_settings(o.cfgpath, &st, o.verbose);
	if (o.mailq) {
		i = sendmail_mailq(st.cfg);
		config_unref(st.cfg);
		return i;
	}

	sender = make_sender(&o, st.hostname, &gecos);
	for (i = first; i < argc; i++)
		if ((ret = inject_addr_list(&rc, argv[i], st.hostname,
		    &bad)) != INJECT_OK)
			rcpt_fail(ret, bad, "");
	if (!o.tflag && rc.n == 0)
		die(EX_USAGE, "no recipients given (name them, or use -t)");

	/* The header section first: -t needs it before the envelope. */
	r = xcalloc(1, sizeof(*r));
	memset(&m, 0, sizeof(m));
	read_headers(r, &m, &o);
	if ((ret = inject_filter_headers(m.hbuf, m.hs.end_offset, o.tflag, &rc,
	    st.hostname, &kept, &keptlen, &has_from, &bad)) != INJECT_OK)
		rcpt_fail(ret, bad, " in the header");
	if (rc.n == 0)
		die(EX_DATAERR, "no recipient addresses found in the header");
	if (o.fullname != NULL)
		name = inject_clean_name(o.fullname);
	else if (o.sender == NULL && gecos != NULL)
		name = inject_clean_name(gecos);
	random_hex(rnd, 8);
	added = inject_added_headers(&m.hs, has_from, sender, name,
	    st.hostname, now(), rnd);

	/* Now the file. */
	memset(&ie, 0, sizeof(ie));
	ie.sender = sender;
	ie.rcpts = rc.v;
	ie.n_rcpts = rc.n;
	ie.ret = o.ret;
	ie.envid = o.envid[0] != '\0' ? o.envid : NULL;
	ie.notify = o.notify;
	envtext = incoming_env_to_text(&ie, &len);
	out = sendmail_out_open(st.spool, envtext, len);
	free(envtext);
	sendmail_out_write(out, kept, keptlen);
	sendmail_out_write(out, added, strlen(added));
	sendmail_out_write(out, m.hbuf + m.hs.end_offset,
	    m.hlen - m.hs.end_offset);
	while (!m.ended && sendmail_out_total(out) <= st.max_size) {
		if ((n = reader_next(r, &eol)) == -1 ||
		    lone_dot(&m, &o, r->seg, n, eol))
			break;
		sendmail_out_write(out, r->seg, n);
		if (eol)
			sendmail_out_write(out, "\r\n", 2);
		m.at_bol = eol;
	}
	if (sendmail_out_total(out) > st.max_size) {
		sendmail_out_abort(out);
		die(EX_DATAERR, "message larger than %llu octets (the largest "
		    "max_message_size)", (unsigned long long)st.max_size);
	}
	sendmail_out_commit(out);

	if (o.verbose)
		fprintf(stderr, "%s: queued for smarthostd: from <%s>, %d "
		    "recipient%s\n", progname, sender, rc.n,
		    rc.n == 1 ? "" : "s");
	inject_rcpts_clear(&rc);
	free(r);
	free(m.hbuf);
	free(kept);
	free(added);
	free(name);
	free(gecos);
	free(sender);
	config_unref(st.cfg);
	return 0;
}
