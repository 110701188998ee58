/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * privread-t.c — the privileged-read helper (#19 item 10): it opens the
 * files the configuration names, and nothing else; a path added to the
 * file later is served after the file changed.  Without a helper,
 * privread_open() is open(2).  The helper serves only paths that nobody
 * but root can change (privread_path_trusted()).
 */
#include <sys/stat.h>

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

/* privread_path_trusted() on a tree under dir; as root only, since it
 * needs files that belong to root and to somebody else. */
static void
trusted_paths(const char *dir)
{
	char	*ud = xasprintf("%s/userdir", dir), *sd = xasprintf("%s/sticky",
	    dir), *f = xasprintf("%s/f", dir), *why = xcalloc(1, 512);
	char	*p;

	put(f, "x\n");
	if (mkdir(ud, 0755) == -1 || mkdir(sd, 01777) == -1 ||
	    chmod(sd, 01777) == -1 || chown(ud, 65534, 65534) == -1) {
		ok(0, "tree made");
		return;
	}
	is_int(privread_path_trusted(f, why, 512), 0,
	    "a file in root's own directory: trusted");
	is_int(privread_path_trusted("/etc/./passwd", why, 512), 0,
	    "/etc/./passwd: trusted");
	errno = 0;
	p = xasprintf("%s/missing", dir);
	ok(privread_path_trusted(p, why, 512) == -1 && errno == ENOENT,
	    "a missing file: -1, ENOENT");
	free(p);

	/* The attack: a user's directory, a link to root's file in it. */
	p = xasprintf("%s/key", ud);
	if (symlink(f, p) == -1)
		ok(0, "symlink");
	is_int(privread_path_trusted(p, why, 512), 1,
	    "a link in a directory another user owns: refused");
	ok(strstr(why, "userdir may be changed") != NULL, "the reason names "
	    "the directory");
	free(p);
	p = xasprintf("%s/via-user", dir);
	if (symlink("userdir/key", p) == -1)
		ok(0, "symlink");
	is_int(privread_path_trusted(p, why, 512), 1,
	    "root's link into that directory: refused too");
	free(p);
	/* Let's Encrypt's live/ -> ../archive/: links among root's own. */
	p = xasprintf("%s/live", dir);
	if (mkdir(p, 0755) == -1)
		ok(0, "mkdir");
	free(p);
	p = xasprintf("%s/live/k", dir);
	if (symlink("../f", p) == -1)
		ok(0, "symlink");
	is_int(privread_path_trusted(p, why, 512), 0,
	    "a relative link among root's directories: trusted");
	free(p);
	p = xasprintf("%s/live/../live/./k", dir);
	is_int(privread_path_trusted(p, why, 512), 0, "with . and ..: trusted");
	free(p);

	/* Sticky and world-writable: only root's entries are safe. */
	p = xasprintf("%s/rootfile", sd);
	put(p, "r\n");
	is_int(privread_path_trusted(p, why, 512), 0,
	    "root's file in a sticky directory: trusted");
	free(p);
	p = xasprintf("%s/userfile", sd);
	put(p, "u\n");
	if (chown(p, 65534, 65534) == -1)
		ok(0, "chown");
	is_int(privread_path_trusted(p, why, 512), 1,
	    "another user's file in a sticky directory: refused");
	free(p);
	if (chmod(sd, 0777) == -1)
		ok(0, "chmod");
	p = xasprintf("%s/rootfile", sd);
	is_int(privread_path_trusted(p, why, 512), 1,
	    "a directory anyone may write, not sticky: refused");
	free(p);
	free(ud);
	free(sd);
	free(f);
	free(why);
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

	if (geteuid() == 0)
		trusted_paths(dir);
	else
		printf("# privread_path_trusted(): not checked, needs root\n");

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

	free(p1);
	p1 = xasprintf("rm -rf '%s'", dir);
	if (system(p1) != 0)
		ok(0, "cleanup");
	free(cfg);
	free(p1);
	free(p2);
	return done_testing();
}
