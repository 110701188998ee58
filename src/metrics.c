/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * metrics.c — owns the metrics HTTP endpoint (see metrics.h).  evhttp does
 * the HTTP; this file decides who may ask (allow_from, else 403), what may
 * be asked (GET /metrics, else 404 or 405) and writes the families listed
 * in behaviour.md.  Label values are escaped as the format requires; queue
 * names come from recipient domains, so only the 100 largest queues are
 * named and the rest are summed as "other".
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cidr.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "route.h"
#include "smtp_server.h"
#include "stats.h"
#include "util.h"

#define QUEUES_NAMED	100

struct metrics {
	struct event_base	*base;
	struct queue		*queue;
	struct smtp_server	*server;
	struct config		*cfg;		/* referenced; NULL when off */
	struct evhttp		*http;
	char			*address;
	int			 port;
};

struct metrics *
metrics_new(struct event_base *base, struct queue *q, struct smtp_server *srv)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	m->base = base;
	m->queue = q;
	m->server = srv;
	return m;
}

static void
close_http(struct metrics *m)
{
	if (m->http != NULL)
		evhttp_free(m->http);
	m->http = NULL;
	free(m->address);
	m->address = NULL;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	close_http(m);
	if (m->cfg != NULL)
		config_unref(m->cfg);
	free(m);
}

/* A label value: backslash, double quote and newline escaped. */
static void
label(struct evbuffer *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

static void
family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* Series known from the configuration start at 0, as counters should. */
struct named_walk {
	struct evbuffer	*b;
	const char	*metric;
	const char	*key1, *key2;	/* label names; key2 may be NULL */
	char		**seen;		/* "name\nresult" already printed */
	int		 n_seen;
};

static void
named_line(struct named_walk *w, const char *name, const char *result,
    uint64_t v)
{
	evbuffer_add_printf(w->b, "%s{%s=\"", w->metric, w->key1);
	label(w->b, name);
	if (w->key2 != NULL) {
		evbuffer_add_printf(w->b, "\",%s=\"", w->key2);
		label(w->b, result);
	}
	evbuffer_add_printf(w->b, "\"} %llu\n", (unsigned long long)v);
}

static void
named_cb(void *arg, const char *name, const char *result, uint64_t v)
{
	struct named_walk *w = arg;

	w->seen = xreallocarray(w->seen, w->n_seen + 1, sizeof(*w->seen));
	w->seen[w->n_seen++] = xasprintf("%s\n%s", name, result);
	named_line(w, name, result, v);
}

static void
named_zero(struct named_walk *w, const char *name, const char *result)
{
	char	*k = xasprintf("%s\n%s", name, result);
	int	 i;

	for (i = 0; i < w->n_seen; i++)
		if (strcmp(w->seen[i], k) == 0)
			break;
	if (i == w->n_seen)
		named_line(w, name, result, 0);
	free(k);
}

/* A family's header, then the series stats has for it, walked into w. */
static void
named_begin(struct named_walk *w, struct evbuffer *b, enum stat_family f,
    const char *metric, const char *help, const char *key1,
    const char *key2)
{
	family(b, metric, "counter", help);
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->metric = metric;
	w->key1 = key1;
	w->key2 = key2;
	stats_walk(f, named_cb, w);
}

static void
named_done(struct named_walk *w)
{
	for (int i = 0; i < w->n_seen; i++)
		free(w->seen[i]);
	free(w->seen);
}

static void
render_counters(struct metrics *m, struct evbuffer *b)
{
	struct config		*cfg = m->cfg;
	struct named_walk	 w;

	named_begin(&w, b, SF_RECEIVED, "smarthostd_messages_received_total",
	    "Messages accepted, by listener.", "listener", NULL);
	for (int i = 0; cfg != NULL && i < cfg->n_listeners; i++)
		named_zero(&w, cfg->listeners[i].name, "");
	named_zero(&w, LISTENER_SENDMAIL, "");
	named_done(&w);

	named_begin(&w, b, SF_DELIVERIES, "smarthostd_deliveries_total",
	    "Recipients by relayer and outcome of their delivery attempt.",
	    "relayer", "result");
	for (int i = 0; cfg != NULL && i < cfg->n_relayers; i++)
		for (int j = 0; j < STATS_RESULTS; j++)
			named_zero(&w, cfg->relayers[i].name,
			    stats_results[j]);
	named_done(&w);

	family(b, "smarthostd_connections_total", "counter",
	    "SMTP sessions started.");
	evbuffer_add_printf(b, "smarthostd_connections_total %llu\n",
	    (unsigned long long)stats_get(STAT_CONNECTIONS));
	family(b, "smarthostd_reloads_total", "counter",
	    "Successful configuration reloads.");
	evbuffer_add_printf(b, "smarthostd_reloads_total %llu\n",
	    (unsigned long long)stats_get(STAT_RELOADS));
}

static void
connections_cb(void *arg, const char *name, int n)
{
	struct evbuffer *b = arg;

	evbuffer_add_printf(b, "smarthostd_connections_current{listener=\"");
	label(b, name);
	evbuffer_add_printf(b, "\"} %d\n", n);
}

/* Queue gauges: every pending (message, queue) pair, then counted. */
struct qwalk {
	struct config	*cfg;
	char		**names;
	size_t		 n, cap;
	time_t		 oldest;
};

static void
queue_cb(void *arg, const struct envelope *env, bool busy)
{
	struct qwalk	*w = arg;
	struct route	 r;
	size_t		 first = w->n;

	(void)busy;
	if (w->oldest == 0 || env->created < w->oldest)
		w->oldest = env->created;
	for (int i = 0; i < env->n_rcpts; i++) {
		size_t j;

		if (env->rcpts[i].state != RCPT_PENDING ||
		    route_resolve(w->cfg, env->listener ? env->listener : "",
		    env->sender, env->rcpts[i].addr, &r) == -1)
			continue;
		for (j = first; j < w->n; j++)
			if (strcmp(w->names[j], r.queue) == 0)
				break;
		if (j < w->n)
			continue;	/* one message counts once per queue */
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 64;
			w->names = xreallocarray(w->names, w->cap,
			    sizeof(*w->names));
		}
		w->names[w->n++] = xstrdup(r.queue);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct qcount {
	const char	*name;
	uint64_t	 n;
};

static int
cmp_count(const void *a, const void *b)
{
	const struct qcount *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void
render_queue(struct metrics *m, struct evbuffer *b)
{
	struct qwalk	 w;
	struct qcount	*qc;
	size_t		 nq = 0, i;
	uint64_t	 other = 0;

	memset(&w, 0, sizeof(w));
	w.cfg = m->cfg;
	if (w.cfg != NULL)
		queue_walk(m->queue, queue_cb, &w);
	/* qsort(NULL, 0, ...) is undefined: an empty queue sorts nothing. */
	if (w.n > 0)
		qsort(w.names, w.n, sizeof(*w.names), cmp_str);
	qc = xcalloc(w.n + 1, sizeof(*qc));
	for (i = 0; i < w.n; i++) {
		if (nq > 0 && strcmp(qc[nq - 1].name, w.names[i]) == 0)
			qc[nq - 1].n++;
		else {
			qc[nq].name = w.names[i];
			qc[nq++].n = 1;
		}
	}
	if (nq > 0)
		qsort(qc, nq, sizeof(*qc), cmp_count);

	family(b, "smarthostd_queue_messages", "gauge",
	    "Messages waiting, by scheduled queue (the 100 largest; the rest "
	    "as other).");
	for (i = 0; i < nq; i++) {
		if (i >= QUEUES_NAMED) {
			other += qc[i].n;
			continue;
		}
		evbuffer_add_printf(b, "smarthostd_queue_messages{queue=\"");
		label(b, qc[i].name);
		evbuffer_add_printf(b, "\"} %llu\n",
		    (unsigned long long)qc[i].n);
	}
	if (nq > QUEUES_NAMED)
		evbuffer_add_printf(b, "smarthostd_queue_messages"
		    "{queue=\"other\"} %llu\n", (unsigned long long)other);
	family(b, "smarthostd_queue_length", "gauge",
	    "Messages in the queue.");
	evbuffer_add_printf(b, "smarthostd_queue_length %d\n",
	    queue_length(m->queue));
	family(b, "smarthostd_queue_oldest_seconds", "gauge",
	    "Age of the oldest queued message (0 when the queue is empty).");
	evbuffer_add_printf(b, "smarthostd_queue_oldest_seconds %lld\n",
	    w.oldest ? (long long)(now() - w.oldest) : 0LL);
	for (i = 0; i < w.n; i++)
		free(w.names[i]);
	free(w.names);
	free(qc);
}

static void
render_hist(struct evbuffer *b, const char *name, const char *help,
    enum stat_hist h)
{
	const double	*le = stats_bounds();
	uint64_t	 cum[STATS_BUCKETS], count;
	double		 sum;

	stats_hist(h, cum, &count, &sum);
	family(b, name, "histogram", help);
	for (int i = 0; i < STATS_BUCKETS; i++)
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    le[i], (unsigned long long)cum[i]);
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)count);
	evbuffer_add_printf(b, "%s_sum %.6f\n%s_count %llu\n", name, sum, name,
	    (unsigned long long)count);
}

void
metrics_render(struct metrics *m, struct evbuffer *b)
{
	family(b, "smarthostd_build_info", "gauge",
	    "Always 1; the version is the label.");
	evbuffer_add_printf(b, "smarthostd_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	family(b, "smarthostd_start_time_seconds", "gauge",
	    "Unix time the daemon started.");
	evbuffer_add_printf(b, "smarthostd_start_time_seconds %lld\n",
	    (long long)stats_started());
	render_counters(m, b);
	family(b, "smarthostd_connections_current", "gauge",
	    "Open SMTP sessions, by listener.");
	smtp_server_listeners(m->server, connections_cb, b);
	render_queue(m, b);
	render_hist(b, "smarthostd_delivery_duration_seconds",
	    "One delivery attempt, from its start to its outcome.",
	    SH_DELIVERY);
	render_hist(b, "smarthostd_spool_commit_duration_seconds",
	    "A received message's commit, until it is durable.", SH_COMMIT);
}

static void
reply(struct evhttp_request *req, int code, const char *reason)
{
	struct evbuffer *b = evbuffer_new();

	if (b != NULL)
		evbuffer_add_printf(b, "%d %s\n", code, reason);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics		*m = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const struct sockaddr	*sa = conn ? evhttp_connection_get_addr(conn) :
				    NULL;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer		*b;

	if (m->cfg == NULL || sa == NULL ||
	    !cidr_match_any(m->cfg->metrics.allow_from,
	    m->cfg->metrics.n_allow_from, sa)) {
		reply(req, 403, "Forbidden");
		return;
	}
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		reply(req, 404, "Not Found");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET");
		reply(req, 405, "Method Not Allowed");
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		reply(req, 500, "Internal Server Error");
		return;
	}
	metrics_render(m, b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

int
metrics_configure(struct metrics *m, struct config *cfg, char *err,
    size_t errlen)
{
	const struct metrics_conf *mc = &cfg->metrics;
	struct evhttp	*http;

	if (!mc->enabled)
		close_http(m);
	else if (m->http == NULL || m->port != mc->port ||
	    strcmp(m->address, mc->address) != 0) {
		if ((http = evhttp_new(m->base)) == NULL) {
			snprintf(err, errlen, "metrics: cannot set up HTTP");
			return -1;
		}
		/*
		 * The new socket first, so that a failure keeps the old one;
		 * if the old one is in the way (same port), close it and try
		 * once more.
		 */
		if (evhttp_bind_socket(http, mc->address,
		    (uint16_t)mc->port) != 0) {
			close_http(m);
			if (evhttp_bind_socket(http, mc->address,
			    (uint16_t)mc->port) != 0) {
				evhttp_free(http);
				snprintf(err, errlen, "metrics: cannot listen "
				    "on %s port %d", mc->address, mc->port);
				return -1;
			}
		}
		close_http(m);
		/* Small requests only, and no client may hold it. */
		evhttp_set_max_headers_size(http, 8192);
		evhttp_set_max_body_size(http, 1024);
		evhttp_set_timeout(http, 10);
		evhttp_set_allowed_methods(http, EVHTTP_REQ_GET |
		    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
		    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
		    EVHTTP_REQ_PATCH);
		evhttp_set_gencb(http, request_cb, m);
		m->http = http;
		m->address = xstrdup(mc->address);
		m->port = mc->port;
		log_info("metrics on %s port %d", mc->address, mc->port);
	}
	config_ref(cfg);
	if (m->cfg != NULL)
		config_unref(m->cfg);
	m->cfg = cfg;
	return 0;
}
