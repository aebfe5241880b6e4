/* heartbeat.h: keeps the current job's lease alive from a thread with its own database connection, so
 * a long step (a GPU call of many minutes) never lets the lease expire while the runner is alive; with
 * run --prefetch, also the leases of the jobs it holds beside it. */
#ifndef CAPTIONACC_HEARTBEAT_H
#define CAPTIONACC_HEARTBEAT_H

#include "shared/config.h"

#include <stdbool.h>
#include <stddef.h>

struct heartbeat;

/* Starts the thread; it extends the watched job's lease every lease_seconds/3. NULL with err on failure. */
struct heartbeat *heartbeat_start(const struct config *cfg, long lease_seconds, char *err, size_t errlen);
/* Starts extending this job's lease (copied). */
void heartbeat_watch(struct heartbeat *hb, const char *job_id, const char *token);
void heartbeat_unwatch(struct heartbeat *hb);
/* Also extends, on every beat and in one statement, the lease of this job, which the runner holds without
 * running it (run --prefetch: claimed and waiting its turn, or finished and waiting for its batch's
 * completion), until heartbeat_drop. -1 when PREFETCH_MAX jobs are held already. */
int heartbeat_hold(struct heartbeat *hb, const char *job_id, const char *token);
void heartbeat_drop(struct heartbeat *hb, const char *job_id);
/* True when an extension found the lease taken over: nothing more may be written for the job. */
bool heartbeat_lost(struct heartbeat *hb);
/* Stops and joins the thread, closes its connection, frees hb. NULL is fine. */
void heartbeat_stop(struct heartbeat *hb);

#endif
