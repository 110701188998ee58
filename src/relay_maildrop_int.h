/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * relay_maildrop_int.h — what the maildrop relayer's two files call of
 * each other: the argv and environment of one child
 * (relay_maildrop_argv.c), used by the runner (relay_maildrop.c).
 * Nothing else includes it.
 */
#ifndef SMARTHOSTD_RELAY_MAILDROP_INT_H
#define SMARTHOSTD_RELAY_MAILDROP_INT_H

struct relayer_conf;

/* The argv for one recipient, or NULL if the address is unsafe in it. */
char	**mdrop_argv(const struct relayer_conf *, const char *, const char *);
/* The child's whole environment: PATH, SENDER and RECIPIENT. */
char	**mdrop_envp(const char *, const char *);
/* Free a NULL-terminated vector from mdrop_argv() or mdrop_envp(). */
void	  mdrop_free_vec(char **);

#endif
