/* jobs_list.c: `captionacc-runner jobs [--status S] [--flow F] [--video V] [--limit N]`: the newest jobs as
 * a table (id, flow, status, attempts, priority, video, tenant, created, runner, error). */
#include "runner/runner.h"

#include "shared/intake/params.h"
#include "shared/queue/control.h"
#include "shared/str.h"
#include "shared/validate.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "usage: captionacc-runner jobs [--status S] [--flow F] [--video V] [--limit N]\n"
#define JOBS_LIMIT_MAX 10000

static const char *const statuses[] = { "pending", "running", "retry", "completed", "failed", "cancelled" };

static bool
known_status(const char *s)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(s, statuses[i]) == 0)
			return true;
	return false;
}

/* One option's value into f; -1 with the message printed. */
static int
parse_opt(int c, const char *v, struct control_filter *f)
{
	enum flow_id flow;

	switch (c) {
	case 's':
		if (known_status(v))
			return f->status = v, 0;
		fprintf(stderr, "captionacc-runner: jobs: --status must be one of pending, running, retry, completed, "
		    "failed, cancelled\n");
		return -1;
	case 'f':
		if (params_flow_parse(v, &flow) == 0)
			return f->flow = v, 0;
		fprintf(stderr, "captionacc-runner: jobs: unknown flow \"%.64s\" (%s)\n", v, params_flow_list());
		return -1;
	case 'v':
		if (validate_id(v))
			return f->video_id = v, 0;
		fprintf(stderr, "captionacc-runner: jobs: --video must be 1-%d characters of letters, digits, '_' or "
		    "'-'\n", VALIDATE_ID_MAX);
		return -1;
	case 'n':
		if (str_to_long(v, 1, JOBS_LIMIT_MAX, &f->limit) == 0)
			return 0;
		fprintf(stderr, "captionacc-runner: jobs: --limit must be a whole number 1-%d\n", JOBS_LIMIT_MAX);
		return -1;
	default:
		fputs(USAGE, stderr);
		return -1;
	}
}

static int
parse_opts(int argc, char **argv, struct control_filter *f)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "flow", required_argument, NULL, 'f' },
		{ "video", required_argument, NULL, 'v' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*f = (struct control_filter){ .limit = 50 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "+s:f:v:n:", opts, NULL)) != -1)
		if (parse_opt(c, optarg, f) != 0)
			return -1;
	if (optind != argc) {
		fputs(USAGE, stderr);
		return -1;
	}
	return 0;
}

static void
print_row(void *arg, const struct control_row *row)
{
	(void)arg;
	printf("%-36s  %-24s  %-9s  %-8s  %8s  %-20.64s  %-16.64s  %-19s  %-20.64s  %s\n", row->id, row->flow,
	    row->status, row->attempts, row->priority, row->video_id, row->tenant_id, row->created, row->runner,
	    row->error);
}

int
jobs_command(struct runner *r, int argc, char **argv)
{
	struct control_filter f;
	char err[512];
	int n = 0;

	if (parse_opts(argc, argv, &f) != 0)
		return 2;
	printf("%-36s  %-24s  %-9s  %-8s  %8s  %-20s  %-16s  %-19s  %-20s  %s\n", "JOB", "FLOW", "STATUS", "ATTEMPTS",
	    "PRIORITY", "VIDEO", "TENANT", "CREATED (UTC)", "RUNNER", "ERROR");
	if (control_list(r->db, &f, print_row, NULL, &n, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: jobs: %s\n", err);
		return 1;
	}
	printf("%d job%s, newest first%s\n", n, n == 1 ? "" : "s", n == f.limit ? " (--limit reached)" : "");
	return 0;
}
