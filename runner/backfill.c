/* backfill.c: `captionacc-runner backfill seed|schedule|stats [options]`: the internal endpoints' operations
 * from the command line. Options become the same JSON body the endpoints take and pass the same parser
 * (shared/backfill/backfill_request.c); the answer printed is the endpoint's JSON. */
#include "runner/runner.h"

#include "shared/backfill/backfill_log.h"
#include "shared/backfill/backfill_request.h"
#include "shared/backfill/backfill_schedule.h"
#include "shared/intake/intake.h"
#include "shared/str.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define USAGE \
	"usage: captionacc-runner backfill seed [--start-year Y] [--end-year Y] [--batch-size N]\n" \
	"       captionacc-runner backfill schedule [--batch-size N] [--dry-run] [--year-range FROM:TO] [--force-retry]\n" \
	"       captionacc-runner backfill stats\n"

enum backfill_op {
	OP_SEED,
	OP_SCHEDULE,
	OP_STATS,
	OP__MAX
};

static const char *const op_names[OP__MAX] = { "seed", "schedule", "stats" };

/* A whole number option as a JSON number (its range is the parser's business); -1 if not a number. */
static int
add_number(json_object *body, const char *key, const char *text)
{
	long v;

	if (str_to_long(text, LONG_MIN, LONG_MAX, &v) != 0) {
		fprintf(stderr, "captionacc-runner: backfill: %s must be a whole number, not \"%s\"\n", key, text);
		return -1;
	}
	json_object_object_add(body, key, json_object_new_int64(v));
	return 0;
}

/* "FROM:TO" as [FROM, TO]. */
static int
add_range(json_object *body, const char *text)
{
	char from[32];
	const char *colon = strchr(text, ':');
	long a, b;
	json_object *range;

	if (colon == NULL || str_fmt(from, sizeof(from), "%.*s", (int)(colon - text), text) != 0 ||
	    str_to_long(from, LONG_MIN, LONG_MAX, &a) != 0 || str_to_long(colon + 1, LONG_MIN, LONG_MAX, &b) != 0) {
		fprintf(stderr, "captionacc-runner: backfill: --year-range must be FROM:TO, e.g. 2015:2020\n");
		return -1;
	}
	range = json_object_new_array();
	json_object_array_add(range, json_object_new_int64(a));
	json_object_array_add(range, json_object_new_int64(b));
	json_object_object_add(body, "year_range", range);
	return 0;
}

/* The options after the operation's name into the body the endpoint would get. */
static int
parse_opts(int argc, char **argv, json_object *body)
{
	static const struct option opts[] = {
		{ "start-year", required_argument, NULL, 's' },
		{ "end-year", required_argument, NULL, 'e' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "year-range", required_argument, NULL, 'y' },
		{ "force-retry", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = 0;

	optind = 1;
	while (rc == 0 && (c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			rc = add_number(body, "start_year", optarg);
			break;
		case 'e':
			rc = add_number(body, "end_year", optarg);
			break;
		case 'b':
			rc = add_number(body, "batch_size", optarg);
			break;
		case 'n':
			json_object_object_add(body, "dry_run", json_object_new_boolean(1));
			break;
		case 'y':
			rc = add_range(body, optarg);
			break;
		case 'f':
			json_object_object_add(body, "force_retry", json_object_new_boolean(1));
			break;
		default:
			rc = -1;
		}
	}
	if (rc == 0 && optind != argc)
		rc = -1;
	return rc;
}

/* Runs op with the parsed body; prints the answer. Exit status. */
static int
run_op(struct runner *r, enum backfill_op op, json_object *body)
{
	struct backfill_seed_req seed;
	struct backfill_schedule_req sched;
	struct intake in;
	json_object *answer = NULL;
	char why[512], err[1024];
	enum db_status st = DB_ERROR;

	if ((op == OP_SEED && backfill_request_seed(body, backfill_request_this_year(), &seed, why, sizeof(why)) != 0) ||
	    (op == OP_SCHEDULE && backfill_request_schedule(body, &sched, why, sizeof(why)) != 0)) {
		fprintf(stderr, "captionacc-runner: backfill %s: %s\n", op_names[op], why);
		return 2;
	}
	if (op == OP_SEED)
		st = backfill_log_seed(r->db, &seed, (int)r->cfg.backfill_pipeline_version, &answer, err, sizeof(err));
	else if (op == OP_STATS)
		st = backfill_log_stats(r->db, &answer, err, sizeof(err));
	else if (intake_open(&in, r->db, &r->cfg, 0, err, sizeof(err)) == 0) {
		st = backfill_schedule_run(&in, &sched, &answer, err, sizeof(err));
		intake_close(&in);
	}
	if (st != DB_OK) {
		fprintf(stderr, "captionacc-runner: backfill %s: %s\n", op_names[op], err);
		return 1;
	}
	printf("%s\n", json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(answer);
	return 0;
}

int
backfill_command(struct runner *r, int argc, char **argv)
{
	json_object *body;
	int op = 0, rc;

	if (argc < 2) {
		fputs(USAGE, stderr);
		return 2;
	}
	while (op < OP__MAX && strcmp(op_names[op], argv[1]) != 0)
		op++;
	if (op == OP__MAX) {
		fprintf(stderr, "captionacc-runner: backfill: unknown operation \"%s\"\n" USAGE, argv[1]);
		return 2;
	}
	body = json_object_new_object();
	if (parse_opts(argc - 1, argv + 1, body) != 0 || (op == OP_STATS && json_object_object_length(body) > 0)) {
		fputs(USAGE, stderr);
		json_object_put(body);
		return 2;
	}
	rc = run_op(r, (enum backfill_op)op, body);
	json_object_put(body);
	return rc;
}
