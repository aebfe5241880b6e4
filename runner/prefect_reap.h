/* prefect_reap.h: QUEUE_BACKEND=prefect: flow runs whose runner died (SIGKILL, OOM, a lost host) stay
 * RUNNING or PENDING in Prefect forever (Prefect 2.x has no worker heartbeats). Their jobs rows' leases
 * expire; any runner of the pool takes such rows over and ends or hands back each run by what Prefect
 * says of it, so it resumes after its last completed step on a later poll. */
#ifndef CAPTIONACC_PREFECT_REAP_H
#define CAPTIONACC_PREFECT_REAP_H

#include "runner/source.h"

#include "shared/clients/prefect.h"

/* One pass over the expired rows (at most a batch). Failures are logged; a row whose run cannot be
 * looked at now is left for a later pass. */
void prefect_reap(struct prefect *api, const struct source_env *env);

#endif
