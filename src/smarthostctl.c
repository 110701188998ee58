/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smarthostctl.c — the command-line side of the control socket: finds the
 * socket (-s, or the `control` setting of the configuration file), sends
 * one request line through control_client.c, prints the answer.  Exit 0 when the daemon said "ok",
 * 1 for any error, with the reason on stderr.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "control_client.h"
#ifdef WITH_DKIM
#include "dkim_key.h"
#endif
#include "log.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define CTL_TIMEOUT	60	/* seconds for the whole exchange; a reload
				   of a large file is the slowest command */

/* The usage on stdout with status 0 (asked for), else on stderr. */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: smarthostctl [-c file] [-s socket] [--json] command [args]\n"
	    "       smarthostctl --help | --version\n"
	    "commands:\n"
	    "  queue        list queued messages\n"
	    "  show ID      one message in detail\n"
	    "  flush [ID]   attempt delivery now (one message or all)\n"
	    "  remove ID | SELECTOR | --all\n"
	    "               remove messages without a bounce\n"
	    "  hold ID | SELECTOR\n"
	    "               keep messages from delivery and expiry\n"
	    "  release ID | SELECTOR | --all\n"
	    "               let held messages go again\n"
	    "  queues       one line per scheduled queue (qshape)\n"
	    "  reload       re-read the configuration file (as SIGHUP)\n"
	    "  stats        counters since start\n"
	    "  SELECTOR     --queue NAME, --sender PATTERN, --recipient PATTERN\n"
	    "               (patterns as in rewrite; <> is the null sender)\n"
	    "  dkim         DNS name and TXT record of every DKIM key\n"
	    "  -c file      configuration file (default %s/smarthostd.conf)\n"
	    "  -s socket    control socket (instead of the file's control)\n"
	    "  --json       JSON output\n", SYSCONFDIR);
	exit(status);
}

/* An argument becomes one word of the request line: no blanks, no
 * control characters, nothing the daemon would split or refuse. */
static bool
word_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static char *
socket_from_config(const char *path)
{
	struct config	*cfg;
	char		 err[1024], *sock;

	/* A user who may not read the keys the file names still gets
	 * hostname, spool and control, as smarthost-sendmail does. */
	if ((cfg = config_load(path, err, sizeof(err))) == NULL &&
	    (cfg = config_load_local(path, err, sizeof(err))) == NULL)
		die(1, "%s", err);
	if (cfg->control == NULL)
		die(1, "%s: the control socket is disabled (control = \"\")",
		    path);
	sock = xstrdup(cfg->control);
	config_unref(cfg);
	return sock;
}

/*
 * `dkim`: no daemon needed.  Each key's record, as a zone file line (the
 * value cut into strings of at most 255 octets, RFC 1035 3.3.14) or JSON.
 */
static int
ctl_dkim(const char *path, bool json)
{
#ifdef WITH_DKIM
	struct config		*cfg;
	const struct dkim_signer *d;
	char			 err[1024], *txt;
	size_t			 i, k;
	int			 n;

	if ((cfg = config_load(path, err, sizeof(err))) == NULL)
		die(1, "%s", err);
	if (json)
		printf("[");
	for (n = 0; n < cfg->n_dkim; n++) {
		d = &cfg->dkim[n];
		if ((txt = dkim_key_txt(d->key, d->alg)) == NULL)
			die(1, "%s: cannot make the public key of selector %s",
			    d->domain, d->selector);
		if (json)
			printf("%s\n {\"domain\": \"%s\", \"selector\": \"%s\", "
			    "\"algorithm\": \"%s\", \"name\": "
			    "\"%s._domainkey.%s\", \"txt\": \"%s\"}",
			    n > 0 ? "," : "", d->domain, d->selector,
			    dkim_alg_to_text(d->alg), d->selector, d->domain,
			    txt);
		else {
			printf("%s._domainkey.%s. IN TXT", d->selector,
			    d->domain);
			for (i = 0; txt[i] != '\0'; i += k) {
				k = strlen(txt + i) > 255 ? 255 :
				    strlen(txt + i);
				printf(" \"%.*s\"", (int)k, txt + i);
			}
			printf("\n");
		}
		free(txt);
	}
	if (json)
		printf("%s]\n", cfg->n_dkim > 0 ? "\n" : "");
	config_unref(cfg);
	return fflush(stdout) == 0 ? 0 : 1;
#else
	/* Without DKIM (./configure --disable-dkim) the configuration
	 * cannot name a key: say why rather than print nothing. */
	die(1, "smarthostd was built without DKIM (./configure --enable-dkim)");
#endif
}

int
main(int argc, char **argv)
{
	const char	*cfgpath = SYSCONFDIR "/smarthostd.conf";
	char		*sockpath = NULL, req[CONTROL_REQUEST_MAX];
	bool		 json = false;
	char		 err[1024];
	size_t		 len = 0;
	int		 i, nwords = 0;
	enum control_client_result r;

	log_init("smarthostctl", 1, LOG_LEVEL_WARN);
	/* Options come first; --json is also taken after the command, as
	 * in "smarthostctl queue --json". */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			usage(0);
		else if (strcmp(argv[i], "--version") == 0) {
			printf("smarthostctl %s\n", PACKAGE_VERSION);
			return 0;
		}
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			cfgpath = argv[++i];
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			sockpath = xstrdup(argv[++i]);
		else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
			cfgpath = argv[i] + 2;
		else if (strncmp(argv[i], "-s", 2) == 0 && argv[i][2] != '\0')
			sockpath = xstrdup(argv[i] + 2);
		else
			usage(1);
	}
	if (i == argc)
		usage(1);

	req[0] = '\0';
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
			continue;
		}
		if (!word_ok(argv[i]))
			die(1, "invalid argument \"%s\"", argv[i]);
		if (len + strlen(argv[i]) + 16 >= sizeof(req))
			die(1, "request too long");
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s%s",
		    nwords++ ? " " : "", argv[i]);
	}
	if (nwords == 0)
		usage(1);
	len += (size_t)snprintf(req + len, sizeof(req) - len, "%s\n",
	    json ? " --json" : "");

	if (strcmp(req, "dkim\n") == 0 || strcmp(req, "dkim --json\n") == 0)
		return ctl_dkim(cfgpath, json);
	if (sockpath == NULL)
		sockpath = socket_from_config(cfgpath);
	r = control_client_run(sockpath, req, len, CTL_TIMEOUT, stdout, err,
	    sizeof(err));
	free(sockpath);
	if (r == CTLC_OK)
		return 0;
	die(1, "%s", err);
}
