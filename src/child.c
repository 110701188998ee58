/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * child.c — owns the daemon's child processes (child.h): fork and exec
 * with signals and descriptors made safe, the one SIGCHLD event (present
 * only while a child runs, so the default disposition is back otherwise),
 * and the stop at exit.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "child.h"
#include "log.h"
#include "util.h"

struct child {
	TAILQ_ENTRY(child)	 entry;
	pid_t			 pid;
	child_exit_cb		 cb;
	void			*arg;
	char			*label;
};

/* Every live child: the SIGCHLD handler's and the exit handler's list. */
static TAILQ_HEAD(, child)	children = TAILQ_HEAD_INITIALIZER(children);
static struct event		*ev_chld;

static void	child_sigchld(evutil_socket_t, short, void *);

/* Our pipe ends must not be 0, 1 or 2, or the child's dup2() onto its
 * stdio would keep them close-on-exec. */
static int
high_fd(int fd)
{
	int	nfd;

	if (fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	close(fd);
	return nfd;
}

static int
make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	fds[0] = high_fd(fds[0]);
	fds[1] = high_fd(fds[1]);
	if (fds[0] == -1 || fds[1] == -1) {
		if (fds[0] != -1)
			close(fds[0]);
		if (fds[1] != -1)
			close(fds[1]);
		fds[0] = fds[1] = -1;
		return -1;
	}
	return 0;
}

static void
close_fds(int *fds, int n)
{
	int	i, saved = errno;

	for (i = 0; i < n; i++)
		if (fds[i] != -1) {
			close(fds[i]);
			fds[i] = -1;
		}
	errno = saved;
}

/*
 * In the child, between fork() and execve(): async-signal-safe calls only.
 * A failure is reported to the parent as an errno over err_fd.
 */
static void __attribute__((noreturn))
exec_child(char *const *argv, char *const *envp, int in_fd, int out_fd,
    int err_fd)
{
	struct sigaction	sa;
	sigset_t		mask;
	int			e, sig;

	/* A process group of its own, so that a timeout reaches whatever
	 * the command started too. */
	setsid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* Ignored signals stay ignored across exec: the daemon ignores
	 * SIGPIPE, the command should not. */
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&mask);
	(void)sigprocmask(SIG_SETMASK, &mask, NULL);
	if (dup2(in_fd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 ||
	    dup2(out_fd, STDERR_FILENO) == -1)
		goto fail;
	/* Other modules' descriptors may lack O_CLOEXEC; keep err_fd (it
	 * closes on exec) to report a failed exec. */
	if (err_fd > STDERR_FILENO + 1)
		(void)close_range(STDERR_FILENO + 1, err_fd - 1, 0);
	(void)close_range(err_fd + 1, ~0U, 0);
	if (chdir("/") == -1)
		goto fail;
	execve(argv[0], argv, envp);
fail:
	e = errno;
	(void)write(err_fd, &e, sizeof(e));
	_exit(127);
}

/* Reap pid, blocking (it has exited or been killed). */
static void
reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

/*
 * At process exit, no command may outlive the daemon: one still running
 * (the loop ended within its timeout, the daemon's shutdown grace being
 * shorter) could deliver a message that stays queued, a duplicate at the
 * next start.  Only the processes are touched: the event base is gone.
 */
static void
child_atexit(void)
{
	struct child	*c;

	while ((c = TAILQ_FIRST(&children)) != NULL) {
		log_warnx("%s: exit: stopping pid %ld", c->label,
		    (long)c->pid);
		child_stop(c);
	}
}

static void
watch(struct event_base *base, struct child *c)
{
	static bool	registered;

	if (!registered && atexit(child_atexit) == 0)
		registered = true;
	if (ev_chld == NULL) {
		ev_chld = evsignal_new(base, SIGCHLD, child_sigchld, NULL);
		if (ev_chld == NULL || evsignal_add(ev_chld, NULL) == -1)
			fatalx("child: cannot watch SIGCHLD");
	}
	TAILQ_INSERT_TAIL(&children, c, entry);
}

static void
unwatch_free(struct child *c)
{
	TAILQ_REMOVE(&children, c, entry);
	/* Restore the default disposition while we have no child. */
	if (TAILQ_EMPTY(&children) && ev_chld != NULL) {
		event_free(ev_chld);
		ev_chld = NULL;
	}
	free(c->label);
	free(c);
}

struct child *
child_spawn(struct event_base *base, char *const *argv, char *const *envp,
    int *in_fd, int *out_fd, child_exit_cb cb, void *arg, const char *label,
    enum child_failure *fail)
{
	struct child	*c;
	sigset_t	 all, old;
	int		 in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int		 err[2] = { -1, -1 }, e;
	ssize_t		 n;
	pid_t		 pid;

	if (make_pipe(in) == -1 || make_pipe(out) == -1 ||
	    make_pipe(err) == -1) {
		*fail = CHILD_PIPE;
		goto fail;
	}
	c = xcalloc(1, sizeof(*c));
	c->cb = cb;
	c->arg = arg;
	c->label = xstrdup(label);
	c->pid = -1;
	/* Watch SIGCHLD before the child can exit. */
	watch(base, c);
	/* No handler of ours may run in the child before it resets them:
	 * libevent's would wake the parent's loop with the child's signal. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		exec_child(argv, envp, in[0], out[1], err[1]);
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		unwatch_free(c);
		*fail = CHILD_FORK;
		errno = e;
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;

	/* The exec either closes err[0]'s peer (EOF) or reports errno: a
	 * short wait bounded by one execve(). */
	do
		n = read(err[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	close(err[0]);
	err[0] = -1;
	if (n == (ssize_t)sizeof(e)) {
		reap(pid);
		unwatch_free(c);
		*fail = CHILD_EXEC;
		errno = e;
		goto fail;
	}
	c->pid = pid;
	*in_fd = in[1];
	*out_fd = out[0];
	return c;

fail:
	close_fds(in, 2);
	close_fds(out, 2);
	close_fds(err, 2);
	return NULL;
}

pid_t
child_pid(const struct child *c)
{
	return c->pid;
}

void
child_signal(struct child *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (kill(-c->pid, sig) == -1)
		(void)kill(c->pid, sig);
}

void
child_stop(struct child *c)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		i;

	child_signal(c, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(c->pid, NULL, WNOHANG) != 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 100) {
		child_signal(c, SIGKILL);
		reap(c->pid);
	}
	unwatch_free(c);
}

static void
child_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	struct child	*c;
	pid_t		 p;
	int		 st = 0;
	bool		 again = true;

	/* Our pids only.  A callback may start a child (into the list)
	 * or end the last one (freeing ev_chld): rescan from the top after
	 * each exit. */
	while (again) {
		again = false;
		TAILQ_FOREACH(c, &children, entry) {
			do
				p = waitpid(c->pid, &st, WNOHANG);
			while (p == -1 && errno == EINTR);
			if (p == 0)
				continue;
			/* Off the list first: the callback may spawn. */
			TAILQ_REMOVE(&children, c, entry);
			c->cb(c->arg, st, p == -1);
			free(c->label);
			free(c);
			if (TAILQ_EMPTY(&children) && ev_chld != NULL) {
				event_free(ev_chld);
				ev_chld = NULL;
			}
			again = true;
			break;
		}
	}
}
