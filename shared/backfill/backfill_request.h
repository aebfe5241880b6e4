/* backfill_request.h: the backfill operations' requests (seed, schedule), parsed strictly once from JSON
 * into typed structs: by the internal endpoints from their bodies and by `captionacc-runner backfill` from
 * its options (which it turns into the same JSON), so both take the same checks. */
#ifndef CAPTIONACC_BACKFILL_REQUEST_H
#define CAPTIONACC_BACKFILL_REQUEST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define BACKFILL_YEAR_MIN 1970
#define BACKFILL_YEAR_MAX 9999
#define BACKFILL_SEED_YEARS_DEFAULT 25    /* the last 25 years up to this one */
#define BACKFILL_SEED_YEARS_MAX 100
#define BACKFILL_BATCH_MIN 1
#define BACKFILL_BATCH_MAX 50
#define BACKFILL_SEED_BATCH_DEFAULT 20
#define BACKFILL_SCHEDULE_BATCH_DEFAULT 5

/* POST /api/internal/seed-backfill-queue: every month of start_year..end_year. */
struct backfill_seed_req {
	int start_year, end_year;
	int batch_size;
};

/* POST /api/internal/schedule-backfill. */
struct backfill_schedule_req {
	int batch_size;      /* months taken at most */
	bool dry_run;        /* answer what would be done, change nothing */
	int from_year, to_year;  /* year_range, or every year */
	bool force_retry;    /* failed months are candidates too */
};

/* A request body as a JSON object: empty text is {}. NULL with a sentence in why. Caller puts. */
json_object *backfill_request_body(const char *text, size_t len, char *why, size_t whylen);
/* body into *out; this_year gives the default range (the 25 years up to it). 0, or -1 with a sentence in
 * why (out is then unspecified). Fields not named above are refused; null is the same as absent. */
int backfill_request_seed(json_object *body, int this_year, struct backfill_seed_req *out, char *why,
    size_t whylen) __attribute__((warn_unused_result));
int backfill_request_schedule(json_object *body, struct backfill_schedule_req *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The current year (UTC). */
int backfill_request_this_year(void);

#endif
