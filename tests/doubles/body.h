/* body.h: request bodies for the libmicrohttpd test doubles, collected across MHD's calls of the access
 * handler, up to a bound. */
#ifndef CAPTIONACC_DOUBLES_BODY_H
#define CAPTIONACC_DOUBLES_BODY_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#define BODY_MAX (1024 * 1024)

struct body {
	char *data;      /* NUL-terminated, or NULL when the request had none */
	size_t len;
	bool too_big;    /* more than BODY_MAX: the rest was dropped */
};

enum body_state {
	BODY_MORE,       /* answer MHD_YES: MHD calls again */
	BODY_COMPLETE,   /* *out is the whole body: serve the request */
	BODY_NO_MEMORY   /* answer MHD_NO */
};

/* Call first in the access handler with its con_cls, upload and upload_size. */
enum body_state body_collect(void **con_cls, const char *upload, size_t *upload_size, struct body **out);
/* MHD_OPTION_NOTIFY_COMPLETED callback that frees the body. */
void body_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);

#endif
