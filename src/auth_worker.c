/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * auth_worker.c — owns the thread that runs auth_users_check() (see
 * auth_worker.h).  The thread touches only the job it holds and the two
 * lists under the mutex; the users object it reads is immutable and its
 * reference is taken and dropped on the loop.  Passwords are wiped as soon
 * as they are checked.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "auth_worker.h"
#include "log.h"
#include "util.h"

struct auth_job {
	TAILQ_ENTRY(auth_job)	 entry;
	struct auth_users	*users;
	char			*user, *pass;
	auth_done_fn		 done;
	void			*arg;
	bool			 cancelled;	/* loop side only */
	int			 ok;
};
TAILQ_HEAD(job_list, auth_job);

struct auth_worker {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct job_list		 todo, done;
	int			 n_todo;
	bool			 stop;
	bool			 started;	/* the thread runs */
	int			 pipe[2];	/* worker -> loop: "done" */
	struct event		*ev;
};

static void
job_free(struct auth_job *j)
{
	if (j->pass != NULL) {
		OPENSSL_cleanse(j->pass, strlen(j->pass));
		free(j->pass);
	}
	free(j->user);
	auth_users_unref(j->users);
	free(j);
}

static void *
worker_main(void *arg)
{
	struct auth_worker	*w = arg;
	struct auth_job		*j;
	char			 c = 0;
	ssize_t			 n;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && TAILQ_EMPTY(&w->todo))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		j = TAILQ_FIRST(&w->todo);
		TAILQ_REMOVE(&w->todo, j, entry);
		pthread_mutex_unlock(&w->mu);

		j->ok = j->user[0] != '\0' &&
		    auth_users_check(j->users, j->user, j->pass);
		OPENSSL_cleanse(j->pass, strlen(j->pass));

		pthread_mutex_lock(&w->mu);
		w->n_todo--;
		TAILQ_INSERT_TAIL(&w->done, j, entry);
		do
			n = write(w->pipe[1], &c, 1);
		while (n == -1 && errno == EINTR);
		/* EAGAIN: the pipe is full, so the loop will wake anyway. */
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* On the loop: hand every finished check to its caller. */
static void
worker_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct auth_worker	*w = arg;
	struct job_list		 done;
	struct auth_job		*j;
	char			 buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&w->mu);
	TAILQ_CONCAT(&done, &w->done, entry);
	pthread_mutex_unlock(&w->mu);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		if (!j->cancelled)
			j->done(j->arg, j->ok);
		job_free(j);
	}
}

struct auth_worker *
auth_worker_new(struct event_base *base)
{
	struct auth_worker	*w = xcalloc(1, sizeof(*w));

	TAILQ_INIT(&w->todo);
	TAILQ_INIT(&w->done);
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("auth worker: pipe");
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((w->ev = event_new(base, w->pipe[0], EV_READ | EV_PERSIST,
	    worker_cb, w)) == NULL)
		fatalx("auth worker: event_new failed");
	event_add(w->ev, NULL);
	/* The thread starts with the first check: after daemon(3), whose
	 * fork would leave it behind. */
	return w;
}

void
auth_worker_free(struct auth_worker *w)
{
	struct auth_job	*j;

	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	while ((j = TAILQ_FIRST(&w->todo)) != NULL) {
		TAILQ_REMOVE(&w->todo, j, entry);
		job_free(j);
	}
	while ((j = TAILQ_FIRST(&w->done)) != NULL) {
		TAILQ_REMOVE(&w->done, j, entry);
		job_free(j);
	}
	event_free(w->ev);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

struct auth_job *
auth_worker_check(struct auth_worker *w, struct auth_users *u,
    const char *user, const char *pass, auth_done_fn done, void *arg)
{
	struct auth_job	*j;

	if (!w->started) {
		if ((errno = pthread_create(&w->thread, NULL, worker_main,
		    w)) != 0) {
			log_warn("auth worker: pthread_create");
			return NULL;
		}
		w->started = true;
	}
	pthread_mutex_lock(&w->mu);
	if (w->n_todo >= AUTH_WORKER_QUEUE_MAX) {
		pthread_mutex_unlock(&w->mu);
		return NULL;
	}
	pthread_mutex_unlock(&w->mu);
	j = xcalloc(1, sizeof(*j));
	j->users = auth_users_ref(u);
	j->user = xstrdup(user);
	j->pass = xstrdup(pass);
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w->mu);
	w->n_todo++;
	TAILQ_INSERT_TAIL(&w->todo, j, entry);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return j;
}

void
auth_worker_cancel(struct auth_job *j)
{
	if (j != NULL)
		j->cancelled = true;
}
