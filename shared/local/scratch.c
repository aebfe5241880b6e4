/* scratch.c: see scratch.h. Used by the local GPU backend for each call's work and by tests. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "shared/local/scratch.h"

#include "shared/str.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int
scratch_make(char *dir, size_t len, const char *parent, const char *name)
{
	if (str_fmt(dir, len, "%s/%s-XXXXXX", parent, name) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int
scratch_remove(const char *path)
{
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
