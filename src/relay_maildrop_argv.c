/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_maildrop_argv.c — owns what the maildrop relayer hands to
 * execve() for one recipient: the argv expanded from the command template
 * and the fixed environment.  The command never meets a shell; an
 * expansion stays inside its element, may not make an element start with
 * '-', and an address with a control character is refused.  Running the
 * child and reading it is relay_maildrop.c's.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "config.h"
#include "relay_maildrop_int.h"
#include "template.h"
#include "util.h"

#define MDROP_ENV_PATH		"PATH=/usr/bin:/bin"

/* Add a value; only the template itself may start an element with '-'. */
static int
mdrop_put(struct buf *b, const char *v, size_t len, bool lower, void *arg)
{
	size_t	start = b->len;

	if (start == 0 && len > 0 && v[0] == '-')
		return -1;
	buf_add(b, v, len);
	if (lower)
		lowercase(b->p + start);
	return 0;
}

void
mdrop_free_vec(char **v)
{
	char	**p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/* The argv for one recipient, or NULL if the address is unsafe in it. */
char **
mdrop_argv(const struct relayer_conf *rc, const char *sender,
    const char *rcpt)
{
	char	**argv;
	int	  i;

	/* Control characters could end a line in a log, a header or a
	 * program's parser; 8-bit bytes (SMTPUTF8) are left alone. */
	if (str_has_ctl(sender) || str_has_ctl(rcpt))
		return NULL;
	argv = xcalloc(rc->n_command + 1, sizeof(*argv));
	for (i = 0; i < rc->n_command; i++) {
		/* NULL when an expansion would make the element begin
		 * with '-' (an option to the program) or the template
		 * names an unknown placeholder (config.c refuses those). */
		if ((argv[i] = template_expand_str(rc->command[i], sender,
		    rcpt, mdrop_put, NULL)) == NULL) {
			mdrop_free_vec(argv);
			return NULL;
		}
	}
	return argv;
}

/* Nothing from the daemon's own environment reaches the command. */
char **
mdrop_envp(const char *sender, const char *rcpt)
{
	char	**envp;

	envp = xcalloc(4, sizeof(*envp));
	envp[0] = xstrdup(MDROP_ENV_PATH);
	envp[1] = xasprintf("SENDER=%s", sender);
	envp[2] = xasprintf("RECIPIENT=%s", rcpt);
	return envp;
}
