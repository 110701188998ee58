/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dsn-t.c — xtext, NOTIFY, ENVID and ORCPT values and the parameter
 * strings passed to a next hop (dsn.c).
 */
#include <string.h>

#include "dsn.h"
#include "../tap.h"

static void
test_xtext(void)
{
	char	buf[600], dec[600];

	is_int(dsn_xtext_canon("a+2Bb", 5, buf, sizeof(buf)), 0, "xtext ok");
	is_str(buf, "a+2Bb", "  kept");
	is_int(dsn_xtext_canon("+61+7E", 6, buf, sizeof(buf)), 0,
	    "encoded xchars");
	is_str(buf, "a~", "  decoded to themselves");
	is_int(dsn_xtext_canon("", 0, buf, sizeof(buf)), -1, "empty refused");
	is_int(dsn_xtext_canon("a+", 2, buf, sizeof(buf)), -1, "cut hex");
	is_int(dsn_xtext_canon("a+2b", 4, buf, sizeof(buf)), -1,
	    "lower-case hex");
	is_int(dsn_xtext_canon("a b", 3, buf, sizeof(buf)), -1, "blank");
	is_int(dsn_xtext_canon("a=b", 3, buf, sizeof(buf)), -1, "raw =");
	is_int(dsn_xtext_canon("ab", 2, buf, 2), -1, "no room");
	is_str(dsn_xtext_decode("a+2Bb+0D+0Ac+00", dec, sizeof(dec)),
	    "a+b\r\nc ", "decode: CR LF kept, NUL a space");
	is_str(dsn_xtext_decode("abcdef", dec, 4), "abc", "decode: cut");
}

static void
test_values(void)
{
	char		buf[DSN_ORCPT_MAX + 1], v[DSN_ORCPT_MAX + 8];
	unsigned	m = 0;
	enum dsn_ret	r = DSN_RET_UNSPEC;

	is_int(dsn_notify_parse("success,Delay", 13, &m), 0, "NOTIFY list");
	is_int(m, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY, "  mask");
	is_int(dsn_notify_parse("NEVER,NEVER", 11, &m), 0, "NEVER twice");
	is_int(dsn_notify_parse("NEVER,DELAY", 11, &m), -1, "NEVER and more");
	dsn_notify_to_text(DSN_NOTIFY_DELAY | DSN_NOTIFY_SUCCESS |
	    DSN_NOTIFY_FAILURE, buf, sizeof(buf));
	is_str(buf, "SUCCESS,FAILURE,DELAY", "NOTIFY text");
	dsn_notify_to_text(0, buf, sizeof(buf));
	is_str(buf, "", "NOTIFY text: none");
	dsn_notify_to_text(DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE, buf, 10);
	is_str(buf, "SUCCESS", "NOTIFY text: no half word when short");
	is_int(dsn_ret_parse("Hdrs", 4, &r), 0, "RET=Hdrs");
	is_int(r, DSN_RET_HDRS, "  HDRS");
	is_int(dsn_ret_parse("FULLY", 5, &r), -1, "RET=FULLY");

	memcpy(v, "rfc822;", 7);
	memset(v + 7, 'o', DSN_ORCPT_MAX - 7);
	is_int(dsn_orcpt_parse(v, DSN_ORCPT_MAX, buf), 0, "ORCPT 500 octets");
	is_int((int)strlen(buf), DSN_ORCPT_MAX, "  kept whole");
	v[DSN_ORCPT_MAX] = 'o';
	is_int(dsn_orcpt_parse(v, DSN_ORCPT_MAX + 1, buf), -1,
	    "ORCPT 501 octets");
	ok(dsn_orcpt_valid("rfc822;a+2Bb@c"), "stored ORCPT valid");
	ok(!dsn_orcpt_valid("rfc822;a+2bb@c"), "non-canonical ORCPT");
	ok(!dsn_orcpt_valid("rfc822;+41"), "non-canonical ORCPT (+41)");
	ok(!dsn_orcpt_valid("rfc822"), "ORCPT without a type");
	ok(!dsn_orcpt_valid("rfc822;a\tb"), "ORCPT with a tab");
	ok(dsn_envid_valid("x+2By"), "stored ENVID valid");
	ok(!dsn_envid_valid("x y"), "ENVID with a blank");
	ok(!dsn_envid_valid(""), "empty ENVID");
}

static void
test_params(void)
{
	char	buf[DSN_RCPT_PARAMS_MAX];

	dsn_mail_params(DSN_RET_HDRS, "x+2By", buf, DSN_MAIL_PARAMS_MAX);
	is_str(buf, " RET=HDRS ENVID=x+2By", "MAIL params");
	dsn_mail_params(DSN_RET_UNSPEC, NULL, buf, DSN_MAIL_PARAMS_MAX);
	is_str(buf, "", "MAIL params: none");
	dsn_mail_params(DSN_RET_FULL, NULL, buf, DSN_MAIL_PARAMS_MAX);
	is_str(buf, " RET=FULL", "MAIL params: RET only");
	dsn_rcpt_params(DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE,
	    "rfc822;a@b", buf, sizeof(buf));
	is_str(buf, " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b", "RCPT params");
	dsn_rcpt_params(DSN_NOTIFY_NEVER, NULL, buf, sizeof(buf));
	is_str(buf, " NOTIFY=NEVER", "RCPT params: NEVER");
	dsn_rcpt_params(0, NULL, buf, sizeof(buf));
	is_str(buf, "", "RCPT params: none");
}

int
main(void)
{
	test_xtext();
	test_values();
	test_params();
	return done_testing();
}
