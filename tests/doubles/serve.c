/* serve.c: see serve.h. */
#include "tests/doubles/serve.h"

#include "tests/doubles/body.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t serve_stopping;

static void
on_term(int sig)
{
	(void)sig;
	serve_stopping = 1;
}

/* The one server's answerer (serve_start). */
static serve_fn served;

/* MHD's access handler: collects the body, then passes the request to served. */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_size, void **con_cls)
{
	static const char too_big[] = "{\"detail\":\"too large\"}";
	struct MHD_Response *r;
	struct body *b = NULL;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	switch (body_collect(con_cls, upload, upload_size, &b)) {
	case BODY_MORE:
		return MHD_YES;
	case BODY_NO_MEMORY:
		return MHD_NO;
	case BODY_COMPLETE:
		break;
	}
	if (!b->too_big)
		return served(c, method, url, b->data);
	r = MHD_create_response_from_buffer(sizeof(too_big) - 1, (void *)too_big, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, MHD_HTTP_CONTENT_TOO_LARGE, r);
	MHD_destroy_response(r);
	return ret;
}

struct MHD_Daemon *
serve_start(serve_fn fn, unsigned *port)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;

	served = fn;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle,
	    NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, body_done, NULL, MHD_OPTION_END);
	if (d == NULL)
		return NULL;
	if ((info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) == NULL) {
		MHD_stop_daemon(d);
		return NULL;
	}
	*port = (unsigned)info->port;
	return d;
}

int
serve_until_stopped(const char *name, const char *portfile, serve_fn fn)
{
	struct MHD_Daemon *d;
	unsigned port;
	FILE *f;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if ((d = serve_start(fn, &port)) == NULL) {
		fprintf(stderr, "%s: cannot start\n", name);
		return 1;
	}
	if ((f = fopen(portfile, "w")) == NULL) {
		perror(portfile);
		MHD_stop_daemon(d);
		return 1;
	}
	fprintf(f, "%u\n", port);
	fclose(f);
	while (!serve_stopping)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
