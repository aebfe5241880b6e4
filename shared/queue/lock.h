/* lock.h: per-(video, database) locks in video_database_state (SPEC §5): one holder at a time; a lock past
 * its expiry is stale and may be taken over. The runner holds "server" locks named after its job
 * ("job:<id>") and records the claim that took it (lock_token, the lease token). Taking, renewing and
 * releasing are fenced by the job's lease (shared/queue/fence.h): only the claim that holds the job now
 * may touch its lock, so a runner frozen past its lease that resumes can neither release nor renew the
 * lock of the runner that took its job over; a later claim of the same job inherits the lock. */
#ifndef CAPTIONACC_LOCK_H
#define CAPTIONACC_LOCK_H

#include "shared/db.h"
#include "shared/queue/fence.h"

#include <stdbool.h>
#include <stddef.h>

enum lock_result {
	LOCK_ACQUIRED,   /* taken (or already this job's: expiry renewed, the claim recorded) */
	LOCK_TAKEN_OVER, /* taken from a holder whose lock had expired; *previous names it */
	LOCK_HELD,       /* someone else holds it; *previous names them */
	LOCK_LEASE_LOST  /* the job's lease is gone: nothing was done */
};

/* Acquires a server lock for holder on (video_id, database), valid for ttl_seconds, for the claim f. */
enum db_status lock_acquire(struct db *db, const struct fence *f, const char *video_id, const char *database,
    const char *holder, long ttl_seconds, enum lock_result *res, char *previous, size_t prevlen, char *err,
    size_t errlen);
/* Releases the lock if holder has it and f still holds the job. *res: FENCE_WRITTEN released,
 * FENCE_NO_ROW not held by holder, FENCE_LOST the lease is gone (nothing done). */
enum db_status lock_release(struct db *db, const struct fence *f, const char *video_id, const char *database,
    const char *holder, enum fence_result *res, char *err, size_t errlen);

#endif
