/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * proxy_proto.h — pure parser for the PROXY protocol header (HAProxy's
 * "send-proxy" v1 text form and "send-proxy-v2" binary form) that a load
 * balancer puts in front of a connection.  Bytes in, addresses out; no I/O.
 */
#ifndef SMARTHOSTD_PROXY_PROTO_H
#define SMARTHOSTD_PROXY_PROTO_H

#include <stddef.h>
#include <sys/socket.h>

#define PROXY_V1_MAX	107	/* longest v1 line, CRLF included */
#define PROXY_V2_MAX	(16 + 1024)	/* we refuse longer v2 headers */

enum proxy_status {
	PROXY_ERROR = -1,	/* not a valid header: close the connection */
	PROXY_MORE = 0,		/* a valid beginning: wait for more bytes */
	PROXY_DONE = 1		/* a complete header, *used bytes long */
};

struct proxy_hdr {
	int			version;	/* 1 or 2 */
	/*
	 * 1: the header carries no client address (v1 "UNKNOWN", v2 LOCAL
	 * command, v2 AF_UNSPEC or AF_UNIX): keep the connection's own
	 * addresses, as the specification asks.
	 */
	int			local;
	struct sockaddr_storage	src;		/* the original client */
	struct sockaddr_storage	dst;		/* the address it connected to */
	socklen_t		srclen, dstlen;
};

/*
 * Look at the first len bytes received on a connection.  PROXY_MORE means
 * every byte so far could begin a header and no more than the maximum has
 * been seen; call again with more.  PROXY_DONE fills *out and sets *used to
 * the header's length (bytes after it belong to SMTP).  PROXY_ERROR points
 * *err at a short reason for the log.
 */
enum proxy_status proxy_parse(const unsigned char *buf, size_t len,
		    struct proxy_hdr *out, size_t *used, const char **err);

#endif
