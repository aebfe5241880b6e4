/* metrics.h: the system's figures in the Prometheus text exposition format 0.0.4, taken from the database
 * (so they are true for the whole system whichever captionacc-fcgi process answers), from tables kept
 * small by triggers (sql/009_metrics.sql): a scrape reads a few dozen rows at any size of the jobs table. */
#ifndef CAPTIONACC_METRICS_H
#define CAPTIONACC_METRICS_H

#include "shared/db.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Folds the job events appended since the last fold into job_stats (runners call it between jobs, a
 * scrape before reading). *n: how many events. */
enum db_status metrics_fold(struct db *db, long long *n, char *err, size_t errlen);
/* Folds, then renders every figure into *text (malloc'd; the caller frees it). */
enum db_status metrics_render(struct db *db, char **text, char *err, size_t errlen);

#endif
