/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_session_auth.c — AUTH PLAIN and LOGIN (RFC 4954) in the receiving
 * session.
 *
 * AUTH exists only under TLS, is offered only when the listener has users,
 * and is refused inside a transaction or once authenticated.  While an
 * exchange is in progress (s->auth_step) the next line is a response,
 * never a command.  The credentials are checked in the password-check
 * thread (auth_worker.c: crypt(3) never runs on the loop) with the session
 * reading nothing; a failed attempt is answered after AUTH_DELAY_MS (a
 * timer, not a sleep), the session ends after AUTH_MAX_FAILURES, and every
 * attempt counts against the client address (auth_limit.c) until one
 * succeeds.  The SASL decoding is auth.c's; the name offered is never
 * logged for a failure.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "auth_limit.h"
#include "auth_worker.h"
#include "config.h"
#include "deadline.h"
#include "log.h"
#include "smtp_session_int.h"
#include "util.h"

/* A failed AUTH is answered after this long; after AUTH_MAX_FAILURES the
 * session ends. */
#define AUTH_DELAY_MS	1000
#define AUTH_MAX_FAILURES 3

static void	auth_checked(void *, int);

/* The listener's limit on failed AUTH per client address. */
static void
auth_limit_conf_of(struct smtp_session *s, struct auth_limit_conf *c)
{
	c->max = s->lc->auth_max_failures;
	c->window = s->lc->auth_failure_window;
	c->penalty = s->lc->auth_penalty;
}

static const char *
auth_key(struct smtp_session *s, char *buf, size_t len)
{
	auth_limit_key((const struct sockaddr *)&s->peer, buf, len);
	return buf;
}

const char *
session_auth_check(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct auth_limit_conf	c;
	char			key[AUTH_LIMIT_KEY_MAX];

	if (s->lc->auth == AUTH_NONE)
		return "502 5.5.1 Command not implemented";
	if (!s->tls)
		return "538 5.7.11 Encryption required for requested "
		    "authentication mechanism";
	if (s->auth_user != NULL)
		return "503 5.5.1 Error: already authenticated";
	if (s->tx != NULL)
		return "503 5.5.1 Error: MAIL transaction in progress";
	if (s->users == NULL)
		return "454 4.7.0 Temporary authentication failure";
	auth_limit_conf_of(s, &c);
	if (auth_limit_wait(s->env.auth_limit, &c,
	    auth_key(s, key, sizeof(key)), now()) > 0) {
		log_event("rejected", "client=%s listener=%s "
		    "reason=auth_limit", s->ip, s->lc->name);
		return "454 4.7.0 Too many failed authentications from your "
		    "address, try again later";
	}
	return NULL;
}

/* A user name as it may appear in a log line: printable, no spaces. */
static void
auth_log_name(const char *in, char *out, size_t len)
{
	size_t	i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++)
		out[i] = in[i] > ' ' && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

static void
auth_delay_done(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_session	*s = arg;

	s->auth_wait = false;
	if (s->state == S_CLOSING)
		return;
	if (s->auth_failures >= AUTH_MAX_FAILURES) {
		session_reply(s, "421 4.7.0 Too many failed authentication "
		    "attempts");
		session_close(s);
		return;
	}
	session_reply(s, "535 5.7.8 Authentication credentials invalid");
	deadline_start(s->deadline, s->lc->timeout);
	session_update_read(s);
	/* Commands pipelined behind the AUTH wait in the input. */
	session_process(s);
}

/*
 * Check the credentials in the worker thread (crypt(3) never runs on the
 * loop); the session reads nothing more until the answer.  Every attempt
 * counts against the client address until it succeeds.
 */
static void
auth_finish(struct smtp_session *s, const char *mech, const char *user,
    const char *pass)
{
	struct auth_limit	*al = s->env.auth_limit;
	struct auth_limit_conf	 c;
	char			 key[AUTH_LIMIT_KEY_MAX];

	auth_limit_conf_of(s, &c);
	auth_key(s, key, sizeof(key));
	if (!auth_limit_begin(al, &c, key, now())) {
		log_event("rejected", "client=%s listener=%s "
		    "reason=auth_limit", s->ip, s->lc->name);
		session_reply(s, "454 4.7.0 Too many failed authentications "
		    "from your address, try again later");
		return;
	}
	s->auth_job = auth_worker_check(s->env.auth_worker,
	    s->users, user, pass, auth_checked, s);
	if (s->auth_job == NULL) {
		auth_limit_success(al, key);	/* not tried: not counted */
		log_warnx("smtp %s: too many password checks waiting",
		    s->ip);
		session_reply(s, "454 4.7.0 Temporary authentication failure");
		return;
	}
	free(s->auth_try_user);
	s->auth_try_user = xstrdup(user);
	s->auth_try_mech = mech;
	s->auth_wait = true;
	session_update_read(s);
}

/* The worker's answer; a failure is answered after AUTH_DELAY_MS. */
static void
auth_checked(void *arg, int ok)
{
	struct smtp_session	*s = arg;
	struct timeval		 tv = { AUTH_DELAY_MS / 1000,
				    (AUTH_DELAY_MS % 1000) * 1000 };
	const char		*mech = s->auth_try_mech;
	char			 name[AUTH_NAME_MAX + 1];
	char			 key[AUTH_LIMIT_KEY_MAX];
	char			*user = s->auth_try_user;

	s->auth_job = NULL;
	s->auth_try_user = NULL;
	if (ok) {
		auth_limit_success(s->env.auth_limit,
		    auth_key(s, key, sizeof(key)));
		auth_log_name(user, name, sizeof(name));
		s->auth_user = user;
		s->auth_wait = false;
		log_info("smtp %s: authenticated user=%s mechanism=%s "
		    "listener=%s", s->ip, name, mech, s->lc->name);
		if (s->state == S_CLOSING)
			return;
		session_reply(s, "235 2.7.0 Authentication successful");
		session_update_read(s);
		/* Commands pipelined behind the AUTH wait in the input. */
		session_process(s);
		return;
	}
	free(user);
	s->auth_failures++;
	/* Never the offered name: a password typed at the user name
	 * prompt would land in the log (doc/logging.md). */
	log_event("rejected", "client=%s listener=%s mechanism=%s "
	    "reason=auth_failed", s->ip, s->lc->name, mech);
	if (s->ev_auth == NULL)
		s->ev_auth = evtimer_new(s->base, auth_delay_done, s);
	s->auth_wait = true;
	deadline_stop(s->deadline);
	evtimer_add(s->ev_auth, &tv);
	session_update_read(s);
}

static void
auth_plain(struct smtp_session *s, const char *b64, size_t len)
{
	char		 user[AUTH_NAME_MAX + 1], pass[AUTH_PASS_MAX + 1];
	unsigned char	 scratch[SMTP_LINE_MAX];

	if (auth_b64_decode(b64, len, scratch, sizeof(scratch)) < 0) {
		session_reply(s, "501 5.5.2 Cannot decode response");
		return;
	}
	OPENSSL_cleanse(scratch, sizeof(scratch));
	/* Decodes but is not authzid NUL authcid NUL passwd: a failure. */
	if (auth_plain_decode(b64, len, user, pass) == -1)
		user[0] = pass[0] = '\0';
	auth_finish(s, "PLAIN", user, pass);
	OPENSSL_cleanse(pass, sizeof(pass));
}

static void
auth_login_user(struct smtp_session *s, const char *b64, size_t len)
{
	char	user[AUTH_NAME_MAX + 1];

	if (auth_login_decode(b64, len, user, sizeof(user)) == -1) {
		session_reply(s, "501 5.5.2 Cannot decode response");
		return;
	}
	free(s->login_user);
	s->login_user = xstrdup(user);
	s->auth_step = AUTH_STEP_LOGIN_PASS;
	session_reply(s, "334 " AUTH_LOGIN_PASS_PROMPT);
}

static void
auth_login_pass(struct smtp_session *s, const char *b64, size_t len)
{
	char	pass[AUTH_PASS_MAX + 1];

	if (auth_login_decode(b64, len, pass, sizeof(pass)) == -1)
		session_reply(s, "501 5.5.2 Cannot decode response");
	else
		auth_finish(s, "LOGIN", s->login_user, pass);
	OPENSSL_cleanse(pass, sizeof(pass));
	free(s->login_user);
	s->login_user = NULL;
}

void
session_auth_abort(struct smtp_session *s)
{
	s->auth_step = AUTH_STEP_NONE;
	free(s->login_user);
	s->login_user = NULL;
}

void
session_auth_response(struct smtp_session *s, const char *p, size_t len)
{
	enum auth_step	step = s->auth_step;

	s->auth_step = AUTH_STEP_NONE;
	if (len == 1 && p[0] == '*') {
		session_auth_abort(s);
		session_reply(s, "501 5.7.0 Authentication aborted");
		return;
	}
	switch (step) {
	case AUTH_STEP_PLAIN:
		auth_plain(s, p, len);
		break;
	case AUTH_STEP_LOGIN_USER:
		auth_login_user(s, p, len);
		break;
	case AUTH_STEP_LOGIN_PASS:
		auth_login_pass(s, p, len);
		break;
	case AUTH_STEP_NONE:
		break;
	}
}

void
session_auth_cmd(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char	*resp;
	size_t		 mlen;

	/* The parser leaves "MECHANISM" or "MECHANISM initial-response". */
	if ((resp = strchr(cmd->arg, ' ')) != NULL) {
		mlen = resp - cmd->arg;
		resp++;
		/* RFC 4954: "=" is an empty initial response. */
		if (strcmp(resp, "=") == 0)
			resp = "";
	} else
		mlen = strlen(cmd->arg);
	if (mlen == 5 && strncasecmp(cmd->arg, "PLAIN", 5) == 0) {
		if (resp == NULL) {
			s->auth_step = AUTH_STEP_PLAIN;
			session_reply(s, "334 ");
		} else if (strcmp(resp, "*") == 0)
			session_reply(s, "501 5.7.0 Authentication aborted");
		else
			auth_plain(s, resp, strlen(resp));
	} else if (mlen == 5 && strncasecmp(cmd->arg, "LOGIN", 5) == 0) {
		if (resp == NULL) {
			s->auth_step = AUTH_STEP_LOGIN_USER;
			session_reply(s, "334 " AUTH_LOGIN_USER_PROMPT);
		} else if (strcmp(resp, "*") == 0)
			session_reply(s, "501 5.7.0 Authentication aborted");
		else
			auth_login_user(s, resp, strlen(resp));
	} else
		session_reply(s, "504 5.5.4 Unrecognized authentication type");
}

void
session_auth_free(struct smtp_session *s)
{
	if (s->ev_auth != NULL)
		event_free(s->ev_auth);
	auth_worker_cancel(s->auth_job);
	free(s->auth_try_user);
	free(s->login_user);
}
