/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_session_cmd.c — the receiving session's commands: the command
 * table, the order it enforces (EHLO/HELO first, MAIL before RCPT, a
 * recipient before DATA, no MAIL inside a transaction) and the commands
 * that change no more than the session's HELO and its transaction:
 * EHLO/HELO, MAIL, RCPT (with the relay checks: relay_from, AUTH, or a
 * domain routed with accept = true), RSET, NOOP, QUIT, HELP, VRFY and
 * STARTTLS's reply.  DATA and BDAT are smtp_session_data.c's, AUTH is
 * smtp_session_auth.c's; smtp_session.c reads the lines and hands each
 * command line here, and switches to TLS once STARTTLS's 220 is queued.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "config.h"
#include "helo.h"
#include "log.h"
#include "route.h"
#include "smtp_parse.h"
#include "smtp_session_int.h"
#include "spool.h"
#include "util.h"

#define CF_BEFORE_HELO	0x01	/* allowed before EHLO/HELO */
#define CF_NEED_TX	0x02	/* needs MAIL first */
#define CF_NO_TX	0x04	/* not inside a transaction */
#define CF_NEED_RCPT	0x08	/* needs a recipient first */

struct smtp_command {
	enum smtp_verb	verb;
	int		flags;
	/* NULL, or a complete refusal for this session and command. */
	const char	*(*check)(struct smtp_session *, const struct smtp_cmd *);
	void		(*run)(struct smtp_session *, const struct smtp_cmd *);
};

static void
cmd_ehlo(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char	*hostname = s->cfg->hostname;

	session_reset(s);
	free(s->helo);
	s->helo = helo_for_header(cmd->helo);
	s->esmtp = cmd->verb == CMD_EHLO;
	session_enter_state(s, S_HELO);
	if (!s->esmtp) {
		session_reply(s, "250 %s", hostname);
		return;
	}
	session_reply(s, "250-%s Hello %s [%s]", hostname, s->helo, s->ip);
	session_reply(s, "250-SIZE %llu",
	    (unsigned long long)s->lc->max_message_size);
	session_reply(s, "250-PIPELINING");
	session_reply(s, "250-CHUNKING");
	session_reply(s, "250-8BITMIME");
	session_reply(s, "250-SMTPUTF8");
	session_reply(s, "250-DSN");
	if (s->lc->tls == LTLS_STARTTLS && !s->tls && s->ssl_ctx != NULL)
		session_reply(s, "250-STARTTLS");
	/* Never offered in cleartext. */
	if (LISTENER_AUTH(s->lc) != AUTH_NONE && s->tls && s->users != NULL)
		session_reply(s, "250-AUTH PLAIN LOGIN");
	session_reply(s, "250 ENHANCEDSTATUSCODES");
}

static const char *
check_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (s->lc->require_tls && !s->tls)
		return "530 5.7.0 Must issue a STARTTLS command first";
	if (LISTENER_AUTH(s->lc) == AUTH_REQUIRED && s->auth_user == NULL)
		return "530 5.7.0 Authentication required";
	if (cmd->has_size && cmd->size > s->lc->max_message_size)
		return "552 5.3.4 Message size exceeds fixed limit";
	if (!spool_has_space(s->env.spool))
		return "452 4.3.1 Insufficient system storage";
	return NULL;
}

/* May this client relay anywhere (relay_from, or authenticated)? */
static bool
trusted_client(struct smtp_session *s)
{
	if (cidr_match_any(s->lc->relay_from, s->lc->n_relay_from,
	    (const struct sockaddr *)&s->peer))
		return true;
	return s->auth_user != NULL;
}

static void
cmd_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_tx	*tx;

	tx = xcalloc(1, sizeof(*tx));
	/* rewrite: before routing, so sender_domain rules see the result */
	tx->sender = rewrite_envelope(&s->cfg->rewrite, s->lc->name, true,
	    cmd->addr, s->cfg->hostname);
	if (tx->sender != NULL)
		log_debug("session %s: sender <%s> rewritten to <%s>", s->ip,
		    cmd->addr, tx->sender);
	else
		tx->sender = xstrdup(cmd->addr);
	tx->body_type = cmd->body;
	tx->smtputf8 = cmd->smtputf8;
	tx->ret = cmd->ret;
	/* The sender of a client that may not relay may be forged: a
	 * failure must not send it the body (backscatter, #19 item 7). */
	if (tx->ret == DSN_RET_FULL && !trusted_client(s))
		tx->ret = DSN_RET_HDRS;
	tx->envid = cmd->envid[0] != '\0' ? xstrdup(cmd->envid) : NULL;
	s->tx = tx;
	session_enter_state(s, S_MAIL);
	session_reply(s, "250 2.1.0 Ok");
}

/* May this client send to rcpt from here?  *why is the log reason. */
static bool
may_relay(struct smtp_session *s, const char *rcpt, const char **why)
{
	*why = "relay_denied";
	if (trusted_client(s))
		return true;
	if (route_accepts(s->cfg, rcpt) == 0)
		return false;
	/* user%other@accepted would be relayed by many next hops. */
	*why = "untrusted_routing";
	return !smtp_addr_has_routing(rcpt);
}

static void
cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_tx	*tx = s->tx;
	const char	*why;
	char		*rcpt, *rw;
	int		 i;

	if (tx->n_rcpts >= s->lc->max_recipients) {
		session_reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (smtp_addr_domain(cmd->addr) != NULL)
		rcpt = xstrdup(cmd->addr);
	else if (strcaseeq(cmd->addr, "postmaster"))
		/* RFC 5321 4.5.1: <postmaster> means ours. */
		rcpt = xasprintf("postmaster@%s", s->cfg->hostname);
	else {
		session_reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	/* rewrite: before the relay check and routing (config.md) */
	if ((rw = rewrite_envelope(&s->cfg->rewrite, s->lc->name, false, rcpt,
	    s->cfg->hostname)) != NULL) {
		log_debug("session %s: recipient <%s> rewritten to <%s>", s->ip,
		    rcpt, rw);
		free(rcpt);
		rcpt = rw;
	}
	if (!may_relay(s, rcpt, &why)) {
		log_event("rejected", "client=%s listener=%s helo=%s from=<%s> "
		    "to=<%s> reason=%s", s->ip, s->lc->name, s->helo,
		    tx->sender, rcpt, why);
		free(rcpt);
		session_reply(s, "554 5.7.1 Relay access denied");
		return;
	}
	/* The same recipient twice would be delivered twice. */
	for (i = 0; i < tx->n_rcpts; i++)
		if (strcmp(tx->rcpts[i], rcpt) == 0)
			break;
	if (i == tx->n_rcpts) {
		tx->rcpts = xreallocarray(tx->rcpts, tx->n_rcpts + 1,
		    sizeof(*tx->rcpts));
		tx->dsn = xreallocarray(tx->dsn, tx->n_rcpts + 1,
		    sizeof(*tx->dsn));
		tx->dsn[tx->n_rcpts].notify = cmd->notify;
		tx->dsn[tx->n_rcpts].orcpt = cmd->orcpt[0] != '\0' ?
		    xstrdup(cmd->orcpt) : NULL;
		tx->rcpts[tx->n_rcpts++] = rcpt;
	} else
		free(rcpt);
	session_enter_state(s, S_RCPT);
	session_reply(s, "250 2.1.5 Ok");
}

static void
cmd_rset(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	session_reset(s);
	session_reply(s, "250 2.0.0 Ok");
}

static void
cmd_noop(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	session_reply(s, "250 2.0.0 Ok");
}

static void
cmd_quit(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	session_reply(s, "221 2.0.0 Bye");
	session_close(s);
}

static void
cmd_help(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	session_reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET "
	    "NOOP QUIT HELP VRFY");
}

static void
cmd_vrfy(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	session_reply(s, "252 2.5.0 Cannot VRFY user, but will accept message "
	    "and attempt delivery");
}

static const char *
check_starttls(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (s->lc->tls == LTLS_NONE)
		return "502 5.5.1 Command not implemented";
	if (s->tls)
		return "503 5.5.1 Error: TLS already active";
	if (s->ssl_ctx == NULL)
		return "454 4.7.0 TLS not available";
	return NULL;
}

static void
cmd_starttls(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	session_reply(s, "220 2.0.0 Ready to start TLS");
	/* session_process() stops here and switches, see session_starttls(). */
	s->starttls = true;
}

static const struct smtp_command commands[] = {
	{ CMD_EHLO,	CF_BEFORE_HELO,		NULL,		cmd_ehlo },
	{ CMD_HELO,	CF_BEFORE_HELO,		NULL,		cmd_ehlo },
	{ CMD_MAIL,	CF_NO_TX,		check_mail,	cmd_mail },
	{ CMD_RCPT,	CF_NEED_TX,		NULL,		cmd_rcpt },
	{ CMD_DATA,	CF_NEED_TX | CF_NEED_RCPT, NULL,	session_data_cmd },
	{ CMD_RSET,	CF_BEFORE_HELO,		NULL,		cmd_rset },
	{ CMD_NOOP,	CF_BEFORE_HELO,		NULL,		cmd_noop },
	{ CMD_QUIT,	CF_BEFORE_HELO,		NULL,		cmd_quit },
	{ CMD_HELP,	CF_BEFORE_HELO,		NULL,		cmd_help },
	{ CMD_VRFY,	CF_BEFORE_HELO,		NULL,		cmd_vrfy },
	{ CMD_STARTTLS,	CF_BEFORE_HELO,		check_starttls,	cmd_starttls },
	{ CMD_AUTH,	0,		session_auth_check,	session_auth_cmd },
	/* BDAT checks for itself: its chunk must be read whatever the
	 * answer. */
	{ CMD_BDAT,	CF_BEFORE_HELO,		NULL,	session_bdat_cmd },
};

void
session_command(struct smtp_session *s, const char *line, size_t len)
{
	const struct smtp_command *c = NULL;
	struct smtp_cmd	 cmd;
	const char	*reply;
	size_t		 i;

	if (smtp_cmd_parse(line, len, &cmd, &reply) == -1) {
		session_reply(s, "%s", reply);
		/* A BDAT whose size cannot be read leaves its chunk to be
		 * taken for commands: a smuggling door.  Close it. */
		if (cmd.verb == CMD_BDAT)
			session_close(s);
		return;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].verb == cmd.verb) {
			c = &commands[i];
			break;
		}
	if (c == NULL) {
		session_reply(s, "500 5.5.1 Command unrecognized");
		return;
	}
	if (!(c->flags & CF_BEFORE_HELO) && s->helo == NULL) {
		session_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if ((c->flags & CF_NO_TX) && s->tx != NULL) {
		session_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if ((c->flags & CF_NEED_TX) && s->tx == NULL) {
		session_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if ((c->flags & CF_NEED_RCPT) && s->tx->n_rcpts == 0) {
		session_reply(s, "503 5.5.1 Error: need RCPT command");
		return;
	}
	if (c->check != NULL && (reply = c->check(s, &cmd)) != NULL) {
		session_reply(s, "%s", reply);
		return;
	}
	c->run(s, &cmd);
}
