/* pgproxy.h: a test double between libpq and PostgreSQL (Unix sockets) that can lose the answer to an
 * INSERT after its transaction committed: it forwards both ways, and when asked it holds back the
 * server's CommandComplete "INSERT ..." and everything after it until ReadyForQuery (the commit is then
 * done), and closes the client's connection instead, as a connection that dies right after COMMIT does.
 * It may then refuse new connections for a while (a database away a little longer). */
#ifndef CAPTIONACC_PGPROXY_H
#define CAPTIONACC_PGPROXY_H

#include <stddef.h>

/* Starts the proxy in a thread in front of the server of conninfo ("host=<socket dir> ..."); writes the
 * connection string that goes through it into out. */
void pgproxy_start(const char *conninfo, char *out, size_t outlen);
/* The next INSERT's answer is lost; afterwards connections are refused for refuse_ms. */
void pgproxy_lose_next_insert(long refuse_ms);
/* How many answers were lost so far. */
int pgproxy_lost(void);
void pgproxy_stop(void);

#endif
