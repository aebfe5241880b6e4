/* gzip.c: see gzip.h. Moved out of framedb.c, which is about SQLite only. */
#include "shared/local/gzip.h"

#include "shared/str.h"

#include <stdio.h>
#include <zlib.h>

int
gzip_file(const char *src, const char *dst, char *err, size_t errlen)
{
	FILE *in = fopen(src, "rb");
	gzFile out = NULL;
	char buf[65536];
	size_t n;
	int rc = -1;

	if (in == NULL || (out = gzopen(dst, "wb9")) == NULL) {
		(void)str_fmt(err, errlen, "cannot gzip %s to %s", src, dst);
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (gzwrite(out, buf, (unsigned)n) != (int)n) {
			(void)str_fmt(err, errlen, "cannot write %s", dst);
			goto out;
		}
	if (ferror(in)) {
		(void)str_fmt(err, errlen, "cannot read %s", src);
		goto out;
	}
	rc = 0;
out:
	if (out != NULL && gzclose(out) != Z_OK && rc == 0) {
		(void)str_fmt(err, errlen, "cannot finish %s", dst);
		rc = -1;
	}
	if (in != NULL)
		fclose(in);
	return rc;
}
