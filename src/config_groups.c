/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_groups.c — the lists ( ) of groups { } of the configuration
 * (listeners, relayers, routing rules and domains, dkim entries) read by
 * one walker: the list checked, its array made and stored before the
 * first entry is filled (so that a failed load frees what was filled),
 * each entry filled by its section's function with errors prefixed
 * "<list>: entry N: ".  And the look-up by name that the duplicate checks
 * and config_listener()/config_relayer() share.  Part of the config
 * module, on config_opts.h.
 */
#include <stddef.h>
#include <string.h>

#include <libconfig.h>

#include "config_opts.h"
#include "util.h"

static int
want_list_of_groups(struct loader *ld, const config_setting_t *s,
    const char *name)
{
	int	i;

	if (!config_setting_is_list(s))
		return fail(ld, s, "%s: expected a list ( ) of groups { }",
		    name);
	for (i = 0; i < config_setting_length(s); i++) {
		if (!config_setting_is_group(config_setting_get_elem(s, i)))
			return fail(ld, config_setting_get_elem(s, i),
			    "%s: entry %d: expected a group { }", name, i + 1);
	}
	return 0;
}

/*
 * The array is stored through memcpy: obj + off holds a pointer to the
 * section's entry type, which has the representation of a void *.  An
 * absent or empty list leaves a NULL array unless spare entries are
 * asked for.
 */
int
parse_groups(struct loader *ld, const config_setting_t *s, const char *name,
    const struct group_list *gl, void *obj)
{
	void	*array = NULL;
	int	 i, n = 0;

	if (s != NULL) {
		if (want_list_of_groups(ld, s, name) == -1)
			return -1;
		n = config_setting_length(s);
	}
	if (n + gl->spare > 0)
		array = xcalloc(n + gl->spare, gl->size);
	memcpy((char *)obj + gl->off, &array, sizeof(array));
	memcpy((char *)obj + gl->noff, &n, sizeof(n));
	for (i = 0; i < n; i++) {
		set_ctx(ld, gl->ctx, i + 1);
		if (gl->fn(ld, config_setting_get_elem(s, i), i, obj) == -1)
			return -1;
	}
	set_ctx(ld, "%s", gl->after);
	return 0;
}

int
find_named(const void *array, int n, size_t size, size_t off,
    const char *name)
{
	const char	*p = array, *key;
	int		 i;

	for (i = 0; i < n; i++, p += size) {
		memcpy(&key, p + off, sizeof(key));
		if (key != NULL && strcmp(key, name) == 0)
			return i;
	}
	return -1;
}
