/* main.c: captionacc-runner: global options, settings, and the command table. Each command lives in its
 * own file and is one entry below. */
#include "build-config.h"

#include "runner/runner.h"

#include "shared/local/localgpu.h"
#include "shared/log.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int help_command(struct runner *r, int argc, char **argv);

static const struct runner_command commands[] = {
	{ .name = "migrate", .args = "", .help = "apply the database migrations (idempotent)", .run = migrate_command },
	{ .name = "run", .args = "[--max-jobs N] [--max-seconds S] [--wait] [--dry-run] [--worker-id ID] [--prefetch N]",
	  .help = "claim and run queued jobs until the queue is empty or a limit is reached", .run = run_command },
	{ .name = "status", .args = "", .help = "job counts by status and the oldest waiting job",
	  .run = status_command },
	{ .name = "enqueue", .args = "[--idempotency-key KEY] [--priority N] FLOW JSON",
	  .help = "queue a flow; JSON holds tenant_id, video_id and the flow's parameters (checked as the API does)",
	  .run = enqueue_command },
	{ .name = "prefect-setup", .args = "",
	  .help = "create the Prefect work pool's priority queues (PREFECT_QUEUE_BANDS) and check the deployments",
	  .run = prefect_setup_command },
	{ .name = "backfill", .args = "seed|schedule|stats [OPTIONS]",
	  .help = "reprocess history month by month: seed the months, schedule some, or show statistics (the "
	    "internal endpoints' operations; `backfill` alone lists the options)",
	  .run = backfill_command },
	{ .name = "reconcile", .args = "[--older-than MINUTES] [--dry-run]",
	  .help = "queue, as the webhook would, videos still uploading after MINUTES (10) that have no job "
	    "(lost webhooks; cron every 5 minutes)", .run = reconcile_command },
	{ .name = "jobs", .args = "[--status S] [--flow F] [--video V] [--limit N]",
	  .help = "the newest jobs (50 unless --limit) as a table, filtered by status, flow or video",
	  .run = jobs_command },
	{ .name = "retry", .args = "JOB_ID",
	  .help = "run a failed or cancelled job again from its last completed step, attempts reset",
	  .run = retry_command },
	{ .name = "cancel", .args = "JOB_ID",
	  .help = "cancel a job: a waiting one at once, a running one at its next step boundary (its locks "
	    "released, its video marked as the flow marks a failure)", .run = cancel_command },
	{ .name = "show", .args = "VIDEO_ID",
	  .help = "a video's status and metadata, and its captions with their time ranges", .run = show_command },
	{ .name = "help", .args = "", .help = "show this help", .run = help_command },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: captionacc-runner [--config FILE] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-13s %s\n  %-13s   %s\n", commands[i].name, commands[i].args, "", commands[i].help);
	fprintf(out, "\nOptions:\n  --config FILE  settings file\n  --help         this text\n"
	    "  --version      print the version\n\n");
	config_usage(out, CONFIG_RUNNER);
}

static int
help_command(struct runner *r, int argc, char **argv)
{
	usage(stdout);
	return 0;
}

/* Tesseract's OpenMP loops ask for 4 to 10 threads each; on a small machine those spin against each other
 * (measured on 2 cores: local crop_and_infer of 40 frames took 7.9 s by default, 2.0 s with one thread).
 * Only OMP_THREAD_LIMIT caps them, and libgomp reads it when it is loaded, before main: so a runner that
 * may OCR sets it and starts its own program again (same pid, same arguments). An OMP_THREAD_LIMIT the
 * environment already has is the operator's choice and is kept. Returns only if nothing was done or the
 * exec failed (then the run goes on with tesseract's default threads, and says so). */
static void
limit_ocr_threads(const struct config *cfg, char **argv)
{
	char value[24], self[PATH_MAX];
	ssize_t n;

	if (cfg->functions_backend != CONFIG_FUNCTIONS_LOCAL || getenv("OMP_THREAD_LIMIT") != NULL)
		return;
	if (snprintf(value, sizeof(value), "%ld", cfg->local_ocr_threads) >= (int)sizeof(value) ||
	    setenv("OMP_THREAD_LIMIT", value, 1) != 0)
		return;
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		execv(self, argv);
	}
	fprintf(stderr, "captionacc-runner: cannot restart itself with OMP_THREAD_LIMIT=%s; tesseract keeps its "
	    "default threads\n", value);
}

/* Global options up to the command name ('+': the command parses its own). The command, or NULL with
 * *exit_status set (after --help, --version or a usage error). */
static const struct runner_command *
parse_args(int argc, char **argv, const char **config_path, int *exit_status)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*exit_status = 2;
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config_path = optarg;
			break;
		case 'h':
		case 'V':
			if (c == 'h')
				usage(stdout);
			else
				printf("captionacc-runner %s\n", PACKAGE_VERSION);
			*exit_status = 0;
			return NULL;
		default:
			usage(stderr);
			return NULL;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return NULL;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, argv[optind]) == 0)
			return &commands[i];
	fprintf(stderr, "captionacc-runner: unknown command \"%s\" (see --help)\n", argv[optind]);
	return NULL;
}

/* Settings, log and database handle for a command. -1 with the message printed. */
static int
start(struct runner *r, const struct runner_command *cmd, const char *config_path, char **argv)
{
	char err[1024];

	if (config_load(&r->cfg, config_path, CONFIG_RUNNER, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-runner: %s\n", err);
		return -1;
	}
	if (cmd->run == run_command)
		limit_ocr_threads(&r->cfg, argv);
	if (log_setup("captionacc-runner", &r->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-runner: %s\n", err);
		return -1;
	}
	if ((r->db = db_new(&r->cfg, "captionacc-runner")) == NULL) {
		fprintf(stderr, "captionacc-runner: out of memory\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct runner_command *cmd;
	const char *config_path = NULL;
	struct runner r = { 0 };
	int rc;

	if ((cmd = parse_args(argc, argv, &config_path, &rc)) == NULL)
		return rc;
	if (cmd->run == help_command)
		return help_command(&r, 0, NULL);
	rc = start(&r, cmd, config_path, argv) == 0 ? cmd->run(&r, argc - optind, argv + optind) : 1;
	localgpu_shutdown();
	db_free(r.db);
	config_free(&r.cfg);
	return rc;
}
