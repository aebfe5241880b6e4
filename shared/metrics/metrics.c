/* metrics.c: the figures of GET /metrics (see metrics.h): jobs by flow and status, jobs ended and retries
 * (counters), ended jobs' durations (histogram), the oldest waiting job's age, backfill months by status. */
#include "shared/metrics/metrics.h"

#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The duration buckets of job_stats (b1 ... b3600), in seconds. */
static const char *const buckets[] = { "1", "10", "60", "300", "1800", "3600" };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))
#define STATS_FIRST_BUCKET 5  /* column of b1 in stats_stmt */

static const struct db_stmt fold_stmt = {
	"metrics_fold", "SELECT captionacc_metrics_fold()", 0, true
};

static const struct db_stmt stats_stmt = {
	"metrics_stats",
	"SELECT flow, status, current, entered, seconds_sum, b1, b10, b60, b300, b1800, b3600"
	" FROM job_stats ORDER BY flow, status",
	0, true
};

/* jobs_waiting_created_idx: the first entry of a partial index, whatever the backlog. */
static const struct db_stmt oldest_stmt = {
	"metrics_oldest",
	"SELECT COALESCE(extract(epoch FROM now() - min(created_at)), 0)::double precision FROM jobs"
	" WHERE status IN ('pending', 'retry')",
	0, true
};

/* One row per month of history at most: small. */
static const struct db_stmt backfill_stmt = {
	"metrics_backfill",
	"SELECT s.status, count(b.status) FROM unnest(ARRAY['pending', 'processing', 'completed', 'failed', 'retry'])"
	" s(status) LEFT JOIN backfill_log b ON b.status = s.status GROUP BY s.status ORDER BY s.status",
	0, true
};

enum db_status
metrics_fold(struct db *db, long long *n, char *err, size_t errlen)
{
	enum db_status st;
	PGresult *r;

	*n = 0;
	if ((r = db_exec(db, &fold_stmt, NULL, &st, err, errlen)) == NULL)
		return st;
	if (PQntuples(r) == 1)
		*n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return DB_OK;
}

/* A label value as the format wants it: backslash, double quote and newline escaped. */
static void
put_label(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void
put_labels(FILE *f, const char *name, const char *flow, const char *status, const char *le)
{
	fprintf(f, "%s{flow=\"", name);
	put_label(f, flow);
	if (status != NULL) {
		fputs("\",status=\"", f);
		put_label(f, status);
	}
	if (le != NULL)
		fprintf(f, "\",le=\"%s", le);
	fputs("\"} ", f);
}

static bool
is_end(const char *status)
{
	return strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0;
}

static void
render_stats(FILE *f, PGresult *r)
{
	int n = PQntuples(r);

	fputs("# HELP captionacc_jobs Jobs now in each status, by flow.\n# TYPE captionacc_jobs gauge\n", f);
	for (int i = 0; i < n; i++) {
		put_labels(f, "captionacc_jobs", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), NULL);
		fprintf(f, "%s\n", PQgetvalue(r, i, 2));
	}
	fputs("# HELP captionacc_jobs_ended_total Jobs that ended (completed, failed for good, cancelled), by flow.\n"
	    "# TYPE captionacc_jobs_ended_total counter\n", f);
	for (int i = 0; i < n; i++)
		if (is_end(PQgetvalue(r, i, 1))) {
			put_labels(f, "captionacc_jobs_ended_total", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), NULL);
			fprintf(f, "%s\n", PQgetvalue(r, i, 3));
		}
	fputs("# HELP captionacc_job_retries_total Attempts that failed transiently and were queued again, by flow.\n"
	    "# TYPE captionacc_job_retries_total counter\n", f);
	for (int i = 0; i < n; i++)
		if (strcmp(PQgetvalue(r, i, 1), "retry") == 0) {
			put_labels(f, "captionacc_job_retries_total", PQgetvalue(r, i, 0), NULL, NULL);
			fprintf(f, "%s\n", PQgetvalue(r, i, 3));
		}
	fputs("# HELP captionacc_job_duration_seconds Ended jobs' time from their start (or queueing) to their end.\n"
	    "# TYPE captionacc_job_duration_seconds histogram\n", f);
	for (int i = 0; i < n; i++) {
		long long cum = 0;

		if (!is_end(PQgetvalue(r, i, 1)))
			continue;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += strtoll(PQgetvalue(r, i, STATS_FIRST_BUCKET + (int)b), NULL, 10);
			put_labels(f, "captionacc_job_duration_seconds_bucket", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			    buckets[b]);
			fprintf(f, "%lld\n", cum);
		}
		put_labels(f, "captionacc_job_duration_seconds_bucket", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), "+Inf");
		fprintf(f, "%s\n", PQgetvalue(r, i, 3));
		put_labels(f, "captionacc_job_duration_seconds_sum", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), NULL);
		fprintf(f, "%s\n", PQgetvalue(r, i, 4));
		put_labels(f, "captionacc_job_duration_seconds_count", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), NULL);
		fprintf(f, "%s\n", PQgetvalue(r, i, 3));
	}
}

static void
render_backfill(FILE *f, PGresult *r)
{
	fputs("# HELP captionacc_backfill_months Months of history to reprocess, by status.\n"
	    "# TYPE captionacc_backfill_months gauge\n", f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "captionacc_backfill_months{status=\"%s\"} %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
}

/* Runs stmt into *r; false with st and err set. */
static bool
query(struct db *db, const struct db_stmt *stmt, PGresult **r, enum db_status *st, char *err, size_t errlen)
{
	return (*r = db_exec(db, stmt, NULL, st, err, errlen)) != NULL;
}

enum db_status
metrics_render(struct db *db, char **text, char *err, size_t errlen)
{
	PGresult *stats = NULL, *oldest = NULL, *backfill = NULL;
	enum db_status st;
	long long folded;
	size_t len = 0;
	FILE *f;

	*text = NULL;
	if ((st = metrics_fold(db, &folded, err, errlen)) != DB_OK || !query(db, &stats_stmt, &stats, &st, err, errlen) ||
	    !query(db, &oldest_stmt, &oldest, &st, err, errlen) || !query(db, &backfill_stmt, &backfill, &st, err, errlen))
		goto out;
	if ((f = open_memstream(text, &len)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		st = DB_ERROR;
		goto out;
	}
	render_stats(f, stats);
	fprintf(f, "# HELP captionacc_oldest_waiting_job_age_seconds Age of the oldest pending or retry job (0: none).\n"
	    "# TYPE captionacc_oldest_waiting_job_age_seconds gauge\ncaptionacc_oldest_waiting_job_age_seconds %s\n",
	    PQntuples(oldest) == 1 ? PQgetvalue(oldest, 0, 0) : "0");
	render_backfill(f, backfill);
	if (fclose(f) != 0) {
		free(*text);
		*text = NULL;
		(void)str_fmt(err, errlen, "out of memory");
		st = DB_ERROR;
	}
out:
	PQclear(stats);
	PQclear(oldest);
	PQclear(backfill);
	return st;
}
