/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * hosts.h — a hosts(5) file as a table: name to IPv4 and IPv6 addresses,
 * as the system resolver reads /etc/hosts (OpenWrt and NAS boxes name
 * their LAN there).  Pure: text in, table out; resolver.c reads the file.
 */
#ifndef SMARTHOSTD_HOSTS_H
#define SMARTHOSTD_HOSTS_H

#include <sys/socket.h>

#include <stddef.h>

struct hosts;

/*
 * Parse the text of a hosts file: "address name [alias ...]" lines, "#"
 * comments, blank lines.  Lines whose address is not IPv4 or IPv6, or whose
 * names are not host names, are skipped, as the C library does.  Never
 * fails (an empty table for an empty or unreadable text).
 */
struct hosts	*hosts_parse(const char *text, size_t len);
void		 hosts_free(struct hosts *);

/*
 * The addresses of name (case-insensitive, a final dot ignored), IPv4
 * first then IPv6, each family in file order without duplicates, port 0;
 * at most max of them into out.  Returns how many (0: not in the file).
 */
int		 hosts_lookup(const struct hosts *, const char *name,
		    struct sockaddr_storage *out, int max);

#endif
