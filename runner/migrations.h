/* migrations.h: the schema migrations embedded from sql/ at build time (see sql/embed.sh). */
#ifndef CAPTIONACC_MIGRATIONS_H
#define CAPTIONACC_MIGRATIONS_H

#include <stddef.h>

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations_list[];
extern const size_t migrations_count;

#endif
