/* serve.h: how every libmicrohttpd test double runs: on a free 127.0.0.1 port that it writes to a file
 * (so harnesses never pick ports), one thread per connection, until SIGTERM or SIGINT. */
#ifndef CAPTIONACC_DOUBLES_SERVE_H
#define CAPTIONACC_DOUBLES_SERVE_H

#include <microhttpd.h>
#include <signal.h>

/* Set once SIGTERM/SIGINT arrived: slow answers end early. */
extern volatile sig_atomic_t serve_stopping;

/* Serves handler (request bodies collected with tests/doubles/body.h) until stopped. Returns the
 * process's exit status; name prefixes error messages. */
int serve_until_stopped(const char *name, const char *portfile, MHD_AccessHandlerCallback handler);

#endif
