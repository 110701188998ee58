/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * privread-t.c — the privileged-read helper (#19 item 10): it opens the
 * files the configuration names, and nothing else; a path added to the
 * file later is served after the file changed.  Without a helper,
 * privread_open() is open(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privread.h"
#include "util.h"
#include "../tap.h"

static void
put(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
}

static void
conf(const char *cfg, const char *dir, const char *pass)
{
	char	*t = xasprintf("hostname = \"h.test\";\nspool = \"%s/spool\";\n"
	    "control = \"\";\nlog = { to = \"stderr\"; };\n"
	    "relayers = ( { name = \"r\"; type = \"smtp\"; host = \"127.0.0.1\";"
	    " tls = \"required\"; auth = { username = \"u\"; password_file = "
	    "\"%s/%s\"; }; } );\n", dir, dir, pass);

	put(cfg, t);
	free(t);
}

int
main(void)
{
	char	 tmpl[] = "/tmp/privread-t.XXXXXX", *dir, *cfg, *p1, *p2;
	char	 err[256], buf[64];
	int	 fd, n;

	if ((dir = mkdtemp(tmpl)) == NULL)
		return 1;
	cfg = xasprintf("%s/c.conf", dir);
	p1 = xasprintf("%s/p1", dir);
	p2 = xasprintf("%s/p2", dir);
	put(p1, "one\n");
	put(p2, "two\n");
	conf(cfg, dir, "p1");

	fd = privread_open(p2);
	ok(fd != -1, "no helper: a plain open");
	if (fd != -1)
		close(fd);

	ok(privread_start(cfg, err, sizeof(err)) == 0, "helper started");
	fd = privread_open(p1);
	ok(fd != -1, "a file the configuration names is served");
	if (fd != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		is_str(buf, "one\n", "its content");
		close(fd);
	}
	errno = 0;
	fd = privread_open(p2);
	ok(fd == -1 && errno == EACCES, "a file it does not name: EACCES");
	fd = privread_open("/etc/shadow");
	ok(fd == -1 && errno == EACCES, "/etc/shadow: EACCES");
	fd = privread_open("relative/path");
	ok(fd == -1, "a relative path made absolute is refused too");
	conf(cfg, dir, "p2");
	fd = privread_open(p2);
	ok(fd != -1, "after the file names it, it is served");
	if (fd != -1)
		close(fd);
	privread_stop();
	fd = privread_open(p1);
	ok(fd != -1, "after stop: a plain open again");
	if (fd != -1)
		close(fd);

	unlink(p1);
	unlink(p2);
	unlink(cfg);
	rmdir(dir);
	free(cfg);
	free(p1);
	free(p2);
	return done_testing();
}
