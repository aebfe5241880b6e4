/* scratch.h: private scratch directories: made fresh under a parent, removed with everything in them. */
#ifndef CAPTIONACC_SCRATCH_H
#define CAPTIONACC_SCRATCH_H

#include <stddef.h>

/* Makes <parent>/<name>-XXXXXX (mode 0700) and writes its path into dir. Returns 0, or -1 with errno
 * (ENAMETOOLONG when the path does not fit in len). */
int scratch_make(char *dir, size_t len, const char *parent, const char *name);
/* Removes path and everything below it (symbolic links are removed, not followed). Returns 0, or -1
 * with errno. */
int scratch_remove(const char *path);

#endif
