/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * receive_int.h — the reception path's transaction, shared by receive.c
 * (begin, body stream, commit) and receive_hdr.c (the header section).
 * Nothing else includes it: everyone else sees receive.h and an opaque
 * struct receive_tx.
 */
#ifndef SMARTHOSTD_RECEIVE_INT_H
#define SMARTHOSTD_RECEIVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "receive.h"
#include "smtp_data.h"
#include "util.h"

struct config;
struct spool;
struct spool_body;
struct spool_commits;

struct receive {
	struct spool			*spool;
	struct spool_commits		*commits;
	receive_sink_cb			 sink;
	void				*sink_arg;
	const struct receive_hooks	*hooks;
	void				*hooks_arg;
};

struct receive_tx {
	struct receive		*rc;
	const struct receive_hooks *h;		/* as at begin, or NULL */
	void			*harg;
	void			*hstate;	/* the start hook's */
	bool			 started;	/* end hook owed */
	struct buf		 fout;		/* the stream filter's output */
	struct config		*cfg;		/* own reference */
	struct receive_origin	 o;		/* strings owned */
	char			*sender;
	char			**rcpts;
	int			 n_rcpts;
	unsigned		*notify;	/* per recipient, or NULL */
	char			**orcpt;	/* per recipient, or NULL */
	int			*batch_of;	/* per recipient */
	int			 n_batches;
	char			(*ids)[QUEUE_ID_MAX + 1];

	struct spool_body	*body;		/* NULL once failed or given */
	bool			 write_error;
	bool			 scan;		/* header section still open */
	bool			 in_header;	/* for the body observer */
	struct hdr_scan		 hs;
	/* While the header section may still end inside them, the last
	 * octets scanned are held back, so that added headers go exactly
	 * where it ends (hdr_scan_pending() says how many, at most 998). */
	char			 held[1024];
	size_t			 n_held;
	uint64_t		 held_at;	/* stream offset of held[0] */
	/* With a header hook: the whole section so far, from held_at. */
	bool			 filtering;
	struct buf		 hdr;

	/* From the commit on. */
	struct envelope		**envs;
	receive_done_cb		 cb;
	void			*cb_arg;
	bool			 committing;
};

/* The Received: field for tx (NULL: none, as for a bounce); *id_off is
 * where the queue id starts in it.  The caller frees it. */
char	*receive_hdr_received(struct receive_tx *, size_t *id_off);
/* Octets past the stream filter: through the header scan while the
 * section is open, else straight to the spool. */
void	 receive_hdr_feed(struct receive_tx *, const void *, size_t);
/* End of data: a section still open (a message of headers only) goes
 * out, then what is added at its end. */
void	 receive_hdr_finish(struct receive_tx *);

#endif
