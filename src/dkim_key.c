/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * dkim_key.c — loading DKIM private keys and making their TXT records.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim_key.h"
#include "privread.h"
#include "util.h"

/* Refuse encrypted keys instead of prompting on a terminal. */
static int
no_passphrase(char *buf, int size, int rw, void *arg)
{
	(void)buf; (void)size; (void)rw; (void)arg;
	return -1;
}

EVP_PKEY *
dkim_key_load(const char *path, enum dkim_alg *alg, bool *others_can_read,
    char *err, size_t errlen)
{
	struct stat	 st;
	EVP_PKEY	*key = NULL;
	FILE		*fp;
	int		 fd, bits;

	*others_can_read = false;
	/* Through the root helper after the privilege drop (privread.h). */
	if ((fd = privread_open(path)) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	*others_can_read = (st.st_mode & S_IROTH) != 0;
	if ((fp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	key = PEM_read_PrivateKey(fp, NULL, no_passphrase, NULL);
	fclose(fp);
	/* OpenSSL's reason may quote the file; say it in our words. */
	ERR_clear_error();
	if (key == NULL) {
		snprintf(err, errlen, "%s: not an unencrypted PEM private key",
		    path);
		return NULL;
	}
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(key);
		if (bits < 1024) {
			snprintf(err, errlen, "%s: RSA key of %d bits (at "
			    "least 1024 needed)", path, bits);
			goto fail;
		}
		*alg = DKIM_RSA_SHA256;
		return key;
	case EVP_PKEY_ED25519:
		*alg = DKIM_ED25519_SHA256;
		return key;
	default:
		snprintf(err, errlen, "%s: key type %s is neither RSA nor "
		    "Ed25519", path, OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
		goto fail;
	}
fail:
	EVP_PKEY_free(key);
	return NULL;
}

char *
dkim_key_txt(EVP_PKEY *key, enum dkim_alg alg)
{
	unsigned char	*der = NULL, raw[32];
	size_t		 rawlen = sizeof(raw);
	char		*b64, *txt;
	int		 len;

	if (alg == DKIM_ED25519_SHA256) {
		/* RFC 8463 §4: the bare 32-octet public key. */
		if (EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1)
			return NULL;
		b64 = dkim_base64(raw, rawlen);
		txt = xasprintf("v=DKIM1; k=ed25519; p=%s", b64);
	} else {
		/* RFC 6376 §3.6.1: SubjectPublicKeyInfo, DER. */
		if ((len = i2d_PUBKEY(key, &der)) <= 0)
			return NULL;
		b64 = dkim_base64(der, (size_t)len);
		OPENSSL_free(der);
		txt = xasprintf("v=DKIM1; k=rsa; p=%s", b64);
	}
	free(b64);
	return txt;
}
