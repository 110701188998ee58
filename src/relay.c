/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
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
#include "relay_pool.h"
#include "relay_rate.h"
#include "util.h"

struct relay_inst {
	TAILQ_ENTRY(relay_inst)	 entry;
	struct config		*cfg;	/* identity only: the state holds the
					   reference for as long as it lives */
	const struct relayer_conf *rc;	/* inside cfg */
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
#ifdef WITH_MAILDROP
		return &relay_maildrop_ops;
#else
		break;	/* left out: config_relayer.c refuses the type */
#endif
	}
	return NULL;
}

/* Deliveries whose done callback waits for the next loop turn: kept so
 * that relay_exit() can end them when no turn is left. */
struct done_later {
	TAILQ_ENTRY(done_later)	 entry;
	struct event		*ev;
	struct delivery		*d;
};
static TAILQ_HEAD(, done_later) done_laters =
    TAILQ_HEAD_INITIALIZER(done_laters);

/* Frees dl, then calls the delivery's done (which may add another). */
static void
done_later_run(struct done_later *dl)
{
	struct delivery	*d = dl->d;

	TAILQ_REMOVE(&done_laters, dl, entry);
	event_free(dl->ev);
	free(dl);
	d->done(d);
}

static void
relay_done_cb(evutil_socket_t fd, short ev, void *arg)
{
	done_later_run(arg);
}

void
delivery_done_later(struct delivery *d)
{
	struct timeval		 tv = { 0, 0 };
	struct done_later	*dl;

	if (relay_base == NULL)
		fatalx("delivery_done_later: relay_init not called");
	dl = xcalloc(1, sizeof(*dl));
	dl->d = d;
	if ((dl->ev = evtimer_new(relay_base, relay_done_cb, dl)) == NULL ||
	    evtimer_add(dl->ev, &tv) == -1)
		fatalx("delivery_done_later: evtimer");
	TAILQ_INSERT_TAIL(&done_laters, dl, entry);
}

const char *
dlv_dane_to_text(enum dlv_dane dane)
{
	switch (dane) {
	case DLV_DANE_NONE:
		return "none";
	case DLV_DANE_VERIFIED:
		return "verified";
	case DLV_DANE_FAILED:
		return "failed";
	default:
		return NULL;
	}
}

void
delivery_rcpt_set(struct delivery_rcpt *r, enum dlv_result result,
    const char *status)
{
	r->result = result;
	free(r->status);
	r->status = xstrdup(status);
}

void
delivery_fail_all(struct delivery *d, enum dlv_result result,
    const char *status)
{
	int	i;

	for (i = 0; i < d->n_rcpts; i++)
		if (d->rcpts[i].result == DLV_PENDING)
			delivery_rcpt_set(&d->rcpts[i], result, status);
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
	ri->rc = rc;
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

static bool
strv_same(char *const *a, int na, char *const *b, int nb)
{
	int	i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!str_same(a[i], b[i]))
			return false;
	return true;
}

/*
 * Every field of struct relayer_conf but its line and rate, and what of the
 * rest of the configuration a relayer uses itself (hostname, resolver
 * trust_ad).  A field
 * added to relayer_conf must be added here, or a reload would not see it
 * change.
 */
bool
relayer_conf_same(const struct config *ca, const struct relayer_conf *a,
    const struct config *cb, const struct relayer_conf *b)
{
	return str_same(a->name, b->name) && a->type == b->type &&
	    str_same(ca->hostname, cb->hostname) &&
	    a->tls == b->tls && a->implicit_tls == b->implicit_tls &&
	    a->mta_sts == b->mta_sts &&
	    str_same(a->ca_file, b->ca_file) &&
	    str_same(a->ca_path, b->ca_path) &&
	    str_same(a->tls_cert, b->tls_cert) &&
	    str_same(a->tls_key, b->tls_key) &&
	    str_same(a->auth_username, b->auth_username) &&
	    str_same(a->auth_password, b->auth_password) &&
	    a->dane == b->dane &&
	    ca->resolver_trust_ad == cb->resolver_trust_ad &&
	    str_same(a->ehlo_as, b->ehlo_as) &&
	    a->pool_size == b->pool_size &&
	    a->idle_timeout == b->idle_timeout &&
	    a->max_deliveries_per_connection ==
	    b->max_deliveries_per_connection &&
	    /* rate is left out on purpose: the rate gate
	     * (relay_rate.c) is reconfigured on its own and is no reason to
	     * drop connections. */
	    a->connect_timeout == b->connect_timeout &&
	    a->command_timeout == b->command_timeout &&
	    a->data_timeout == b->data_timeout && a->port == b->port &&
	    strv_same(a->hosts, a->n_hosts, b->hosts, b->n_hosts) &&
	    strv_same(a->command, a->n_command, b->command, b->n_command) &&
	    a->timeout == b->timeout && str_same(a->path, b->path);
}

void
relay_reconfigure(struct config *cfg)
{
	struct relay_inst	*ri, *next;
	const struct relayer_conf *rc;

	rate_gate_reconfigure(cfg);
	for (ri = TAILQ_FIRST(&relay_insts); ri != NULL; ri = next) {
		next = TAILQ_NEXT(ri, entry);
		if (ri->cfg == cfg)
			continue;
		rc = config_relayer(cfg, ri->name);
		if (rc != NULL && ri->ops->adopt != NULL &&
		    relayer_conf_same(ri->cfg, ri->rc, cfg, rc)) {
			/* Adopt before the state lets go of the old one. */
			ri->cfg = cfg;
			ri->rc = rc;
			ri->ops->adopt(ri->state, cfg, rc);
			log_debug("relayer %s unchanged: connections kept",
			    ri->name);
			continue;
		}
		relay_inst_retire(ri);
	}
}

bool
relay_quiet(void)
{
	return TAILQ_EMPTY(&relay_insts) && relay_pool_count() == 0;
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

void
relay_exit(void)
{
	const struct relay_ops	*all[] = { &relay_smtp_ops, &relay_mx_ops,
				    &relay_maildir_ops,
#ifdef WITH_MAILDROP
				    &relay_maildrop_ops,
#endif
				};
	struct done_later	*dl;
	size_t			 i;

	/* Normally done at the signal already; a no-op then. */
	relay_shutdown();
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->exit != NULL)
			all[i]->exit();
	/* After the MX lookups: they hand their deliveries to the pools. */
	relay_pool_exit();
	while ((dl = TAILQ_FIRST(&done_laters)) != NULL)
		done_later_run(dl);
}
