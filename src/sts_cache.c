/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sts_cache.c — owns <spool>/sts/: the file name of a domain (only plain
 * host-name octets, so no name can climb out of the directory), the
 * directory's descriptor, reads bounded by the policy cap and writes
 * through durable.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "durable.h"
#include "sts_cache.h"
#include "util.h"

/* The policy's cap and room for the id and fetched lines. */
#define STS_CACHE_MAX	(STS_POLICY_MAX + 256)

static int	 sc_dirfd = -1;
static char	*sc_spool;

/* The file name for domain: lower-case letters, digits, '-', '.', not
 * beginning with '.'; else -1 (such a domain is not cached). */
static int
sc_name(const char *domain, char *name, size_t size)
{
	size_t	i, len = strlen(domain);

	if (len == 0 || len >= size || len > 253 || domain[0] == '.')
		return -1;
	for (i = 0; i < len; i++) {
		name[i] = domain[i] >= 'A' && domain[i] <= 'Z' ?
		    (char)(domain[i] - 'A' + 'a') : domain[i];
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
		    name[i] == '.'))
			return -1;
	}
	name[len] = '\0';
	return 0;
}

static int
sc_dir(const char *spool, bool create)
{
	int	rootfd;

	if (sc_dirfd != -1 && sc_spool != NULL && strcmp(sc_spool, spool) == 0)
		return sc_dirfd;
	sts_cache_close();
	if ((rootfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (create && mkdirat(rootfd, "sts", 0700) == -1 && errno != EEXIST) {
		log_warn("mta-sts: cannot make %s/sts", spool);
		close(rootfd);
		return -1;
	}
	sc_dirfd = openat(rootfd, "sts", O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	close(rootfd);
	if (sc_dirfd != -1)
		sc_spool = xstrdup(spool);
	return sc_dirfd;
}

int
sts_cache_load(const char *spool, const char *domain, struct sts_policy *p,
    char id[STS_ID_MAX + 1], time_t *fetched)
{
	char	 name[256], err[256], *text;
	ssize_t	 n;
	size_t	 len = 0;
	int	 dirfd, fd;

	if (sc_name(domain, name, sizeof(name)) == -1 ||
	    (dirfd = sc_dir(spool, false)) == -1)
		return -1;
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1) {
		if (errno != ENOENT)
			log_warn("mta-sts: %s/sts/%s", spool, name);
		return -1;
	}
	text = xmalloc(STS_CACHE_MAX + 1);
	while (len <= STS_CACHE_MAX && (n = read(fd, text + len,
	    STS_CACHE_MAX + 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("mta-sts: read %s/sts/%s", spool, name);
			close(fd);
			free(text);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > STS_CACHE_MAX || sts_cache_text_parse(text, len, p, id,
	    fetched, err, sizeof(err)) == -1) {
		log_warnx("mta-sts: %s/sts/%s: %s, not used", spool, name,
		    len > STS_CACHE_MAX ? "too big" : err);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

int
sts_cache_store(const char *spool, const char *domain,
    const struct sts_policy *p, const char *id, time_t fetched)
{
	char		 name[256], tmp[270], *text;
	const char	*what = "write";
	int		 dirfd, r;

	if (sc_name(domain, name, sizeof(name)) == -1)
		return -1;
	if ((dirfd = sc_dir(spool, true)) == -1) {
		log_warn("mta-sts: %s/sts", spool);
		return -1;
	}
	text = sts_cache_text(p, id, fetched);
	/* After a crash: the old policy or the new one, never a part. */
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if ((r = durable_write_file(dirfd, tmp, dirfd, name, text,
	    strlen(text), &what)) != DURABLE_OK)
		log_warn("mta-sts: %s %s/sts/%s", what, spool, name);
	free(text);
	return r == DURABLE_OK ? 0 : -1;
}

void
sts_cache_close(void)
{
	if (sc_dirfd != -1)
		close(sc_dirfd);
	sc_dirfd = -1;
	free(sc_spool);
	sc_spool = NULL;
}
