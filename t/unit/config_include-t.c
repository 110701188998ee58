/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The smarthostd authors */
/*
 * config_include-t.c — include_expand(): @include relative to the file
 * that contains it, directives only where libconfig's scanner sees them,
 * the line map back to file:line, and the errors (missing file, nesting,
 * malformed directive, unterminated string or comment, size).  Files come
 * from an in-memory table, never the disk.
 */
#include <stdlib.h>
#include <string.h>

#include "config_include.h"
#include "util.h"
#include "../tap.h"

struct file {
	const char	*path, *text;
};

static const struct file *files;
static int reads;

static char *
mem_read(void *arg, const char *path, size_t *len, char *err, size_t errlen)
{
	const struct file *f;

	reads++;
	for (f = files; f->path != NULL; f++) {
		if (strcmp(f->path, path) == 0) {
			*len = strlen(f->text);
			return xstrdup(f->text);
		}
	}
	snprintf(err, errlen, "No such file or directory");
	return NULL;
}

static char			 err[512];
static struct include_map	*map;

static char *
expand(const struct file *table, const char *name, const char *path)
{
	const struct file *f;

	files = table;
	err[0] = '\0';
	for (f = table; strcmp(f->path, path) != 0; f++)
		;
	return include_expand(f->text, strlen(f->text), name, path, mem_read,
	    NULL, 4096, &map, err, sizeof(err));
}

/* "file:line" of line n of the expanded text, in a static buffer. */
static const char *
where(unsigned n)
{
	static char	 buf[256];
	unsigned	 l;
	const char	*f = include_map_find(map, n, &l);

	snprintf(buf, sizeof(buf), "%s:%u", f, l);
	return buf;
}

/* The line of the expanded text (1-based) that holds s, or 0. */
static unsigned
line_of(const char *text, const char *s)
{
	const char	*p = strstr(text, s);
	unsigned	 n = 1;

	if (p == NULL)
		return 0;
	for (; p > text; p--)
		n += p[-1] == '\n';
	return n;
}

static void
test_nested_relative(void)
{
	static const struct file t[] = {
		{ "/etc/sh/main.conf",
		  "a = 1;\n@include \"conf.d/relayers.inc\"\nb = 2;\n" },
		{ "/etc/sh/conf.d/relayers.inc",
		  "# relayers\nr = 3;\n  @include \"tls.inc\"\nr2 = 4;\n" },
		{ "/etc/sh/conf.d/tls.inc", "t = 5;\nt2 = 6;" },
		{ NULL, NULL }
	};
	char	*out = expand(t, "sh/main.conf", "/etc/sh/main.conf");

	ok(out != NULL, "nested includes: expanded");
	if (out == NULL) {
		printf("# %s\n", err);
		return;
	}
	is_str(out, "a = 1;\n# relayers\nr = 3;\nt = 5;\nt2 = 6;\n\nr2 = 4;\n"
	    "\nb = 2;\n", "an include is resolved against its own file's "
	    "directory");
	is_str(where(line_of(out, "a = 1")), "sh/main.conf:1", "map: main:1");
	is_str(where(line_of(out, "r = 3")), "sh/conf.d/relayers.inc:2",
	    "map: the included file, shown relative to the main file's name");
	is_str(where(line_of(out, "t2 = 6")), "sh/conf.d/tls.inc:2",
	    "map: the nested file");
	is_str(where(line_of(out, "r2 = 4")), "sh/conf.d/relayers.inc:4",
	    "map: back in the including file after the directive");
	is_str(where(line_of(out, "b = 2")), "sh/main.conf:3",
	    "map: back in the main file");
	free(out);
	include_map_free(map);
}

static void
test_absolute_and_plain_names(void)
{
	static const struct file t[] = {
		{ "main.conf", "@include \"/abs/x.inc\"\n@include \"y.inc\"\n" },
		{ "/abs/x.inc", "x = 1;\n" },
		{ "y.inc", "y = 2;\n" },
		{ NULL, NULL }
	};
	char	*out = expand(t, "main.conf", "main.conf");

	is_str(out, "x = 1;\n\ny = 2;\n\n", "absolute names and names next to a "
	    "file given without a directory");
	if (out != NULL) {
		is_str(where(1), "/abs/x.inc:1", "map: absolute name kept");
		is_str(where(3), "y.inc:1", "map: plain name");
	}
	free(out);
	include_map_free(map);
}

static void
test_not_directives(void)
{
	static const struct file t[] = {
		{ "m.conf",
		  "# @include \"a\"\n"
		  "// @include \"b\"\n"
		  "/* comment\n@include \"c\"\n*/\n"
		  "s = \"multi\n@include \\\"d\\\"\nline\";\n"
		  "e = \"\\\\\"; \n@include \"real.inc\"\n"
		  "x = 1; @include \"f\"\n"
		  "@includes \"g\"\n" },
		{ "real.inc", "real = 1;\n" },
		{ NULL, NULL }
	};
	char	*out;

	reads = 0;
	out = expand(t, "m.conf", "m.conf");
	ok(out != NULL, "directives in comments and strings are text");
	if (out == NULL) {
		printf("# %s\n", err);
		return;
	}
	is_int(reads, 1, "only the one real directive was read");
	ok(strstr(out, "real = 1;") != NULL, "the real one expanded");
	ok(strstr(out, "@include \"c\"") != NULL, "block comment kept");
	ok(strstr(out, "x = 1; @include \"f\"") != NULL, "mid-line kept "
	    "(libconfig refuses it as it would)");
	is_str(where(line_of(out, "x = 1;")), "m.conf:11", "map after them");
	free(out);
	include_map_free(map);
}

static void
test_rest_of_line(void)
{
	static const struct file t[] = {
		{ "m.conf", "@include \"a.inc\" b = 2; # after\nc = 3;\n" },
		{ "a.inc", "a = 1;" },
		{ NULL, NULL }
	};
	char	*out = expand(t, "m.conf", "m.conf");

	is_str(out, "a = 1;\n b = 2; # after\nc = 3;\n",
	    "text after the directive stays, after the included text");
	if (out != NULL) {
		is_str(where(2), "m.conf:1", "map: rest of the directive line");
		is_str(where(3), "m.conf:2", "map: next line");
	}
	free(out);
	include_map_free(map);
}

static void
test_empty_include(void)
{
	static const struct file t[] = {
		{ "m.conf", "@include \"e.inc\"\nz = 1;\n" },
		{ "e.inc", "" },
		{ NULL, NULL }
	};
	char	*out = expand(t, "m.conf", "m.conf");

	is_str(out, "\nz = 1;\n", "an empty file includes nothing");
	if (out != NULL)
		is_str(where(2), "m.conf:2", "map after an empty include");
	free(out);
	include_map_free(map);
}

/* The file must be refused with exactly this message. */
static void
bad(const struct file *t, const char *want, const char *name)
{
	char	*out = expand(t, t[0].path, t[0].path);

	ok(out == NULL && map == NULL, name);
	is_str(err, want, name);
	free(out);
	include_map_free(map);
}

static void
test_errors(void)
{
	static const struct file missing[] = {
		{ "d/m.conf", "a = 1;\n@include \"sub/r.inc\"\n" },
		{ "d/sub/r.inc", "r = 1;\n\n  @include \"nope.inc\"\n" },
		{ NULL, NULL }
	};
	static const struct file loop[] = {
		{ "m.conf", "@include \"m.conf\"\n" },
		{ NULL, NULL }
	};
	static const struct file unclosed[] = {
		{ "m.conf", "@include \"x.inc\n\"\n" },
		{ NULL, NULL }
	};
	static const struct file backslash[] = {
		{ "m.conf", "@include \"x\\\\y\"\n" },
		{ NULL, NULL }
	};
	static const struct file empty[] = {
		{ "m.conf", "\n@include \"\"\n" },
		{ NULL, NULL }
	};
	static const struct file string[] = {
		{ "m.conf", "@include \"s.inc\"\nb = 1;\n" },
		{ "s.inc", "a = 1;\nb = \"open\n" },
		{ NULL, NULL }
	};
	static const struct file comment[] = {
		{ "m.conf", "a = 1;\n/* open\n" },
		{ NULL, NULL }
	};
	static const struct file big[] = {
		{ "m.conf", "@include \"b.inc\"\n@include \"b.inc\"\n"
		  "@include \"b.inc\"\n@include \"b.inc\"\n@include \"b.inc\"\n"},
		{ "b.inc", "# 1000 bytes .........................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  ".............................................................."
		  "..............................................................\n" },
		{ NULL, NULL }
	};

	bad(missing, "d/sub/r.inc:3: @include \"nope.inc\": No such file or "
	    "directory", "missing file: the including file and line, and why");
	bad(loop, "m.conf:1: @include \"m.conf\": nested too deeply (more "
	    "than 8 levels)", "a file that includes itself");
	bad(unclosed, "m.conf:1: @include: the file name must be one line in "
	    "quotes, without backslashes", "name across lines");
	bad(backslash, "m.conf:1: @include: the file name must be one line in "
	    "quotes, without backslashes", "backslash in the name");
	bad(empty, "m.conf:2: @include: empty file name", "empty name");
	bad(string, "s.inc:2: string not closed before the end of the file",
	    "an included file ending inside a string");
	bad(comment, "m.conf:2: /* comment not closed before the end of the "
	    "file", "a file ending inside a comment");
	bad(big, "m.conf:5: @include \"b.inc\": the configuration with its "
	    "included files is over 4096 bytes", "size bound over all included "
	    "files");
}

int
main(void)
{
	test_nested_relative();
	test_absolute_and_plain_names();
	test_not_directives();
	test_rest_of_line();
	test_empty_include();
	test_errors();
	return done_testing();
}
