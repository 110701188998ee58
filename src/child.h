/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * child.h — child processes of the daemon (the maildrop relayer's
 * commands): start a command from an argv array (never a shell) in a
 * process group of its own, with its stdin and its stdout+stderr on
 * pipes; hear of its exit from the event loop (SIGCHLD, waitpid() on our
 * own pids only); signal its group; and, at process exit, stop whatever
 * still runs, so that no command outlives the daemon.
 */
#ifndef SMARTHOSTD_CHILD_H
#define SMARTHOSTD_CHILD_H

#include <sys/types.h>

#include <stdbool.h>

struct event_base;
struct child;

/* The child has exited (status as from waitpid), or its status was lost
 * (lost).  The struct child is freed once this returns. */
typedef void (*child_exit_cb)(void *arg, int status, bool lost);

/* What failed when child_spawn() returns NULL (errno says why). */
enum child_failure { CHILD_PIPE, CHILD_FORK, CHILD_EXEC };

/*
 * Run argv[0] (a path) with argv and envp, in "/", every signal at its
 * default and unblocked, no descriptor but its stdio open.  *in_fd gets
 * the write end of its stdin, *out_fd the read end of its stdout and
 * stderr (both close-on-exec, blocking).  label names it in the log at
 * exit.  NULL with errno and *fail when it could not be started (exec
 * failures are reported by the child before it exits).
 */
struct child	*child_spawn(struct event_base *, char *const *argv,
		    char *const *envp, int *in_fd, int *out_fd,
		    child_exit_cb, void *arg, const char *label,
		    enum child_failure *fail);
pid_t		 child_pid(const struct child *);
/* Send sig to its process group (or to it alone, if that fails). */
void		 child_signal(struct child *, int sig);
/*
 * SIGTERM, up to a second, SIGKILL; reap it and free it, the exit callback
 * not called.  Blocking: only for when the event loop has ended.
 */
void		 child_stop(struct child *);

#endif
