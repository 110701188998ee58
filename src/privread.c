/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * privread.c — owns the privileged-read helper (see privread.h).
 *
 * The protocol on a SOCK_SEQPACKET socketpair: the daemon sends one path
 * (NUL-terminated); the helper answers with an int, 0 and the descriptor
 * as SCM_RIGHTS, or an errno value.  The helper serves a path only if
 * loading the configuration file opens it; it loads the file again when a
 * path is not known yet, so a reload that names a new key works too.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "config.h"
#include "log.h"
#include "privread.h"
#include "util.h"

static int	 helper_fd = -1;	/* the daemon's end, or -1 */
static pid_t	 helper_pid = -1;

/* In the helper: the paths the last configuration load opened. */
static bool	 recording;
static char	**seen;
static size_t	 n_seen;

static void
record(const char *path)
{
	size_t	i;

	for (i = 0; i < n_seen; i++)
		if (strcmp(seen[i], path) == 0)
			return;
	seen = xreallocarray(seen, n_seen + 1, sizeof(*seen));
	seen[n_seen++] = xstrdup(path);
}

static int
open_direct(const char *path)
{
	if (recording)
		record(path);
	return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

static bool
allowed(const char *cfgpath, const char *path)
{
	struct config	*cfg;
	char		 err[1024];
	size_t		 i;

	for (i = 0; i < n_seen; i++)
		if (strcmp(seen[i], path) == 0)
			return true;
	/* Not named by the last load: load the file again (it may have
	 * changed); what the load opens is what may be served. */
	for (i = 0; i < n_seen; i++)
		free(seen[i]);
	free(seen);
	seen = NULL;
	n_seen = 0;
	recording = true;
	cfg = config_load(cfgpath, err, sizeof(err));
	recording = false;
	if (cfg == NULL)
		log_warnx("privileged read: %s", err);
	config_unref(cfg);
	for (i = 0; i < n_seen; i++)
		if (strcmp(seen[i], path) == 0)
			return true;
	return false;
}

/* Root, or the helper's own user (tests run it unprivileged): who
 * owns a file is trusted when it may change nothing we could not. */
static bool
owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Whether a directory lets only root change its entries (a sticky one:
 * only the entries' owners; *sticky then says so). */
static bool
dir_trusted(const struct stat *st, bool *sticky)
{
	bool	gw = (st->st_mode & S_IWGRP) && st->st_gid != 0;
	bool	ow = (st->st_mode & S_IWOTH) != 0;

	*sticky = (st->st_mode & S_ISVTX) && (gw || ow);
	return owner_trusted(st->st_uid) && (!(gw || ow) || *sticky);
}

int
privread_path_trusted(const char *path, char *why, size_t whylen)
{
	char		 cur[PATH_MAX], next[PATH_MAX], tgt[PATH_MAX];
	const char	*p = path, *e;
	struct stat	 st;
	bool		 sticky;
	size_t		 n, curlen;
	ssize_t		 tl;
	int		 links = 0;

restart:
	if (*p != '/') {
		errno = EINVAL;
		return -1;
	}
	if (fstatat(AT_FDCWD, "/", &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!dir_trusted(&st, &sticky)) {
		snprintf(why, whylen, "/ may be changed by others than root");
		return 1;
	}
	cur[0] = '\0';
	curlen = 0;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return 0;
		e = p + strcspn(p, "/");
		n = (size_t)(e - p);
		if (curlen + 1 + n >= sizeof(cur)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		cur[curlen++] = '/';
		memcpy(cur + curlen, p, n);
		curlen += n;
		cur[curlen] = '\0';
		p = e;
		if (fstatat(AT_FDCWD, cur, &st, AT_SYMLINK_NOFOLLOW) == -1)
			return -1;
		/* In a sticky directory others may write, only what root
		 * owns is out of their reach. */
		if (sticky && !owner_trusted(st.st_uid)) {
			snprintf(why, whylen, "%s belongs to uid %lu, in a "
			    "directory others may write", cur,
			    (unsigned long)st.st_uid);
			return 1;
		}
		if (S_ISLNK(st.st_mode)) {
			/* The link is root's to change; where it points is
			 * checked the same way, from the start. */
			if (++links > 16) {
				errno = ELOOP;
				return -1;
			}
			if ((tl = readlink(cur, tgt, sizeof(tgt) - 1)) == -1)
				return -1;
			tgt[tl] = '\0';
			if (tgt[0] != '/') {
				while (curlen > 0 && cur[curlen - 1] != '/')
					curlen--;
				cur[curlen] = '\0';
			} else
				cur[0] = '\0';
			if ((size_t)snprintf(next, sizeof(next), "%s%s%s", cur,
			    tgt, p) >= sizeof(next)) {
				errno = ENAMETOOLONG;
				return -1;
			}
			memcpy(tgt, next, sizeof(tgt));
			p = tgt;
			goto restart;
		}
		if (*p == '\0')
			return 0;	/* the file itself: its parent decides */
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		if (!dir_trusted(&st, &sticky)) {
			snprintf(why, whylen, "%s may be changed by others "
			    "than root (uid %lu, mode %03o)", cur,
			    (unsigned long)st.st_uid,
			    (unsigned)(st.st_mode & 07777));
			return 1;
		}
	}
}

int
privread_config_trusted(const char *path, char *err, size_t errlen)
{
	char	why[PATH_MAX + 128];
	int	r;

	if (!recording)
		return 0;
	if ((r = privread_path_trusted(path, why, sizeof(why))) == 0)
		return 0;
	if (r == 1)
		snprintf(err, errlen, "%s: not read by the root helper: %s",
		    path, why);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

static void
reply(int sock, int err, int fd)
{
	struct msghdr	 msg;
	struct iovec	 iov = { &err, sizeof(err) };
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*c;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) == -1 && errno == EINTR)
		;
}

static void __attribute__((noreturn))
helper_main(int sock, const char *cfgpath)
{
	char		 path[PATH_MAX + 1], why[PATH_MAX + 128];
	struct stat	 st;
	ssize_t		 n;
	int		 fd, r;

	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		n = recv(sock, path, sizeof(path) - 1, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);	/* the daemon is gone */
		path[n] = '\0';
		if (strlen(path) != (size_t)n || path[0] != '/' ||
		    !allowed(cfgpath, path)) {
			log_warnx("privileged read of \"%s\" refused: the "
			    "configuration does not name it", path);
			reply(sock, EACCES, -1);
			continue;
		}
		/* Else whoever may write a directory on the way could put a
		 * symbolic link to /etc/shadow there before a reload. */
		if ((r = privread_path_trusted(path, why, sizeof(why))) != 0) {
			if (r == 1)
				log_warnx("privileged read of \"%s\" refused: "
				    "%s; the daemon reads it as its own user",
				    path, why);
			reply(sock, r == 1 ? EPERM : errno, -1);
			continue;
		}
		if ((fd = open_direct(path)) == -1) {
			reply(sock, errno, -1);
			continue;
		}
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			close(fd);
			reply(sock, EINVAL, -1);
			continue;
		}
		reply(sock, 0, fd);
		close(fd);
	}
}

int
privread_start(const char *cfgpath, char *err, size_t errlen)
{
	int	sv[2];
	pid_t	pid;

	if (helper_fd != -1)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "privileged reader: socketpair: %s",
		    strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "privileged reader: fork: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Nothing of the daemon but stderr and this socket. */
		if (sv[1] != 3) {
			if (dup2(sv[1], 3) == -1)
				_exit(1);
		} else
			fcntl(3, F_SETFD, 0);
		close_range(4, ~0U, 0);
		helper_main(3, cfgpath);
	}
	close(sv[1]);
	helper_fd = sv[0];
	helper_pid = pid;
	return 0;
}

void
privread_stop(void)
{
	if (helper_fd == -1)
		return;
	close(helper_fd);
	helper_fd = -1;
	while (waitpid(helper_pid, NULL, 0) == -1 && errno == EINTR)
		;
	helper_pid = -1;
}

int
privread_open(const char *path)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*c;
	const char	*asked = path;
	char		*abs = NULL;
	ssize_t		 n;
	int		 e = 0, fd = -1;

	if (helper_fd == -1)
		return open_direct(path);
	if (path[0] != '/') {
		char	*cwd = getcwd(NULL, 0);

		abs = xasprintf("%s/%s", cwd != NULL ? cwd : "", path);
		free(cwd);
		path = abs;
	}
	n = strlen(path);
	if (n > PATH_MAX) {
		free(abs);
		errno = ENAMETOOLONG;
		return -1;
	}
	while ((n = send(helper_fd, path, strlen(path), MSG_NOSIGNAL)) ==
	    -1 && errno == EINTR)
		;
	free(abs);
	if (n == -1)
		return -1;
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = &e;
	iov.iov_len = sizeof(e);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	while ((n = recvmsg(helper_fd, &msg, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (n != (ssize_t)sizeof(e)) {
		errno = n == -1 ? errno : EIO;
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (e != 0 || fd == -1) {
		if (fd != -1)
			close(fd);
		/* A path others may change: only what our own user may
		 * read (see privread_path_trusted()). */
		if (e == EPERM)
			return open(asked, O_RDONLY | O_CLOEXEC | O_NOCTTY |
			    O_NONBLOCK);
		errno = e != 0 ? e : EIO;
		return -1;
	}
	return fd;
}

FILE *
privread_fopen(const char *path)
{
	FILE	*fp;
	int	 fd, saved;

	if ((fd = privread_open(path)) == -1)
		return NULL;
	if ((fp = fdopen(fd, "r")) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return fp;
}

bool
privread_others_can_read(int fd)
{
	struct stat	st;

	return fstat(fd, &st) == 0 && (st.st_mode & S_IROTH) != 0;
}

/* Never ask for a pass phrase: an encrypted key is an error. */
static int
no_passphrase(char *buf, int size, int rw, void *u)
{
	return 0;
}

/* The file as privread_open() opens it, in a BIO that closes it. */
static BIO *
privread_bio(const char *path)
{
	BIO	*b;
	int	 fd;

	if ((fd = privread_open(path)) == -1)
		return NULL;
	if ((b = BIO_new_fd(fd, BIO_CLOSE)) == NULL)
		close(fd);
	return b;
}

int
privread_use_cert_key(SSL_CTX *ctx, const char *cert, const char *key,
    const char **failed)
{
	BIO		*b;
	X509		*x, *ca;
	EVP_PKEY	*k;
	unsigned long	 e;

	*failed = "cert";
	if ((b = privread_bio(cert)) == NULL)
		return -1;
	x = PEM_read_bio_X509_AUX(b, NULL, no_passphrase, NULL);
	if (x == NULL || SSL_CTX_use_certificate(ctx, x) != 1) {
		X509_free(x);
		BIO_free(b);
		return -1;
	}
	X509_free(x);
	SSL_CTX_clear_chain_certs(ctx);
	while ((ca = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
			X509_free(ca);
			BIO_free(b);
			return -1;
		}
	BIO_free(b);
	/* The end of the file ends the chain; anything else is an error. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	else if (e != 0)
		return -1;

	*failed = "key";
	if ((b = privread_bio(key)) == NULL)
		return -1;
	k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (k == NULL || SSL_CTX_use_PrivateKey(ctx, k) != 1) {
		EVP_PKEY_free(k);
		return -1;
	}
	EVP_PKEY_free(k);
	*failed = NULL;
	return 0;
}
