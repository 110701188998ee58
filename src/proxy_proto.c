/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * proxy_proto.c — owns the PROXY protocol header parser (v1 text, v2
 * binary), as specified by HAProxy's proxy-protocol.txt.  Pure: the caller
 * reads, this looks.  Strict where the specification is: a header that is
 * not exactly right closes the connection rather than guess an address
 * that relay_from would then trust.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "proxy_proto.h"

static const unsigned char v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char v1sig[] = "PROXY ";

static enum proxy_status
fail(const char **err, const char *why)
{
	*err = why;
	return PROXY_ERROR;
}

/* A decimal port: 1 to 5 digits, no leading zero, at most 65535. */
static int
v1_port(const char *s, uint16_t *port)
{
	unsigned long	v = 0;
	size_t		n = strlen(s);

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * An address of family af (4 or 16 octets) and a port (2 octets), both in
 * network order as v2 carries them, into ss.
 */
static void
set_addr(struct sockaddr_storage *ss, socklen_t *slen, int af,
    const void *addr, const void *port)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		memcpy(&sin->sin_port, port, 2);
		*slen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		memcpy(&sin6->sin6_port, port, 2);
		*slen = sizeof(*sin6);
	}
}

static int
v1_addr(int family, const char *ip, const char *port,
    struct sockaddr_storage *ss, socklen_t *slen)
{
	unsigned char	a[16];
	uint16_t	p;

	if (v1_port(port, &p) == -1 || inet_pton(family, ip, a) != 1)
		return -1;
	p = htons(p);
	set_addr(ss, slen, family, a, &p);
	return 0;
}

/* "PROXY TCP4 1.2.3.4 5.6.7.8 111 222\r\n" */
static enum proxy_status
parse_v1(const unsigned char *buf, size_t len, struct proxy_hdr *out,
    size_t *used, const char **err)
{
	char		 line[PROXY_V1_MAX + 1], *tok[7], *p;
	size_t		 i, n, end = 0;
	int		 ntok, family;

	n = len < sizeof(v1sig) - 1 ? len : sizeof(v1sig) - 1;
	if (memcmp(buf, v1sig, n) != 0)
		return fail(err, "not a PROXY header");
	for (i = 0; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\r') {
			if (i + 1 == len)
				return PROXY_MORE;
			if (buf[i + 1] != '\n')
				return fail(err, "v1: CR without LF");
			end = i;
			break;
		}
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return fail(err, "v1: control or 8-bit byte");
	}
	if (end == 0) {
		if (len >= PROXY_V1_MAX)
			return fail(err, "v1: header longer than 107 bytes");
		return PROXY_MORE;
	}
	memcpy(line, buf, end);
	line[end] = '\0';

	/* Split on single spaces; an empty token means two in a row. */
	ntok = 0;
	for (p = line; ntok < 7; ) {
		tok[ntok++] = p;
		p = strchr(p, ' ');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	memset(out, 0, sizeof(*out));
	out->version = 1;
	if (ntok >= 2 && strcmp(tok[1], "UNKNOWN") == 0) {
		/* Whatever follows UNKNOWN is to be ignored. */
		out->local = 1;
		*used = end + 2;
		return PROXY_DONE;
	}
	if (p != NULL || ntok != 6)
		return fail(err, "v1: wrong number of fields");
	for (i = 0; i < 6; i++)
		if (tok[i][0] == '\0')
			return fail(err, "v1: empty field");
	if (strcmp(tok[1], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(tok[1], "TCP6") == 0)
		family = AF_INET6;
	else
		return fail(err, "v1: unknown protocol");
	if (v1_addr(family, tok[2], tok[4], &out->src, &out->srclen) == -1)
		return fail(err, "v1: bad source address or port");
	if (v1_addr(family, tok[3], tok[5], &out->dst, &out->dstlen) == -1)
		return fail(err, "v1: bad destination address or port");
	*used = end + 2;
	return PROXY_DONE;
}

static uint16_t
be16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Type-length-value records must tile what follows the addresses exactly. */
static int
v2_tlvs_ok(const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t l;

		if (n < 3)
			return 0;
		l = be16(p + 1);
		if (l > n - 3)
			return 0;
		p += 3 + l;
		n -= 3 + l;
	}
	return 1;
}

static enum proxy_status
parse_v2(const unsigned char *buf, size_t len, struct proxy_hdr *out,
    size_t *used, const char **err)
{
	const unsigned char	*a;
	size_t			 n, body, need, alen;
	int			 cmd, fam, proto, af;

	n = len < sizeof(v2sig) ? len : sizeof(v2sig);
	if (memcmp(buf, v2sig, n) != 0)
		return fail(err, "not a PROXY header");
	if (len >= 13 && (buf[12] >> 4) != 2)
		return fail(err, "v2: unknown version");
	if (len >= 13 && (buf[12] & 0x0f) > 1)
		return fail(err, "v2: unknown command");
	if (len < 16)
		return PROXY_MORE;
	body = be16(buf + 14);
	if (16 + body > PROXY_V2_MAX)
		return fail(err, "v2: header too long");
	if (len < 16 + body)
		return PROXY_MORE;

	cmd = buf[12] & 0x0f;
	fam = buf[13] >> 4;
	proto = buf[13] & 0x0f;
	a = buf + 16;
	memset(out, 0, sizeof(*out));
	out->version = 2;
	*used = 16 + body;
	if (fam > 3 || proto > 2)
		return fail(err, "v2: unknown address family or protocol");
	if (cmd == 0 || fam == 0 || fam == 3) {
		/* LOCAL (a health check), AF_UNSPEC or AF_UNIX. */
		out->local = 1;
		return PROXY_DONE;
	}
	if (proto != 1)
		return fail(err, "v2: not a stream connection");
	need = fam == 1 ? 12 : 36;
	if (body < need)
		return fail(err, "v2: address block too short");
	if (!v2_tlvs_ok(a + need, body - need))
		return fail(err, "v2: malformed TLV");
	/* Source address, destination address, source port, dest. port. */
	alen = fam == 1 ? 4 : 16;
	af = fam == 1 ? AF_INET : AF_INET6;
	set_addr(&out->src, &out->srclen, af, a, a + 2 * alen);
	set_addr(&out->dst, &out->dstlen, af, a + alen, a + 2 * alen + 2);
	return PROXY_DONE;
}

enum proxy_status
proxy_parse(const unsigned char *buf, size_t len, struct proxy_hdr *out,
    size_t *used, const char **err)
{
	*err = NULL;
	if (len == 0)
		return PROXY_MORE;
	if (buf[0] == v1sig[0])
		return parse_v1(buf, len, out, used, err);
	if (buf[0] == v2sig[0])
		return parse_v2(buf, len, out, used, err);
	return fail(err, "not a PROXY header");
}
