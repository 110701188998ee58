/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_off.c — DKIM left out (./configure --disable-dkim, or --enable-small
 * without --enable-dkim): in place of dkim.c and config_dkim.c.  A `dkim`
 * section is refused at its file:line, so a configuration that asks for
 * signing never loads into a daemon that would send its mail unsigned; the
 * reception hooks have nothing to do.
 */
#include <stddef.h>

#include "config.h"
#include "config_opts.h"
#include "dkim.h"

int
opt_dkim(struct loader *ld, const struct opt *o, const config_setting_t *s,
    void *obj)
{
	if (s == NULL)
		return 0;
	return fail_without(ld, s, o->name, "DKIM", "dkim");
}

void
config_dkim_free(struct config *cfg)
{
}

struct dkim_msg *
dkim_rx_start(struct receive_tx *tx)
{
	return NULL;
}

void
dkim_rx_body(struct dkim_msg *m, const char *p, size_t len)
{
}

int
dkim_rx_finish(struct dkim_msg *m, struct receive_tx *tx)
{
	return 0;
}

void
dkim_rx_end(struct dkim_msg *m)
{
}
