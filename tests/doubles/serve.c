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

int
serve_until_stopped(const char *name, const char *portfile, MHD_AccessHandlerCallback handler)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	FILE *f;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler,
	    NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, body_done, NULL, MHD_OPTION_END);
	if (d == NULL || (info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) == NULL) {
		fprintf(stderr, "%s: cannot start\n", name);
		return 1;
	}
	if ((f = fopen(portfile, "w")) == NULL) {
		perror(portfile);
		MHD_stop_daemon(d);
		return 1;
	}
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	while (!serve_stopping)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
