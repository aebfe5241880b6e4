/* reconcile.c: `captionacc-runner reconcile [--older-than MINUTES] [--dry-run]`: lost webhooks. Supabase
 * does not resend a webhook, so a video still `uploading` whose row is older than MINUTES (default 10) and
 * that has no job is queued here exactly as the webhook would have queued it: through the intake path, as
 * "reconcile", with the row's created_at (same priority rules) and no idempotency key of its own (so the
 * flow's: the webhook's), so a late webhook or a second reconcile finds the job and queues nothing. */
#include "runner/runner.h"

#include "shared/intake/intake.h"
#include "shared/log.h"
#include "shared/str.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "usage: captionacc-runner reconcile [--older-than MINUTES] [--dry-run]\n"
#define RECONCILE_BATCH 1000  /* videos per run; the next cron run takes the rest */
#define STR_(x) #x
#define STR(x) STR_(x)

/* $1 age in minutes. jobs_video_idx answers NOT EXISTS; videos_created_idx the age. */
static const struct db_stmt lost_stmt = {
	"reconcile_lost",
	"SELECT v.id, v.tenant_id, v.storage_key, extract(epoch FROM v.created_at)::bigint,"
	"  round(extract(epoch FROM now() - v.created_at) / 60)::bigint FROM videos v"
	" WHERE v.status = 'uploading' AND v.created_at < now() - make_interval(mins => $1::int)"
	"   AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.video_id = v.id)"
	" ORDER BY v.created_at, v.id LIMIT " STR(RECONCILE_BATCH),
	1, true
};

struct reconcile_opts {
	long minutes;
	bool dry_run;
};

static int
parse_opts(int argc, char **argv, struct reconcile_opts *o)
{
	static const struct option opts[] = {
		{ "older-than", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct reconcile_opts){ 10, false };
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:n", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (str_to_long(optarg, 0, 525600, &o->minutes) != 0) {
				fprintf(stderr, "captionacc-runner: reconcile: --older-than must be a whole number of minutes "
				    "0-525600\n");
				return -1;
			}
			break;
		case 'n':
			o->dry_run = true;
			break;
		default:
			fputs(USAGE, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fputs(USAGE, stderr);
		return -1;
	}
	return 0;
}

/* Row i of lost_stmt as the webhook's parameters and created_at. -1 with why when the API would refuse
 * the row (then it is skipped, as the webhook would have been answered 400). */
static int
row_params(PGresult *res, int i, struct flow_params *p, time_t *created, char *why, size_t whylen)
{
	json_object *obj = json_object_new_object();
	long long epoch = 0;
	int rc;

	json_object_object_add(obj, "video_id", json_object_new_string(PQgetvalue(res, i, 0)));
	json_object_object_add(obj, "tenant_id", json_object_new_string(PQgetvalue(res, i, 1)));
	json_object_object_add(obj, "storage_key", json_object_new_string(PQgetvalue(res, i, 2)));
	rc = params_parse(FLOW_VIDEO_INITIAL_PROCESSING, obj, p, why, whylen);
	json_object_put(obj);
	if (rc == 0 && sscanf(PQgetvalue(res, i, 3), "%lld", &epoch) != 1) {
		params_free(p);
		(void)str_fmt(why, whylen, "created_at unreadable");
		rc = -1;
	}
	*created = (time_t)epoch;
	return rc;
}

/* Queues row i; 0 queued, 1 skipped, 2 found queued already (a Prefect run not yet taken), -1 failed (the run stops: the next one retries). */
static int
queue_row(struct intake *in, PGresult *res, int i, bool dry_run)
{
	struct flow_params p = { 0 };
	struct intake_answer ans = { 0 };
	struct intake_request ir;
	char why[300];
	time_t created;
	int rc = 0;

	if (row_params(res, i, &p, &created, why, sizeof(why)) != 0) {
		log_warn("reconcile: video %.128s skipped: %s", PQgetvalue(res, i, 0), why);
		printf("skipped video %.128s: %s\n", PQgetvalue(res, i, 0), why);
		return 1;
	}
	if (dry_run) {
		printf("would queue video %s (tenant %s, uploaded %s min ago, no job)\n", p.video_id, p.tenant_id,
		    PQgetvalue(res, i, 4));
		params_free(&p);
		return 0;
	}
	ir = (struct intake_request){ .params = &p, .triggered_by = "reconcile", .has_created_at = true,
		.created_at = created, .priority = -1 };
	if (intake_submit(in, &ir, &ans) != INTAKE_OK) {
		fprintf(stderr, "captionacc-runner: reconcile: video %s: %s\n", p.video_id, ans.error);
		log_error("reconcile: video %s not queued: %s", p.video_id, ans.error);
		rc = -1;
	} else {
		rc = ans.created ? 0 : 2;
		printf("%s video %s (tenant %s, uploaded %s min ago): %s %s, priority %d\n", ans.created ? "queued" :
		    "already queued:", p.video_id, p.tenant_id, PQgetvalue(res, i, 4), ans.queue ? "Prefect flow run" :
		    "job", ans.id, ans.priority);
	}
	intake_answer_free(&ans);
	params_free(&p);
	return rc;
}

int
reconcile_command(struct runner *r, int argc, char **argv)
{
	struct reconcile_opts o;
	struct intake in;
	char err[512], minutes[24];
	const char *params[1] = { minutes };
	enum db_status st;
	PGresult *res;
	int rc = 0, n, queued = 0, skipped = 0, q = 0;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	(void)str_fmt(minutes, sizeof(minutes), "%ld", o.minutes);
	if (intake_open(&in, r->db, &r->cfg, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-runner: reconcile: %s\n", err);
		return 1;
	}
	if ((res = db_exec(r->db, &lost_stmt, params, &st, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: reconcile: %s\n", err);
		intake_close(&in);
		return 1;
	}
	n = PQntuples(res);
	for (int i = 0; i < n && rc == 0; i++) {
		if ((q = queue_row(&in, res, i, o.dry_run)) < 0)
			rc = 1;
		else if (q == 0)
			queued++;
		else if (q == 1)
			skipped++;
	}
	PQclear(res);
	intake_close(&in);
	if (n > 0 || !o.dry_run)
		log_info("reconcile: %d video%s uploading for over %ld min with no job: %d %s, %d skipped%s", n,
		    n == 1 ? "" : "s", o.minutes, queued, o.dry_run ? "would be queued" : "queued", skipped,
		    rc != 0 ? ", stopped on a failure" : "");
	printf("%d video%s %s%s\n", queued, queued == 1 ? "" : "s", o.dry_run ? "would be queued" : "queued",
	    n >= RECONCILE_BATCH ? " (more wait for the next run)" : "");
	return rc;
}
