/* status_page.c: GET /status: one server-rendered HTML page for operators (inline CSS and SVG, no
 * script, nothing fetched from elsewhere; readable on a phone and a desktop): queue depth per flow and
 * status, waiting work per tenant, the last hour's throughput as an SVG chart, the oldest waiting job,
 * the last 20 failures, running jobs with their runner and lease expiry, backfill progress. Every query
 * reads a small table or a partial index (sql/009_metrics.sql), so the page stays fast at 1,000,000 jobs.
 * Same access as /metrics (the route table checks it). */
#include "fcgi/handlers.h"

#include "shared/metrics/metrics.h"
#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_CONTENT_TYPE "text/html; charset=utf-8"
#define CHART_BARS 12  /* 5-minute bars over the last hour */

static const struct db_stmt depth_stmt = {
	"status_depth", "SELECT flow, status, current FROM job_stats WHERE current <> 0 ORDER BY flow, status", 0, true
};
static const struct db_stmt tenants_stmt = {
	"status_tenants",
	"SELECT tenant_id, count(*) FROM jobs WHERE status IN ('pending', 'retry') GROUP BY tenant_id"
	" ORDER BY count(*) DESC, tenant_id LIMIT 20",
	0, true
};
static const struct db_stmt oldest_stmt = {
	"status_oldest",
	"SELECT id, flow, COALESCE(video_id, '-'), round(extract(epoch FROM now() - created_at))::bigint FROM jobs"
	" WHERE status IN ('pending', 'retry') ORDER BY created_at LIMIT 1",
	0, true
};
/* Bar 0 is the newest 5 minutes. */
static const struct db_stmt throughput_stmt = {
	"status_throughput",
	"SELECT least(floor(extract(epoch FROM now() - finished_at) / 300)::int, 11), count(*) FILTER"
	" (WHERE status = 'completed'), count(*) FILTER (WHERE status <> 'completed') FROM jobs"
	" WHERE finished_at > now() - interval '1 hour' GROUP BY 1",
	0, true
};
static const struct db_stmt failures_stmt = {
	"status_failures",
	"SELECT id, flow, COALESCE(video_id, '-'), to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
	"  left(COALESCE(error_message, ''), 300) FROM jobs WHERE status = 'failed' ORDER BY finished_at DESC LIMIT 20",
	0, true
};
static const struct db_stmt running_stmt = {
	"status_running",
	"SELECT id, flow, COALESCE(video_id, '-'), COALESCE(lease_owner, '-'),"
	"  round(extract(epoch FROM lease_expires_at - now()))::bigint, attempt || '/' || max_attempts FROM jobs"
	" WHERE status = 'running' ORDER BY lease_expires_at LIMIT 100",
	0, true
};
static const struct db_stmt backfill_stmt = {
	"status_backfill",
	"SELECT year || '-' || lpad(month::text, 2, '0'), status, COALESCE(videos_found, 0), COALESCE(videos_completed, 0),"
	"  COALESCE(videos_failed, 0) FROM backfill_log WHERE status <> 'pending' ORDER BY updated_at DESC, year DESC,"
	"  month DESC LIMIT 12",
	0, true
};

/* text with &, <, >, " and ' escaped. */
static void
put_html(FILE *f, const char *text)
{
	for (; *text != '\0'; text++)
		switch (*text) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*text, f);
		}
}

/* A table of r's rows (every column escaped) under heading, with the column titles heads (n of them), or
 * the sentence empty when r has no row. */
static void
put_table(FILE *f, const char *id, const char *heading, PGresult *r, const char *const *heads, int n,
    const char *empty)
{
	fprintf(f, "<section id=\"%s\"><h2>%s</h2>", id, heading);
	if (PQntuples(r) == 0) {
		fprintf(f, "<p class=\"empty\">%s</p></section>\n", empty);
		return;
	}
	fputs("<div class=\"scroll\"><table><thead><tr>", f);
	for (int c = 0; c < n; c++)
		fprintf(f, "<th>%s</th>", heads[c]);
	fputs("</tr></thead><tbody>", f);
	for (int i = 0; i < PQntuples(r); i++) {
		fputs("<tr>", f);
		for (int c = 0; c < n && c < PQnfields(r); c++) {
			fputs("<td>", f);
			put_html(f, PQgetvalue(r, i, c));
			fputs("</td>", f);
		}
		fputs("</tr>", f);
	}
	fputs("</tbody></table></div></section>\n", f);
}

/* The last hour's ended jobs as 12 stacked bars (completed green, failed or cancelled red), oldest left. */
static void
put_chart(FILE *f, PGresult *r)
{
	long ok[CHART_BARS] = { 0 }, bad[CHART_BARS] = { 0 }, max = 1, total = 0;

	for (int i = 0; i < PQntuples(r); i++) {
		int b = atoi(PQgetvalue(r, i, 0));

		if (b >= 0 && b < CHART_BARS) {
			ok[b] = atol(PQgetvalue(r, i, 1));
			bad[b] = atol(PQgetvalue(r, i, 2));
		}
	}
	for (int b = 0; b < CHART_BARS; b++) {
		max = ok[b] + bad[b] > max ? ok[b] + bad[b] : max;
		total += ok[b] + bad[b];
	}
	fprintf(f, "<section id=\"throughput\"><h2>Jobs ended, last hour</h2><p><span id=\"throughput-total\">%ld</span>"
	    " jobs ended (5-minute bars, newest right; tallest bar %ld)</p>"
	    "<svg viewBox=\"0 0 240 100\" role=\"img\" aria-label=\"jobs ended per 5 minutes\" class=\"chart\">", total, max);
	for (int b = 0; b < CHART_BARS; b++) {
		int x = (CHART_BARS - 1 - b) * 20 + 2;
		long hok = ok[b] * 96 / max, hbad = bad[b] * 96 / max;

		fprintf(f, "<rect class=\"ok\" x=\"%d\" y=\"%ld\" width=\"16\" height=\"%ld\"><title>%ld completed</title></rect>",
		    x, 98 - hok, hok, ok[b]);
		fprintf(f, "<rect class=\"bad\" x=\"%d\" y=\"%ld\" width=\"16\" height=\"%ld\"><title>%ld failed or cancelled"
		    "</title></rect>", x, 98 - hok - hbad, hbad, bad[b]);
	}
	fputs("<line x1=\"0\" y1=\"98.5\" x2=\"240\" y2=\"98.5\" class=\"axis\"/></svg></section>\n", f);
}

static void
put_oldest(FILE *f, PGresult *r)
{
	fputs("<section id=\"oldest\"><h2>Oldest waiting job</h2>", f);
	if (PQntuples(r) == 0) {
		fputs("<p class=\"empty\">No job is waiting.</p></section>\n", f);
		return;
	}
	fputs("<p><code>", f);
	put_html(f, PQgetvalue(r, 0, 0));
	fputs("</code> ", f);
	put_html(f, PQgetvalue(r, 0, 1));
	fputs(" (video ", f);
	put_html(f, PQgetvalue(r, 0, 2));
	fprintf(f, "), waiting <strong id=\"oldest-age\">%s</strong> s</p></section>\n", PQgetvalue(r, 0, 3));
}

static const char style[] =
	"<style>body{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f6f7f9;color:#1c1e21}"
	"h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.05rem;margin:0 0 .5rem}"
	"main{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr))}"
	"section{background:#fff;border-radius:8px;padding:.8rem 1rem;box-shadow:0 1px 2px #0002;min-width:0}"
	".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}"
	"th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e4e6eb;vertical-align:top}"
	"td{word-break:break-word}.empty{color:#666}.chart{width:100%;max-height:12rem}.ok{fill:#2e9e5b}"
	".bad{fill:#d64541}.axis{stroke:#999;stroke-width:1}code{font-size:.85rem}"
	"@media (max-width:600px){body{padding:.5rem}th,td{padding:.2rem .3rem;font-size:.8rem}}</style>";

/* Every section into f; the results are borrowed. */
static void
render(FILE *f, PGresult *const *r)
{
	static const char *const depth_heads[] = { "Flow", "Status", "Jobs" };
	static const char *const tenant_heads[] = { "Tenant", "Waiting jobs" };
	static const char *const failure_heads[] = { "Job", "Flow", "Video", "Failed (UTC)", "Error" };
	static const char *const running_heads[] = { "Job", "Flow", "Video", "Runner", "Lease expires in (s)", "Attempt" };
	static const char *const backfill_heads[] = { "Month", "Status", "Videos found", "Completed", "Failed" };

	fprintf(f, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>CaptionAcc status</title>%s"
	    "</head><body><header><h1>CaptionAcc status</h1></header><main>\n", style);
	put_table(f, "depth", "Queue by flow and status", r[0], depth_heads, 3, "No jobs.");
	put_oldest(f, r[2]);
	put_chart(f, r[3]);
	put_table(f, "tenants", "Waiting work per tenant", r[1], tenant_heads, 2, "Nothing is waiting.");
	put_table(f, "running", "Running jobs", r[5], running_heads, 6, "No job is running.");
	put_table(f, "failures", "Last 20 failures", r[4], failure_heads, 5, "No failed job.");
	put_table(f, "backfill", "Backfill (months started, most recent first)", r[6], backfill_heads, 5,
	    "No backfill month started.");
	fputs("</main></body></html>\n", f);
}

void
status_page_get(struct app *app, const struct request *req, struct response *resp)
{
	static const struct db_stmt *const stmts[] = { &depth_stmt, &tenants_stmt, &oldest_stmt, &throughput_stmt,
		&failures_stmt, &running_stmt, &backfill_stmt };
	enum { N = sizeof(stmts) / sizeof(stmts[0]) };
	PGresult *r[N] = { 0 };
	char *text = NULL, err[512];
	enum db_status st = DB_OK;
	long long folded;
	size_t len = 0;
	FILE *f;

	(void)req;
	if ((st = metrics_fold(app->db, &folded, err, sizeof(err))) == DB_OK)
		for (size_t i = 0; i < N && st == DB_OK; i++)
			r[i] = db_exec(app->db, stmts[i], NULL, &st, err, sizeof(err));
	if (st != DB_OK)
		handlers_db_failure(app, resp, st, "status page", err);
	else if ((f = open_memstream(&text, &len)) == NULL)
		response_error(resp, 500, "Internal error");
	else {
		render(f, r);
		if (fclose(f) != 0) {
			free(text);
			response_error(resp, 500, "Internal error");
		} else
			response_text(resp, text, STATUS_CONTENT_TYPE);
	}
	for (size_t i = 0; i < N; i++)
		PQclear(r[i]);
}
