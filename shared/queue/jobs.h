/* jobs.h: the local job queue's store: enqueueing a job row idempotently (the runner's claims come later). */
#ifndef CAPTIONACC_JOBS_H
#define CAPTIONACC_JOBS_H

#include "shared/db.h"
#include "shared/validate.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#define JOBS_ID_MAX 40

/* What to enqueue. Pointers are borrowed for the call. */
struct jobs_new {
	const char *flow;
	const char *tenant_id;
	const char *video_id;          /* may be NULL */
	json_object *parameters;       /* an object */
	json_object *metadata;         /* an object (triggered_by, tags, ...) */
	int priority;                  /* priority at enqueue, as answered to the caller */
	int base_priority;             /* before any age boost */
	bool has_age_anchor;           /* age counts from age_anchor, else from now */
	time_t age_anchor;
	const char *idempotency_key;   /* NULL: never deduplicated by key */
	const char *dedupe_key;        /* NULL, or: while a job with this key waits or runs, it is returned */
	int max_attempts;
};

struct jobs_enqueued {
	char id[JOBS_ID_MAX];
	int priority;
	bool created;          /* false: an existing job with the same idempotency or dedupe key was returned */
	char tenant_id[VALIDATE_ID_MAX + 1];  /* the returned job's tenant (another one's: a conflict) */
	json_object *tags;     /* the stored job's metadata.tags, or NULL; caller frees with json_object_put */
};

/* Inserts the job, or returns the existing one with the same idempotency key; all or nothing. */
enum db_status jobs_enqueue(struct db *db, const struct jobs_new *job, struct jobs_enqueued *out, char *err,
    size_t errlen);

/* The insert's SQL text ($1 flow $2 tenant $3 video $4 parameters $5 metadata $6 priority $7 base priority
 * $8 age anchor $9 idempotency key $10 max attempts $11 dedupe key), for the benchmark's pgbench ceiling. */
const char *jobs_insert_sql(void);

#endif
