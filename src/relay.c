/*
 * relay.c — owns the registry of relayer instances: one per (configuration,
 * relayer name), created by its type's ops on the first delivery through it
 * and reused afterwards, so that pooled connections outlive one delivery.
 * A new configuration retires the instances of older ones.  Also the small
 * helpers every relayer uses to end a delivery.
 */
#include <sys/queue.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "relay.h"
#include "relay_rate.h"
#include "util.h"

struct relay_inst {
	TAILQ_ENTRY(relay_inst)	 entry;
	struct config		*cfg;	/* identity only: the state holds the
					   reference for as long as it lives */
	char			*name;
	const struct relay_ops	*ops;
	void			*state;
};

static TAILQ_HEAD(, relay_inst)	 relay_insts =
    TAILQ_HEAD_INITIALIZER(relay_insts);
static struct event_base	*relay_base;
static struct resolver		*relay_dns;

void
relay_init(struct event_base *base, struct resolver *dns)
{
	relay_base = base;
	relay_dns = dns;
}

/* The relayer types this version implements; NULL for the others. */
static const struct relay_ops *
relay_ops_of(enum relay_type type)
{
	switch (type) {
	case RELAY_SMTP:
		return &relay_smtp_ops;
	case RELAY_MX:
		return &relay_mx_ops;
	case RELAY_MAILDIR:
		return &relay_maildir_ops;
	case RELAY_MAILDROP:
		return &relay_maildrop_ops;
	}
	return NULL;
}

static void
relay_done_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct delivery	*d = arg;

	d->done(d);
}

void
delivery_done_later(struct delivery *d)
{
	struct timeval	tv = { 0, 0 };

	if (relay_base == NULL)
		fatalx("delivery_done_later: relay_init not called");
	if (event_base_once(relay_base, -1, EV_TIMEOUT, relay_done_cb, d,
	    &tv) == -1)
		fatalx("event_base_once");
}

void
delivery_fail_all(struct delivery *d, enum dlv_result result,
    const char *status)
{
	int	i;

	for (i = 0; i < d->n_rcpts; i++) {
		if (d->rcpts[i].result != DLV_PENDING)
			continue;
		d->rcpts[i].result = result;
		free(d->rcpts[i].status);
		d->rcpts[i].status = xstrdup(status);
	}
}

static struct relay_inst *
relay_inst_get(struct config *cfg, const struct relayer_conf *rc,
    const struct relay_ops *ops)
{
	struct relay_inst	*ri;

	TAILQ_FOREACH(ri, &relay_insts, entry)
		if (ri->cfg == cfg && strcmp(ri->name, rc->name) == 0)
			return ri;
	ri = xcalloc(1, sizeof(*ri));
	ri->cfg = cfg;
	ri->name = xstrdup(rc->name);
	ri->ops = ops;
	ri->state = ops->create(relay_base, relay_dns, cfg, rc);
	TAILQ_INSERT_TAIL(&relay_insts, ri, entry);
	log_debug("relayer %s (%s) started", rc->name,
	    relay_type_to_text(rc->type));
	return ri;
}

static void	relay_start(struct delivery *);

void
relay_deliver(struct delivery *d)
{
	/* Over its rate, a delivery waits here: not an attempt yet. */
	if (d->relayer != NULL && d->cfg != NULL &&
	    !rate_gate(relay_base, d, relay_start))
		return;
	relay_start(d);
}

static void
relay_start(struct delivery *d)
{
	static bool		 warned[RELAY_MAILDIR + 1];
	const struct relayer_conf *rc = d->relayer;
	const struct relay_ops	*ops;
	struct relay_inst	*ri;
	char			*status;

	if (rc == NULL || d->cfg == NULL) {
		delivery_fail_all(d, DLV_TEMPFAIL,
		    "451 4.3.0 no relayer for this delivery");
		delivery_done_later(d);
		return;
	}
	if ((ops = relay_ops_of(rc->type)) == NULL) {
		if ((unsigned)rc->type < sizeof(warned) / sizeof(warned[0]) &&
		    !warned[rc->type]) {
			warned[rc->type] = true;
			log_warnx("relayer %s: type %s is not available in "
			    "this version", rc->name,
			    relay_type_to_text(rc->type));
		}
		status = xasprintf("451 4.3.0 relayer type %s not available "
		    "in this version", relay_type_to_text(rc->type));
		delivery_fail_all(d, DLV_TEMPFAIL, status);
		free(status);
		delivery_done_later(d);
		return;
	}
	ri = relay_inst_get(d->cfg, rc, ops);
	ri->ops->deliver(ri->state, d);
}

static void
relay_inst_retire(struct relay_inst *ri)
{
	TAILQ_REMOVE(&relay_insts, ri, entry);
	log_debug("relayer %s retired", ri->name);
	ri->ops->retire(ri->state);
	free(ri->name);
	free(ri);
}

void
relay_reconfigure(struct config *cfg)
{
	struct relay_inst	*ri, *next;

	rate_gate_reconfigure(cfg);
	for (ri = TAILQ_FIRST(&relay_insts); ri != NULL; ri = next) {
		next = TAILQ_NEXT(ri, entry);
		if (ri->cfg != cfg)
			relay_inst_retire(ri);
	}
}

void
relay_shutdown(void)
{
	struct relay_inst	*ri;

	rate_gate_shutdown();
	/* Retiring closes idle connections now and the rest when done. */
	while ((ri = TAILQ_FIRST(&relay_insts)) != NULL)
		relay_inst_retire(ri);
}
