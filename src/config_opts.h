/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_opts.h — private to the config module (config*.c): the typed
 * option tables and the generic walker that its sections are built from,
 * and what one section's file offers the others.
 * Nothing outside the config module may include it; the public contract
 * stays config.h.
 */
#ifndef CONFIG_OPTS_H
#define CONFIG_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct config;
struct include_map;

struct loader {
	struct config	*cfg;
	const char	*name;		/* the file as shown in errors */
	const struct include_map *map;	/* expanded line -> file:line */
	char		*base;		/* directory for relative paths */
	char		*err;
	size_t		 errlen;
	char		 ctx[256];	/* prefix such as `relayer "isp": ` */
};

enum opt_kind {
	O_STRING,	/* char *, non-empty */
	O_PATH,		/* char *, non-empty, stored absolute */
	O_INT,		/* int within min..max */
	O_BOOL,		/* bool */
	O_DURATION,	/* long seconds, positive */
	O_SIZE,		/* uint64_t bytes, positive */
	O_ENUM,		/* an enum: the index of the name in en->names */
	O_LIST,		/* a string or an array of strings: char ** + int */
	O_CHECKED,	/* char *, non-empty, that fn() accepts; no default */
	O_FUNC		/* fn(); called with NULL when the setting is absent */
};

struct enum_def {
	const char	*what;		/* "tls mode", for errors */
	const char	*names[5];	/* NULL-terminated; index = value */
};

struct opt;
typedef int (*opt_fn)(struct loader *, const struct opt *,
    const config_setting_t *, void *);

/*
 * One setting of a table.  Packed (about 110 of them, in tables read once
 * at load): what a kind does not use shares storage with what it does, so
 * an entry is 32 bytes rather than 88 on LP64 (relocated data in a PIE,
 * inside RELRO).  A designated initializer
 * that sets two members of the union is an -Woverride-init error.
 */
struct opt {
	const char	*name;
	union {
		const char	*defstr;	/* strings and paths */
		const struct enum_def *en;	/* O_ENUM */
		opt_fn		 fn;	/* O_FUNC; O_LIST, O_CHECKED: check
					   each value, given as obj */
	};
	int		 def;		/* numbers, bools and enums: every
					   default fits (the largest 25 MiB) */
	int		 max;		/* O_INT range */
	short		 min;		/* O_INT range; O_LIST least count */
	unsigned short	 off;
	unsigned short	 noff;		/* O_LIST: offset of the count */
	unsigned char	 kind;		/* enum opt_kind */
	unsigned char	 only;		/* relayer types it applies to; 0: all */
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct opt) == 32,
    "struct opt: 32 bytes an entry on LP64");

/* Report "file:line: <ctx><message>" into ld->err; always returns -1. */
int	fail(struct loader *, const config_setting_t *, const char *, ...);
/* The same for a setting that needs a feature this build left out
 * (configure.ac): "<setting>: smarthostd was built without <what>
 * (./configure --enable-<feature>)", one text for all of them. */
int	fail_without(struct loader *, const config_setting_t *,
	    const char *setting, const char *what, const char *feature);
/* Record "file:line: <ctx><message>" in the configuration's warnings. */
void	warn_at(struct loader *, const config_setting_t *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Set the prefix (such as `relayer "isp": `) put before later errors. */
void	set_ctx(struct loader *, const char *, ...);
/* Append s to the NUL-terminated buf of size bytes, truncating. */
void	append(char *, size_t, const char *);

/* Whether s is an IPv4 or IPv6 address literal. */
int	is_ip_literal(const char *);
/* Whether s is a host name or domain; "*." is allowed when wild is set. */
int	valid_domain(const char *, int);
/* Refuse %{...} placeholders other than sender, recipient, local, domain. */
int	check_template(struct loader *, const config_setting_t *,
	    const char *, const char *);
/* Path p made absolute against directory base; the caller frees it. */
char	*abs_path(const char *, const char *);

/* Setting s as a string, or "<name>: expected a string". */
int	get_string(struct loader *, const config_setting_t *, const char *,
	    const char **);
/* As get_string(), and refuse the empty string. */
int	get_nonempty(struct loader *, const config_setting_t *, const char *,
	    const char **);
/* Setting s as the index of its name in en, or an error listing them. */
int	get_enum(struct loader *, const config_setting_t *, const char *,
	    const struct enum_def *, int *);
/* The name of value v in en (the *_to_text() functions), or "unknown". */
const char *enum_text(const struct enum_def *, int);
/* The required "name" of a listener or relayer, checked for tame chars. */
int	get_name(struct loader *, const config_setting_t *, const char *,
	    const char **);

/* Walk group s (NULL: absent) through table opts into obj; see the .c. */
int	parse_opts(struct loader *, const config_setting_t *,
	    const struct opt *, size_t, void *, unsigned, const char *);
/* Only the named options (NULL-terminated list) of the table. */
int	parse_named_opts(struct loader *, const config_setting_t *,
	    const struct opt *, size_t, const char *const *, void *);
/* Refuse s unless it is a group { }; NULL (absent) is fine. */
int	want_group(struct loader *, const config_setting_t *, const char *);
/* A group { } of options: want_group(), then parse_opts() with errors
 * prefixed "name: ".  An absent group (s NULL) gets every default. */
int	parse_group(struct loader *, const config_setting_t *,
	    const char *name, const struct opt *, size_t n, void *obj);

/* config_groups.c: the lists ( ) of groups { } (listeners, relayers,
 * rules, domains, dkim), and the look-up of an entry by name. */
/* Fill entry i of the array that parse_groups() made from group g. */
typedef int (*group_fn)(struct loader *, const config_setting_t *, int,
    void *);
struct group_list {
	const char	*ctx;		/* error prefix, %d: entry number */
	const char	*after;		/* the prefix once the list is read */
	size_t		 size;		/* of one entry */
	size_t		 off, noff;	/* in obj: the array and its count */
	int		 spare;		/* zeroed entries after the list's */
	group_fn	 fn;		/* called with obj */
};
/* List s (NULL: absent) into a new array at obj + off, see the .c. */
int	parse_groups(struct loader *, const config_setting_t *, const char *,
	    const struct group_list *, void *);
/* The first of the n entries (size bytes each) whose name, the char *
 * at off, is name; -1 if none. */
int	find_named(const void *, int, size_t, size_t, const char *);
/* O_FUNC that does nothing, for names read before the table walk. */
int	opt_read_first(struct loader *, const struct opt *,
	    const config_setting_t *, void *);

/* config_listener.c: the `listeners` section; the listeners part of
 * config_load_local(); and freeing.  Also an array of CIDR strings (absent
 * means loopback only) and the check that a certificate and its key load,
 * which other sections share. */
struct cidr;
int	opt_listeners(struct loader *, const struct opt *,
	    const config_setting_t *, void *);
int	listeners_local(struct loader *, const config_setting_t *,
	    struct config *);
void	config_listeners_free(struct config *);
/* O_FUNC for an array of CIDR strings into the struct cidr * at o->off
 * and its count at o->noff (relay_from, proxy_from, allow_from). */
int	opt_cidrs(struct loader *, const struct opt *, const config_setting_t *,
	    void *);
int	check_cert(struct loader *, const config_setting_t *, const char *,
	    const char *, const char *, const char *);
/* config_relayer.c: the `relayers` section and freeing; the client tls
 * modes, which domain entries take too. */
extern const struct enum_def ctls_enum;
int	opt_relayers(struct loader *, const struct opt *,
	    const config_setting_t *, void *);
int	opt_rate(struct loader *, const struct opt *, const config_setting_t *,
	    void *);
void	config_relayers_free(struct config *);
/* config_route.c: the `routing` section (rules, domains) and freeing. */
int	opt_routing(struct loader *, const struct opt *,
	    const config_setting_t *, void *);
void	config_routing_free(struct config *);

/* config_rewrite.c: the rewrite group, queue delay_warning, and the
 * check of a listener's strip_headers names. */
struct rewrite_conf;
int	opt_rewrite(struct loader *, const struct opt *,
	    const config_setting_t *, void *);
int	opt_delay_warning(struct loader *, const struct opt *,
	    const config_setting_t *, void *);
int	check_header_name(struct loader *, const struct opt *,
	    const config_setting_t *, void *);
void	rewrite_conf_free(struct rewrite_conf *);
/* The `dkim` section (config_dkim.c): entries, their keys; and freeing. */
int	opt_dkim(struct loader *, const struct opt *, const config_setting_t *,
	    void *);
void	config_dkim_free(struct config *);

#endif /* CONFIG_OPTS_H */
