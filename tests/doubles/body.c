/* body.c: see body.h. */
#include "tests/doubles/body.h"

#include <stdlib.h>
#include <string.h>

enum body_state
body_collect(void **con_cls, const char *upload, size_t *upload_size, struct body **out)
{
	struct body *b = *con_cls;

	if (b == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return BODY_NO_MEMORY;
		*con_cls = b;
		return BODY_MORE;
	}
	if (*upload_size > 0) {
		if (b->len + *upload_size > BODY_MAX) {
			b->too_big = true;
		} else {
			char *p = realloc(b->data, b->len + *upload_size + 1);

			if (p == NULL)
				return BODY_NO_MEMORY;
			memcpy(p + b->len, upload, *upload_size);
			b->len += *upload_size;
			p[b->len] = '\0';
			b->data = p;
		}
		*upload_size = 0;
		return BODY_MORE;
	}
	*out = b;
	return BODY_COMPLETE;
}

void
body_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (b != NULL) {
		free(b->data);
		free(b);
	}
	*con_cls = NULL;
}
