/* serve.h: how every libmicrohttpd test double runs: on a free 127.0.0.1 port that it writes to a file
 * (so harnesses never pick ports), one thread per connection, until SIGTERM or SIGINT; and the same
 * server inside a unit test (serve_start). */
#ifndef CAPTIONACC_DOUBLES_SERVE_H
#define CAPTIONACC_DOUBLES_SERVE_H

#include <microhttpd.h>
#include <signal.h>

/* Set once SIGTERM/SIGINT arrived: slow answers end early. */
extern volatile sig_atomic_t serve_stopping;

/* Answers one request whose whole body (NUL-terminated, or NULL when there was none) has arrived. */
typedef enum MHD_Result (*serve_fn)(struct MHD_Connection *c, const char *method, const char *url,
    const char *body);

/* Starts serving requests with fn (the process's one server) on 127.0.0.1 at a free port (*port), bodies
 * collected as serve_until_stopped does; NULL when it cannot start. Stop it with MHD_stop_daemon. For a
 * server inside a test program. */
struct MHD_Daemon *serve_start(serve_fn fn, unsigned *port);
/* Serves requests with fn until stopped: bodies are collected (tests/doubles/body.h) before fn is
 * called, and one over BODY_MAX is answered 413 without calling it. Returns the process's exit status;
 * name prefixes error messages. */
int serve_until_stopped(const char *name, const char *portfile, serve_fn fn);

#endif
