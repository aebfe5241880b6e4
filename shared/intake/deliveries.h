/* deliveries.h: the answers given to signed webhooks, by webhook-id (table webhook_deliveries), so a
 * delivery repeated within the time window gets the first answer again instead of being processed twice. */
#ifndef CAPTIONACC_DELIVERIES_H
#define CAPTIONACC_DELIVERIES_H

#include "shared/db.h"

#include <json-c/json.h>

/* The answer recorded for id: DB_OK with *answer NULL when there is none, else with *status and *answer
 * (the caller puts it). Otherwise the failure, with a reason in err. */
enum db_status deliveries_lookup(struct db *db, const char *id, int *status, json_object **answer, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* Records the answer given to id; the first one recorded stays (a concurrent twin's is dropped). */
enum db_status deliveries_record(struct db *db, const char *id, int status, json_object *answer, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/* Deletes the answers received more than keep_seconds ago (an index range scan: cheap, but call it
 * seldom, e.g. once a minute). */
enum db_status deliveries_prune(struct db *db, long keep_seconds, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
