/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * control_socket.c — owns the control socket's plumbing
 * (control_socket.h): its creation (mode 0600, stale socket removal,
 * refusal when another daemon answers), its clients, one request line
 * each, and their bounds.
 *
 * A client gets one request and one response, then the connection closes.
 * Requests and clients are bounded and every client has a timeout, so a
 * slow or hostile local client costs little and never blocks the loop.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "control.h"
#include "control_socket.h"
#include "log.h"
#include "util.h"

#define CONTROL_CLIENTS_MAX	16
#define CONTROL_TIMEOUT		10	/* seconds to send a request or take
					   the response */
#define TOO_MANY		"error too many control clients\n"

struct ctl_client {
	TAILQ_ENTRY(ctl_client)	 entry;
	struct control_socket	*ctl;
	struct bufferevent	*bev;
	int			 answered;	/* response queued: close once
						   it is written */
};

TAILQ_HEAD(ctl_client_list, ctl_client);

struct control_socket {
	struct event_base	*base;
	struct evconnlistener	*listener;
	char			*path;
	control_dispatch_cb	 dispatch;
	void			*arg;
	struct ctl_client_list	 clients;
	int			 n_clients;
};

/*
 * Clients.
 */

static void
client_free(struct ctl_client *c)
{
	struct control_socket	*ctl = c->ctl;

	TAILQ_REMOVE(&ctl->clients, c, entry);
	ctl->n_clients--;
	bufferevent_free(c->bev);
	free(c);
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer		*out = bufferevent_get_output(bev);
	struct evbuffer_ptr	 eol;
	char			 line[CONTROL_REQUEST_MAX];
	size_t			 len;

	if (c->answered)
		return;
	eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	if (eol.pos == -1) {
		if (evbuffer_get_length(in) < CONTROL_REQUEST_MAX)
			return;		/* wait for the rest */
		evbuffer_add_printf(out, "error request too long\n");
	} else if ((size_t)eol.pos >= CONTROL_REQUEST_MAX)
		evbuffer_add_printf(out, "error request too long\n");
	else {
		len = (size_t)eol.pos;
		evbuffer_remove(in, line, len);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		c->ctl->dispatch(c->ctl->arg, line, len, out);
	}
	/* One request per connection: stop reading, close once written. */
	c->answered = 1;
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_disable(bev, EV_READ);
}

static void
client_write(struct bufferevent *bev, void *arg)
{
	struct ctl_client	*c = arg;

	if (c->answered && evbuffer_get_length(bufferevent_get_output(bev))
	    == 0)
		client_free(c);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client	*c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control: client timed out");
	else if ((what & BEV_EVENT_EOF) && c->answered)
		return;		/* half-closed: the response still goes out */
	client_free(c);
}

static void
control_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control_socket	*ctl = arg;
	struct ctl_client	*c;
	struct timeval		 tv = { CONTROL_TIMEOUT, 0 };

	if (ctl->n_clients >= CONTROL_CLIENTS_MAX) {
		/* A fresh socket takes this short line whole. */
		if (send(fd, TOO_MANY, strlen(TOO_MANY), MSG_NOSIGNAL |
		    MSG_DONTWAIT) == -1)
			log_debug("control: refusal not sent: %s",
			    strerror(errno));
		close(fd);
		log_warnx("control: too many clients, one refused");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	c->bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("control: cannot set up a client");
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	ctl->n_clients++;
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONTROL_REQUEST_MAX);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/*
 * The socket.
 */

/* Remove a stale socket at path; refuse a live one or a non-socket. */
static int
control_clear(const char *path, const struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	struct stat	st;
	int		fd, rc, saved;

	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a "
		    "socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "control socket %s: another smarthostd "
		    "is running there", path);
		return -1;
	}
	if (saved != ECONNREFUSED) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(saved));
		return -1;
	}
	/* Nobody listens: left by a daemon that did not exit cleanly. */
	if (unlinkat(AT_FDCWD, path, 0) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "control socket %s: unlink: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct control_socket *
control_socket_new(struct event_base *base, const char *path,
    control_dispatch_cb dispatch, void *arg, char *err, size_t errlen)
{
	struct control_socket	*ctl;
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy_(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return NULL;
	}
	if (control_clear(path, &sun, err, errlen) == -1)
		return NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	/* Created 0600 from the start: no window where others may connect. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "control socket %s: bind: %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	umask(old);
	if (listen(fd, CONTROL_CLIENTS_MAX) == -1) {
		snprintf(err, errlen, "control socket %s: listen: %s", path,
		    strerror(errno));
		close(fd);
		unlinkat(AT_FDCWD, path, 0);
		return NULL;
	}
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->base = base;
	ctl->path = xstrdup(path);
	ctl->dispatch = dispatch;
	ctl->arg = arg;
	TAILQ_INIT(&ctl->clients);
	ctl->listener = evconnlistener_new(base, control_accept, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (ctl->listener == NULL) {
		snprintf(err, errlen, "control socket %s: cannot listen", path);
		close(fd);
		unlinkat(AT_FDCWD, path, 0);
		free(ctl->path);
		free(ctl);
		return NULL;
	}
	log_info("control socket %s", path);
	return ctl;
}

void
control_socket_free(struct control_socket *ctl)
{
	struct ctl_client	*c;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
		client_free(c);
	evconnlistener_free(ctl->listener);
	/* After a privilege drop this may fail; the next start clears it. */
	if (unlinkat(AT_FDCWD, ctl->path, 0) == -1 && errno != ENOENT)
		log_debug("control socket %s: unlink: %s", ctl->path,
		    strerror(errno));
	free(ctl->path);
	free(ctl);
}
