/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * smtp_parse-fuzz.c — libFuzzer harness for smtp_parse.c: any command
 * line either parses into a struct whose fields keep their promises, or
 * gets an SMTP reply; never a crash or a read past len.  DSN values that
 * parse are stored in the canonical xtext form the envelope relies on
 * (no blank, no control octet, within the RFC 3461 lengths).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct smtp_cmd	 cmd;
	const char	*reply = NULL, *dom;
	char		*copy;

	/* An exact-size copy: ASan sees any read past len. */
	copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	if (smtp_cmd_parse(copy, len, &cmd, &reply) == -1) {
		if (reply == NULL || reply[0] < '4' || reply[0] > '5' ||
		    strlen(reply) < 10)
			abort();
	} else if (cmd.verb == CMD_MAIL || cmd.verb == CMD_RCPT) {
		if ((cmd.envid[0] != '\0' && !dsn_envid_valid(cmd.envid)) ||
		    (cmd.orcpt[0] != '\0' && !dsn_orcpt_valid(cmd.orcpt)) ||
		    ((cmd.notify & DSN_NOTIFY_NEVER) &&
		    cmd.notify != DSN_NOTIFY_NEVER) ||
		    cmd.notify > 0x0f || cmd.ret > DSN_RET_HDRS)
			abort();
		if (cmd.verb == CMD_MAIL ? cmd.notify != 0 ||
		    cmd.orcpt[0] != '\0' : cmd.ret != 0 ||
		    cmd.envid[0] != '\0')
			abort();
		if (cmd.addr[0] == '\0') {
			if (cmd.verb == CMD_RCPT)
				abort();
		} else if (strcmp(cmd.addr, "postmaster") != 0) {
			if (smtp_addr_valid(cmd.addr) != 0 ||
			    (dom = smtp_addr_domain(cmd.addr)) == NULL ||
			    strlen(cmd.addr) > SMTP_ADDR_MAX - 2)
				abort();
		}
	} else if (cmd.verb == CMD_UNKNOWN)
		abort();
	free(copy);

	/* The address functions take a C string. */
	copy = malloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	if (smtp_addr_valid(copy) == 0 && smtp_addr_domain(copy) == NULL)
		abort();
	free(copy);
	return 0;
}
