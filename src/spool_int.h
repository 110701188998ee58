/*
 * spool_int.h — private interface between spool.c (directories, bodies,
 * updates, recovery) and spool_commit.c (the group commit).  Nothing else
 * includes it: everyone else sees only spool.h and an opaque struct spool.
 */
#ifndef SMARTHOSTD_SPOOL_INT_H
#define SMARTHOSTD_SPOOL_INT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

struct event;
struct event_base;
struct spool;
struct commit;
struct syncer;
struct sync_job;

#define NAME_MAX_	(QUEUE_ID_MAX + 16)	/* "<id>.env.new" and the like */

struct spool_body {
	struct spool	*sp;
	int		 fd;
	char		 name[NAME_MAX_];	/* in tmp/ */
	char		*buf;
	size_t		 buflen;
	uint64_t	 size;
	int		 err;	/* errno of the first failure; sticky */
	bool		 has_id;	/* the first envelope's id is at id_off */
	uint64_t	 id_off;
};

TAILQ_HEAD(commit_list, commit);

struct spool {
	struct event_base	*base;
	char			*dir;
	int			 rootfd, tmpfd, queuefd, corruptfd;
	int			 incomingfd;
	struct event		*commit_ev;
	struct commit_list	 pending;
	uint64_t		 last_id;
	int			 dir_syncs;
	struct syncer		*syncer;	/* started at the first commit */
	/* The group being made durable, while the next one gathers in
	 * pending: one group in flight at a time. */
	struct commit_list	 inflight;
	enum { STAGE_IDLE, STAGE_FILES, STAGE_DIR } stage;
	struct sync_job		*jobs;
	int			 njobs;
	int			 notify[2];	/* threads -> loop: a stage ended */
	struct event		*notify_ev;
};

/* Create dirfd/name holding text; fsync it when sync.  Nothing is left
 * behind on failure; errno is kept. */
int	spool_write_file_at(int dirfd, const char *name, const char *text,
	    size_t len, int oflags, int sync);
/* Does dirfd/name exist (not following a symbolic link)? */
int	spool_exists_at(int dirfd, const char *name);
/* write(2) all of it, again after EINTR; 0 or -1 with errno. */
int	spool_write_all(int fd, const void *, size_t);
/* Write out what the body has buffered.  Returns 0, or -1 with errno (the
 * first failure sticks). */
int	spool_body_flush(struct spool_body *);
/* Close and unlink the tmp name (the queue/ links, if any, remain). */
void	spool_body_release(struct spool_body *);

/* Set up what commits need from the event loop (spool_commit.c): the
 * event that starts a group and the threads' notify pipe.  Returns 0, or
 * -1 with errno. */
int	spool_commit_init(struct spool *);
/* Stop the fsync threads, fail every commit in flight or pending (undone,
 * callbacks with ok = 0) and release what spool_commit_init() made. */
void	spool_commit_abandon(struct spool *);

#endif
