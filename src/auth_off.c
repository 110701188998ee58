/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth_off.c — AUTH for clients left out (./configure
 * --disable-auth-server, or --enable-small without --enable-auth-server):
 * in place of auth.c, auth_worker.c, auth_limit.c and smtp_session_auth.c.
 * config_listener.c refuses a listener's `auth` other than "none" at its
 * file:line, so no listener has a users file, EHLO never offers AUTH, and
 * the AUTH command gets the 502 of an `auth = "none"` listener.  The
 * client side (a relayer's `auth` towards a smarthost) is not this and
 * stays in every build.
 */
#include <stddef.h>

#include "auth.h"
#include "auth_limit.h"
#include "auth_worker.h"
#include "smtp_session_int.h"

struct auth_users *
auth_users_load(const char *path, char *err, size_t errlen)
{
	/* Unreachable: no listener can have auth set in this build. */
	return NULL;
}

struct auth_users *
auth_users_ref(struct auth_users *u)
{
	return u;
}

void
auth_users_unref(struct auth_users *u)
{
}

int
auth_users_count(const struct auth_users *u)
{
	return 0;
}

struct auth_worker *
auth_worker_new(struct event_base *base)
{
	return NULL;
}

void
auth_worker_free(struct auth_worker *w)
{
}

struct auth_limit *
auth_limit_new(void)
{
	return NULL;
}

void
auth_limit_free(struct auth_limit *l)
{
}

const char *
session_auth_check(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	return "502 5.5.1 Command not implemented";
}

void
session_auth_cmd(struct smtp_session *s, const struct smtp_cmd *cmd)
{
}

void
session_auth_response(struct smtp_session *s, const char *p, size_t len)
{
}

void
session_auth_abort(struct smtp_session *s)
{
}

void
session_auth_free(struct smtp_session *s)
{
}
