/* lock.h: per-(video, database) locks in video_database_state (SPEC §5): one holder at a time; a lock past
 * its expiry is stale and may be taken over. The runner holds "server" locks named after its job, so a job
 * re-claimed after a crash finds its own lock and goes on. */
#ifndef CAPTIONACC_LOCK_H
#define CAPTIONACC_LOCK_H

#include "shared/db.h"

#include <stdbool.h>
#include <stddef.h>

enum lock_result {
	LOCK_ACQUIRED,   /* taken (or already ours: expiry renewed) */
	LOCK_TAKEN_OVER, /* taken from a holder whose lock had expired; *previous names it */
	LOCK_HELD        /* someone else holds it; *previous names them */
};

/* Acquires a server lock for holder on (video_id, database), valid for ttl_seconds. */
enum db_status lock_acquire(struct db *db, const char *video_id, const char *database, const char *holder,
    long ttl_seconds, enum lock_result *res, char *previous, size_t prevlen, char *err, size_t errlen);
/* Releases the lock if holder has it; *released says whether it did. */
enum db_status lock_release(struct db *db, const char *video_id, const char *database, const char *holder,
    bool *released, char *err, size_t errlen);

#endif
