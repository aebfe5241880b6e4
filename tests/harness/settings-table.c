/* settings-table.c: prints the README's settings table from config_usage(), the text both programs'
 * --help print: the settings both programs read, then those only one reads, wrapped to the README's width;
 * with --mdoc, the same as an mdoc list for the manual pages (--mdoc fcgi or runner: that program's only).
 * tests/harness/readme-settings.sh puts it into README and doc/ (make readme-settings) or compares (make
 * check). */
#include "shared/config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 104      /* README's width: the longest line we write, unless one word is longer */
#define NAME_COLUMN 4  /* README's indent of a preformatted block */
#define HELP_COLUMN 29 /* NAME_COLUMN + the 24 + 1 columns --help gives the name */
#define MAX_SETTINGS 256

struct entry {
	const char *line; /* "  NAME  help (default x)", as config_usage printed it */
	size_t len;
	size_t name_len;
};

struct usage {
	char *text;
	struct entry e[MAX_SETTINGS];
	size_t n;
};

static void
die(const char *what)
{
	fprintf(stderr, "settings-table: %s\n", what);
	exit(1);
}

/* Runs config_usage(program) into u and splits it into one entry per setting (the heading is dropped: it
 * names the default settings file, which --with-config-file changes). */
static void
usage_of(unsigned program, struct usage *u)
{
	size_t size = 0;
	FILE *f = open_memstream(&u->text, &size);

	if (f == NULL)
		die("open_memstream failed");
	config_usage(f, program);
	if (fclose(f) != 0)
		die("cannot write config_usage's text");
	u->n = 0;
	for (char *p = u->text; *p != '\0';) {
		char *end = strchr(p, '\n');

		if (end == NULL)
			die("config_usage's last line has no newline");
		if (p != u->text) {
			struct entry *e = &u->e[u->n];

			if (strncmp(p, "  ", 2) != 0 || p[2] == ' ' || u->n == MAX_SETTINGS)
				die("config_usage printed a line that is not \"  NAME  help\"");
			e->line = p;
			e->len = (size_t)(end - p);
			e->name_len = strcspn(p + 2, " \n");
			u->n++;
		}
		p = end + 1;
	}
}

static const struct entry *
find(const struct usage *u, const struct entry *want)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->e[i].name_len == want->name_len && memcmp(u->e[i].line + 2, want->line + 2, want->name_len) == 0)
			return &u->e[i];
	return NULL;
}

/* Prints one entry: the name at NAME_COLUMN, the help from HELP_COLUMN (or one space after a longer name),
 * words wrapped at WIDTH with continuation lines at HELP_COLUMN; "(default" stays with its value. */
static void
print_entry(const struct entry *e)
{
	const char *p = e->line + 2 + e->name_len, *end = e->line + e->len;
	int col = printf("%*s%.*s", NAME_COLUMN, "", (int)e->name_len, e->line + 2);
	bool first = true;

	while (p < end) {
		const char *word;
		int len;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		word = p;
		while (p < end && *p != ' ')
			p++;
		if (p - word == 8 && memcmp(word, "(default", 8) == 0)
			for (p++; p < end && *p != ' '; p++)
				;
		len = (int)(p - word);
		if (first && col < HELP_COLUMN)
			col += printf("%*s", HELP_COLUMN - col, "");
		else if (!first && col + 1 + len > WIDTH)
			col = printf("\n%*s", HELP_COLUMN, "") - 1;
		else
			col += printf(" ");
		col += printf("%.*s", len, word);
		first = false;
	}
	printf("\n");
}

/* Prints one entry as an item of an mdoc tag list: ".It Ev NAME", then the help as one text line, escaped
 * for roff (a backslash as \e, a leading dot or quote made plain) and breakable after each comma. */
static void
print_mdoc_entry(const struct entry *e)
{
	const char *p = e->line + 2 + e->name_len, *end = e->line + e->len;

	printf(".It Ev %.*s\n", (int)e->name_len, e->line + 2);
	while (p < end && *p == ' ')
		p++;
	if (p < end && (*p == '.' || *p == '\''))
		printf("\\&");
	for (; p < end; p++) {
		if (*p == '\\')
			printf("\\e");
		else
			putchar(*p);
		if (*p == ',' && p + 1 < end && p[1] != ' ')
			printf("\\:");
	}
	printf("\n");
}

/* One group's entries (README: a heading line before them; mdoc: a subsection and a tag list). */
static void
print_group(const char *heading, const struct entry *const *list, size_t n, bool mdoc)
{
	if (n == 0)
		return;
	if (mdoc && heading != NULL)
		printf(".Ss %.*s\n", (int)strcspn(heading, ":"), heading);
	else if (heading != NULL)
		printf("\n  %s\n\n", heading);
	if (mdoc)
		printf(".Bl -tag -width Ds\n");
	for (size_t i = 0; i < n; i++)
		(mdoc ? print_mdoc_entry : print_entry)(list[i]);
	if (mdoc)
		printf(".El\n");
}

int
main(int argc, char **argv)
{
	static struct usage all, fcgi, runner;
	static const struct entry *list[MAX_SETTINGS];
	static const struct { const char *heading; bool fcgi, runner; } groups[] = {
		{ NULL, true, true },
		{ "captionacc-fcgi only:", true, false },
		{ "captionacc-runner only:", false, true },
	};
	bool mdoc = argc >= 2 && strcmp(argv[1], "--mdoc") == 0;
	const char *only = mdoc && argc == 3 ? argv[2] : NULL;

	if (argc != (mdoc ? 2 : 1) + (only != NULL) ||
	    (only != NULL && strcmp(only, "fcgi") != 0 && strcmp(only, "runner") != 0)) {
		fprintf(stderr, "usage: %s [--mdoc [fcgi|runner]] (prints the README's or the manual pages' settings "
		    "table)\n", argv[0]);
		return 2;
	}
	usage_of(CONFIG_FCGI | CONFIG_RUNNER, &all);
	usage_of(CONFIG_FCGI, &fcgi);
	usage_of(CONFIG_RUNNER, &runner);
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		size_t n = 0;

		for (size_t i = 0; i < all.n; i++) {
			const struct entry *f = find(&fcgi, &all.e[i]), *r = find(&runner, &all.e[i]);

			if (only != NULL ? (only[0] == 'f' ? f : r) == NULL :
			    (f != NULL) != groups[g].fcgi || (r != NULL) != groups[g].runner)
				continue;
			if (f != NULL && r != NULL && (f->len != r->len || memcmp(f->line, r->line, f->len) != 0)) {
				fprintf(stderr, "settings-table: %.*s reads differently for the two programs; teach this "
				    "program to show that\n", (int)all.e[i].name_len, all.e[i].line + 2);
				return 1;
			}
			list[n++] = &all.e[i];
		}
		print_group(groups[g].heading, list, n, mdoc);
		if (only != NULL)
			break; /* one program's settings: one list, every one of them */
	}
	free(all.text);
	free(fcgi.text);
	free(runner.text);
	return ferror(stdout) || fflush(stdout) != 0 ? 1 : 0;
}
