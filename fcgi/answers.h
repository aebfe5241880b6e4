/* answers.h: every HTTP answer of this process counted by route and status code, and added to metric_stats
 * (sql/010_figures.sql, GET /metrics' captionacc_http_responses_total) as deltas at most once a second, never
 * while a client waits: after an answer has been sent, after a second without requests, or at exit. */
#ifndef CAPTIONACC_ANSWERS_H
#define CAPTIONACC_ANSWERS_H

#include "shared/db.h"

#include <fcgiapp.h>

/* Counts one answer: route is the route table's pattern (NULL: a path no route has). */
void answers_count(const char *route, int status);
/* Writes the counts not written yet when a second has passed since the last write (always with force).
 * Counts a failed write could not add stay for the next one. */
void answers_flush(struct db *db, bool force);
/* Before waiting for the next request: while counts wait to be written, waits at most until they are due
 * for a request on the listening socket or on fcgx's kept connection, and writes them if none came. */
void answers_idle(struct db *db, const FCGX_Request *fcgx);

#endif
