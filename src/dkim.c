/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim.c — DKIM on the one reception path (receive.c, through
 * receive_filters.c's hooks): a dkim_msg fed what is stored, its fields
 * put on top of the message before the commit.
 */
#include <stdlib.h>

#include "config.h"
#include "dkim.h"
#include "dkim_sign.h"
#include "log.h"
#include "util.h"

struct dkim_msg *
dkim_rx_start(struct receive_tx *tx)
{
	const struct config	*cfg = receive_config(tx);

	if (cfg == NULL || cfg->n_dkim == 0 ||
	    receive_origin(tx)->kind == RECEIVE_BOUNCE)
		return NULL;
	return dkim_msg_new(cfg->dkim, cfg->n_dkim);
}

void
dkim_rx_body(struct dkim_msg *m, const char *p, size_t len)
{
	if (m != NULL)
		dkim_msg_feed(m, p, len);
}

int
dkim_rx_finish(struct dkim_msg *m, struct receive_tx *tx)
{
	struct buf	 out = { NULL, 0, 0 };
	char		 err[256];
	int		 n, rc = 0;

	if (m == NULL)
		return 0;
	n = dkim_msg_finish(m, now(), &out, err, sizeof(err));
	if (n == -1)
		log_warnx("%s: not DKIM-signed: %s", receive_id(tx), err);
	else if (n > 0) {
		if (receive_prepend(tx, out.p, out.len) == -1)
			rc = -1;
		else
			log_info("%s: DKIM-signed (%d signature%s)",
			    receive_id(tx), n, n > 1 ? "s" : "");
	}
	free(out.p);
	return rc;
}

void
dkim_rx_end(struct dkim_msg *m)
{
	dkim_msg_free(m);
}
