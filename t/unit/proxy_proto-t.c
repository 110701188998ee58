/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * proxy_proto-t.c — proxy_parse(): v1 and v2 headers as HAProxy sends
 * them, every header cut at every byte, and the malformed ones a hostile
 * peer would try (truncated, oversized, wrong signature, unknown family,
 * LOCAL, TLVs).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_proto.h"
#include "../tap.h"

static const unsigned char SIG[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static const char *
addr_str(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, n, "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, n, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else
		snprintf(buf, n, "none");
	return buf;
}

/* Parse the whole of buf, then every proper prefix of the header. */
static void
good(const char *name, const unsigned char *buf, size_t len, size_t hdrlen,
    int version, int local, const char *src, const char *dst)
{
	struct proxy_hdr	 h;
	const char		*err;
	size_t			 used = 0, i;
	char			 t[200], a[80];
	int			 prefixes_ok = 1;

	snprintf(t, sizeof(t), "%s: complete", name);
	is_int(proxy_parse(buf, len, &h, &used, &err), PROXY_DONE, t);
	snprintf(t, sizeof(t), "%s: header length", name);
	is_int(used, hdrlen, t);
	snprintf(t, sizeof(t), "%s: version", name);
	is_int(h.version, version, t);
	snprintf(t, sizeof(t), "%s: local", name);
	is_int(h.local, local, t);
	if (!local) {
		snprintf(t, sizeof(t), "%s: source", name);
		is_str(addr_str(&h.src, a, sizeof(a)), src, t);
		snprintf(t, sizeof(t), "%s: destination", name);
		is_str(addr_str(&h.dst, a, sizeof(a)), dst, t);
	}
	for (i = 0; i < hdrlen; i++) {
		/* An exact-size copy, so that ASan sees a read past the end. */
		unsigned char *cut = malloc(i ? i : 1);

		memcpy(cut, buf, i);
		if (proxy_parse(cut, i, &h, &used, &err) != PROXY_MORE) {
			printf("# %s: prefix of %zu bytes not MORE\n", name, i);
			prefixes_ok = 0;
		}
		free(cut);
	}
	snprintf(t, sizeof(t), "%s: every prefix asks for more", name);
	ok(prefixes_ok, t);
}

static void
bad(const char *name, const unsigned char *buf, size_t len)
{
	struct proxy_hdr	 h;
	const char		*err = NULL;
	size_t			 used;
	char			 t[200];
	unsigned char		*copy = malloc(len ? len : 1);

	memcpy(copy, buf, len);
	snprintf(t, sizeof(t), "refused: %s", name);
	is_int(proxy_parse(copy, len, &h, &used, &err), PROXY_ERROR, t);
	snprintf(t, sizeof(t), "refused with a reason: %s", name);
	ok(err != NULL && *err != '\0', t);
	free(copy);
}

/* A test name without the line's CR and LF, which would break TAP. */
static const char *
printable(const char *line, size_t len)
{
	static char	name[200];
	size_t		i, o = 0;

	for (i = 0; i < len && o + 5 < sizeof(name); i++) {
		unsigned char c = (unsigned char)line[i];

		if (c >= 0x20 && c < 0x7f)
			name[o++] = (char)c;
		else
			o += (size_t)snprintf(name + o, sizeof(name) - o,
			    "\\x%02x", c);
	}
	name[o] = '\0';
	return name;
}

static void
good1(const char *line, int local, const char *src, const char *dst)
{
	char buf[300], name[200];

	snprintf(buf, sizeof(buf), "%sEHLO x\r\n", line);
	snprintf(name, sizeof(name), "%s", printable(line, strlen(line)));
	good(name, (const unsigned char *)buf, strlen(buf), strlen(line), 1,
	    local, src, dst);
}

static void
bad1n(const char *line, size_t len)
{
	char name[200];

	snprintf(name, sizeof(name), "%s", printable(line, len));
	bad(name, (const unsigned char *)line, len);
}

static void
bad1(const char *line)
{
	bad1n(line, strlen(line));
}

/* A v2 header: command, family byte, address block, then extra bytes. */
static size_t
v2(unsigned char *out, int vercmd, int fam, const unsigned char *addr,
    size_t alen, const unsigned char *tlv, size_t tlen)
{
	size_t body = alen + tlen;

	memcpy(out, SIG, 12);
	out[12] = (unsigned char)vercmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(body >> 8);
	out[15] = (unsigned char)body;
	if (alen)
		memcpy(out + 16, addr, alen);
	if (tlen)
		memcpy(out + 16 + alen, tlv, tlen);
	return 16 + body;
}

static void
test_v1(void)
{
	char long_line[200];

	good1("PROXY TCP4 192.0.2.1 198.51.100.7 56324 25\r\n", 0,
	    "192.0.2.1:56324", "198.51.100.7:25");
	good1("PROXY TCP6 2001:db8::1 ::1 65535 587\r\n", 0,
	    "[2001:db8::1]:65535", "[::1]:587");
	good1("PROXY TCP4 127.0.0.3 127.0.0.1 0 2525\r\n", 0,
	    "127.0.0.3:0", "127.0.0.1:2525");
	good1("PROXY UNKNOWN\r\n", 1, NULL, NULL);
	good1("PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n", 1, NULL, NULL);
	/* The longest legal line: 107 bytes with CRLF. */
	good1("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", 0,
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");

	bad1("EHLO client.example\r\n");
	bad1("PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	bad1("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n");
	bad1("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n");
	bad1("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n");
	bad1("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n");
	bad1("PROXY TCP4 ::1 5.6.7.8 1 2\r\n");
	bad1("PROXY TCP6 1.2.3.4 ::1 1 2\r\n");
	bad1("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n");
	bad1("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 1 099\r\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n");
	bad1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX");
	bad1("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n");
	bad1n("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\0\r\n", 33);
	bad1("PROXY TCP4 1.2.3.4 5.6.7.\xe9 1 2\r\n");
	bad1("PROXY\r\n");
	bad1("PROXY \r\n");

	/* 107 bytes without a CRLF: no legal header is that long. */
	memset(long_line, 'A', sizeof(long_line));
	memcpy(long_line, "PROXY UNKNOWN ", 14);
	bad("107 bytes without CRLF", (unsigned char *)long_line, 107);
	{
		struct proxy_hdr h;
		const char *err;
		size_t used;

		is_int(proxy_parse((unsigned char *)long_line, 106, &h, &used,
		    &err), PROXY_MORE, "106 bytes without CRLF: more");
	}
}

static void
test_v2(void)
{
	unsigned char	 buf[2000], addr4[12], addr6[36], tlv[64];
	size_t		 n;

	/* 192.0.2.1:56324 -> 198.51.100.7:25 */
	memcpy(addr4, "\xc0\x00\x02\x01\xc6\x33\x64\x07\xdc\x04\x00\x19", 12);
	memset(addr6, 0, sizeof(addr6));
	addr6[0] = 0x20; addr6[1] = 0x01; addr6[2] = 0x0d; addr6[3] = 0xb8;
	addr6[15] = 1;
	addr6[31] = 1;
	addr6[32] = 0x30; addr6[33] = 0x39;	/* 12345 */
	addr6[34] = 0x02; addr6[35] = 0x4b;	/* 587 */

	n = v2(buf, 0x21, 0x11, addr4, 12, NULL, 0);
	memcpy(buf + n, "EHLO x\r\n", 8);
	good("v2 PROXY TCP4", buf, n + 8, n, 2, 0, "192.0.2.1:56324",
	    "198.51.100.7:25");

	n = v2(buf, 0x21, 0x21, addr6, 36, NULL, 0);
	good("v2 PROXY TCP6", buf, n, n, 2, 0, "[2001:db8::1]:12345",
	    "[::1]:587");

	/* TLVs as HAProxy adds them (ALPN, authority, a NOOP pad). */
	memcpy(tlv, "\x01\x00\x02h2" "\x02\x00\x03" "abc" "\x04\x00\x00", 14);
	n = v2(buf, 0x21, 0x11, addr4, 12, tlv, 14);
	good("v2 with TLVs", buf, n, n, 2, 0, "192.0.2.1:56324",
	    "198.51.100.7:25");

	n = v2(buf, 0x20, 0x00, NULL, 0, NULL, 0);
	good("v2 LOCAL", buf, n, n, 2, 1, NULL, NULL);
	n = v2(buf, 0x20, 0x11, addr4, 12, NULL, 0);
	good("v2 LOCAL with an address", buf, n, n, 2, 1, NULL, NULL);
	n = v2(buf, 0x21, 0x00, NULL, 0, NULL, 0);
	good("v2 PROXY AF_UNSPEC", buf, n, n, 2, 1, NULL, NULL);
	memset(tlv, 0, sizeof(tlv));
	n = v2(buf, 0x21, 0x31, tlv, 64, NULL, 0);
	good("v2 PROXY AF_UNIX", buf, n, n, 2, 1, NULL, NULL);

	n = v2(buf, 0x11, 0x11, addr4, 12, NULL, 0);
	bad("v2 version 1 in the binary form", buf, n);
	n = v2(buf, 0x31, 0x11, addr4, 12, NULL, 0);
	bad("v2 version 3", buf, n);
	bad("v2 version 3, no length yet", buf, 13);
	n = v2(buf, 0x22, 0x11, addr4, 12, NULL, 0);
	bad("v2 command 2", buf, n);
	n = v2(buf, 0x21, 0x41, addr4, 12, NULL, 0);
	bad("v2 family 4", buf, n);
	n = v2(buf, 0x21, 0x13, addr4, 12, NULL, 0);
	bad("v2 transport 3", buf, n);
	n = v2(buf, 0x21, 0x12, addr4, 12, NULL, 0);
	bad("v2 UDP", buf, n);
	n = v2(buf, 0x21, 0x10, addr4, 12, NULL, 0);
	bad("v2 INET with unspecified transport", buf, n);
	n = v2(buf, 0x21, 0x11, addr4, 11, NULL, 0);
	bad("v2 INET address block of 11", buf, n);
	n = v2(buf, 0x21, 0x21, addr6, 35, NULL, 0);
	bad("v2 INET6 address block of 35", buf, n);
	n = v2(buf, 0x21, 0x21, addr4, 12, NULL, 0);
	bad("v2 INET6 with an IPv4 block", buf, n);
	n = v2(buf, 0x21, 0x11, addr4, 12, (const unsigned char *)"\x01\x00", 2);
	bad("v2 truncated TLV header", buf, n);
	n = v2(buf, 0x21, 0x11, addr4, 12, (const unsigned char *)"\x01\x00\x05" "ab", 5);
	bad("v2 TLV longer than the header", buf, n);

	/* Longer than we accept: refused before it all arrives. */
	memcpy(buf, SIG, 12);
	buf[12] = 0x21; buf[13] = 0x11; buf[14] = 0x04; buf[15] = 0x01;
	bad("v2 length 1025", buf, 16);
	buf[14] = 0xff; buf[15] = 0xff;
	bad("v2 length 65535", buf, 16);

	memcpy(buf, SIG, 12);
	buf[5] = 0x0c;
	bad("v2 wrong signature byte", buf, 12);
	bad("v2 wrong signature, first 6 bytes", buf, 6);
	memcpy(buf, "\r\nQUIT\r\n", 8);
	bad("CRLF then QUIT", buf, 8);
}

int
main(void)
{
	struct proxy_hdr h;
	const char *err;
	size_t used;

	is_int(proxy_parse((const unsigned char *)"", 0, &h, &used, &err),
	    PROXY_MORE, "nothing yet: more");
	bad("a TLS ClientHello", (const unsigned char *)"\x16\x03\x01\x02\x00",
	    5);
	bad("a NUL byte", (const unsigned char *)"\0", 1);
	test_v1();
	test_v2();
	done_testing();
}
