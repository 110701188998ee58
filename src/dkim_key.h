/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_key.h — DKIM private keys: reading a PEM file (RSA of at least 1024
 * bits, or Ed25519; never an encrypted key, never a prompt) and the DNS
 * TXT record that publishes its public half.  Key material is never logged.
 */
#ifndef SMARTHOSTD_DKIM_KEY_H
#define SMARTHOSTD_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "dkim_sign.h"

/*
 * Read the key in path.  Returns it with its algorithm in *alg, or NULL
 * with a reason in err.  *others_can_read is set when the file's mode
 * lets others (not the owner, not the group) read it (the caller warns).
 */
EVP_PKEY	*dkim_key_load(const char *path, enum dkim_alg *alg,
		    bool *others_can_read, char *err, size_t errlen);

/* The TXT value "v=DKIM1; k=rsa|ed25519; p=..." for key (caller frees),
 * or NULL. */
char		*dkim_key_txt(EVP_PKEY *, enum dkim_alg);

#endif
