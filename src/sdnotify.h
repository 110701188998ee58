/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * sdnotify.h — tell the service manager (systemd's Type=notify) when the
 * daemon is ready, reloading and stopping, over $NOTIFY_SOCKET.
 *
 * The protocol is one datagram of "KEY=value" lines to a unix socket; it
 * is written here in a few lines rather than linking libsystemd.  Without
 * NOTIFY_SOCKET every call does nothing.
 */
#ifndef SMARTHOSTD_SDNOTIFY_H
#define SMARTHOSTD_SDNOTIFY_H

/* Read and unset NOTIFY_SOCKET (children must not inherit it) and open
 * the socket.  0 (also when there is none), or -1 with the reason in err. */
int	sdnotify_init(char *err, size_t errlen);
/* Send one state: "READY=1", "STOPPING=1", ...  Failures are logged once. */
void	sdnotify_send(const char *state);
/* "RELOADING=1" with the MONOTONIC_USEC= the protocol asks for. */
void	sdnotify_reloading(void);
void	sdnotify_close(void);

#endif
