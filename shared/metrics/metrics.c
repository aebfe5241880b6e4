/* metrics.c: the figures of GET /metrics (see metrics.h): jobs by flow and status, jobs ended and retries
 * (counters), ended jobs' durations (histogram), the oldest waiting job's age, backfill months by status;
 * and metric_stats' figures (sql/010_figures.sql): steps, GPU calls, lock waits, HTTP answers. */
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

/* The histograms of metric_stats (sql/010_figures.sql), every bucket of every series, cumulative: one row
 * per series and bound, the last (le Infinity) with the series' count and sum. */
static const struct db_stmt figures_hist_stmt = {
	"metrics_figures_hist",
	"WITH b AS (SELECT le, i FROM unnest(captionacc_metric_bounds() || 'Infinity'::double precision)"
	"  WITH ORDINALITY AS t(le, i)),"
	" k AS (SELECT DISTINCT metric, l1, l2, l3 FROM metric_stats WHERE bucket > 0)"
	" SELECT k.metric, k.l1, k.l2, k.l3, b.le, sum(COALESCE(s.n, 0)) OVER w, sum(COALESCE(s.seconds_sum, 0)) OVER w"
	" FROM k CROSS JOIN b LEFT JOIN metric_stats s ON s.metric = k.metric AND s.l1 = k.l1 AND s.l2 = k.l2"
	"  AND s.l3 = k.l3 AND s.bucket = b.i"
	" WINDOW w AS (PARTITION BY k.metric, k.l1, k.l2, k.l3 ORDER BY b.i)"
	" ORDER BY k.metric, k.l1, k.l2, k.l3, b.i",
	0, true
};

/* The counters of metric_stats, and the jobs waiting for a lock now (lock_waits: only those). */
static const struct db_stmt figures_count_stmt = {
	"metrics_figures_count",
	"SELECT metric, l1, l2, l3, n FROM metric_stats WHERE bucket = 0"
	" UNION ALL SELECT 'lock_waiting', database_name, '', '', count(*) FROM lock_waits GROUP BY database_name"
	" ORDER BY 1, 2, 3, 4",
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

/* One family of metric_stats: metric's rows as name, with up to three labels (NULL: not one). */
struct family {
	const char *metric;
	const char *name;
	const char *type;
	const char *help;
	const char *labels[3];
};

static const struct family histograms[] = {
	{ "step", "captionacc_step_duration_seconds", "histogram",
	  "Runner steps' durations, by flow, step and how the step ended (completed, failed).",
	  { "flow", "step", "outcome" } },
	{ "gpu", "captionacc_gpu_call_duration_seconds", "histogram",
	  "GPU function calls' durations, by function, backend and outcome (ok, transient, permanent).",
	  { "function", "backend", "outcome" } },
	{ "lock_wait", "captionacc_lock_wait_seconds", "histogram",
	  "How long jobs that found a lock held waited for it, from the first refusal to the acquisition.",
	  { "database", NULL, NULL } },
};

static const struct family counters[] = {
	{ "lock_refused", "captionacc_lock_refusals_total", "counter",
	  "Times a step found its lock held by another job and handed its job back to wait, by database.",
	  { "database", NULL, NULL } },
	{ "lock_waiting", "captionacc_lock_waiting_jobs", "gauge",
	  "Jobs waiting now for a lock another job holds, by database.", { "database", NULL, NULL } },
	{ "http", "captionacc_http_responses_total", "counter",
	  "HTTP answers of every captionacc-fcgi process, by route and status code.", { "route", "code", NULL } },
};

/* name{labels[0]="v0",...[,le="le"]} value, the labels' values from row i's columns 1-3. */
static void
put_series(FILE *f, const char *name, const char *const labels[3], PGresult *r, int i, const char *extra,
    const char *extra_value, const char *value)
{
	const char *sep = "";

	fprintf(f, "%s{", name);
	for (int l = 0; l < 3; l++)
		if (labels[l] != NULL) {
			fprintf(f, "%s%s=\"", sep, labels[l]);
			put_label(f, PQgetvalue(r, i, 1 + l));
			fputc('"', f);
			sep = ",";
		}
	if (extra != NULL) {
		fprintf(f, "%s%s=\"", sep, extra);
		put_label(f, extra_value);
		fputc('"', f);
	}
	fprintf(f, "} %s\n", value);
}

static void
render_histogram(FILE *f, const struct family *fam, PGresult *r)
{
	char name[96];

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", fam->name, fam->help, fam->name);
	for (int i = 0; i < PQntuples(r); i++) {
		const char *le = PQgetvalue(r, i, 4);
		bool inf = strcmp(le, "Infinity") == 0;

		if (strcmp(PQgetvalue(r, i, 0), fam->metric) != 0)
			continue;
		(void)str_fmt(name, sizeof(name), "%s_bucket", fam->name);
		put_series(f, name, fam->labels, r, i, "le", inf ? "+Inf" : le, PQgetvalue(r, i, 5));
		if (!inf)
			continue;
		(void)str_fmt(name, sizeof(name), "%s_sum", fam->name);
		put_series(f, name, fam->labels, r, i, NULL, NULL, PQgetvalue(r, i, 6));
		(void)str_fmt(name, sizeof(name), "%s_count", fam->name);
		put_series(f, name, fam->labels, r, i, NULL, NULL, PQgetvalue(r, i, 5));
	}
}

/* The GPU calls that did not succeed, from the duration histogram's counts. */
static void
render_gpu_failures(FILE *f, PGresult *r)
{
	static const char *const labels[3] = { "function", "backend", "kind" };

	fputs("# HELP captionacc_gpu_call_failures_total GPU function calls that failed, by function, backend and"
	    " kind (transient: tried again; permanent: the job fails).\n"
	    "# TYPE captionacc_gpu_call_failures_total counter\n", f);
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), "gpu") == 0 && strcmp(PQgetvalue(r, i, 3), "ok") != 0 &&
		    strcmp(PQgetvalue(r, i, 4), "Infinity") == 0)
			put_series(f, "captionacc_gpu_call_failures_total", labels, r, i, NULL, NULL, PQgetvalue(r, i, 5));
}

static void
render_counters(FILE *f, const struct family *fam, PGresult *r)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
	for (int i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), fam->metric) == 0)
			put_series(f, fam->name, fam->labels, r, i, NULL, NULL, PQgetvalue(r, i, 4));
}

static void
render_figures(FILE *f, PGresult *hist, PGresult *counts)
{
	for (size_t i = 0; i < sizeof(histograms) / sizeof(histograms[0]); i++)
		render_histogram(f, &histograms[i], hist);
	render_gpu_failures(f, hist);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		render_counters(f, &counters[i], counts);
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
	PGresult *stats = NULL, *oldest = NULL, *backfill = NULL, *hist = NULL, *counts = NULL;
	enum db_status st;
	long long folded;
	size_t len = 0;
	FILE *f;

	*text = NULL;
	if ((st = metrics_fold(db, &folded, err, errlen)) != DB_OK || !query(db, &stats_stmt, &stats, &st, err, errlen) ||
	    !query(db, &oldest_stmt, &oldest, &st, err, errlen) || !query(db, &backfill_stmt, &backfill, &st, err, errlen) ||
	    !query(db, &figures_hist_stmt, &hist, &st, err, errlen) ||
	    !query(db, &figures_count_stmt, &counts, &st, err, errlen))
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
	render_figures(f, hist, counts);
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
	PQclear(hist);
	PQclear(counts);
	return st;
}
