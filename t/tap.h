/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * tap.h — a tiny Test Anything Protocol producer for the unit tests.
 * Each t/unit/<module>-t.c includes it once and ends with done_testing().
 */
#ifndef SMARTHOSTD_TAP_H
#define SMARTHOSTD_TAP_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void
tap_result(int pass, const char *name)
{
	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - %s\n", pass ? "" : "not ", tap_n, name);
	fflush(stdout);
}

#define ok(cond, name) do {						\
	int ok_ = (cond) ? 1 : 0;					\
	tap_result(ok_, (name));					\
	if (!ok_)							\
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
} while (0)

#define is_int(got, want, name) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	tap_result(g_ == w_, (name));					\
	if (g_ != w_)							\
		printf("#   at %s:%d: got %lld, want %lld\n",		\
		    __FILE__, __LINE__, g_, w_);			\
} while (0)

#define is_str(got, want, name) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int p_ = (g_ != NULL && w_ != NULL) ? strcmp(g_, w_) == 0	\
	    : g_ == w_;							\
	tap_result(p_, (name));						\
	if (!p_)							\
		printf("#   at %s:%d:\n#     got: \"%s\"\n#    want: \"%s\"\n", \
		    __FILE__, __LINE__, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

/* The entries of dir that do not start with a dot; -1 if it cannot be
 * read.  (For the tests that watch a spool's tmp/ and queue/.) */
static int __attribute__((unused))
tap_count_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
