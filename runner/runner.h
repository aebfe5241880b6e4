/* runner.h: what every captionacc-runner command gets, and the command table's entry type. */
#ifndef CAPTIONACC_RUNNER_H
#define CAPTIONACC_RUNNER_H

#include "shared/config.h"
#include "shared/db.h"

struct runner {
	struct config cfg;
	struct db *db;
};

struct runner_command {
	const char *name;
	const char *args;  /* usage text of its arguments */
	const char *help;
	int (*run)(struct runner *r, int argc, char **argv); /* returns the exit status */
};

int migrate_command(struct runner *r, int argc, char **argv);
int run_command(struct runner *r, int argc, char **argv);
int status_command(struct runner *r, int argc, char **argv);
int enqueue_command(struct runner *r, int argc, char **argv);
int show_command(struct runner *r, int argc, char **argv);
int prefect_setup_command(struct runner *r, int argc, char **argv);
int backfill_command(struct runner *r, int argc, char **argv);
int reconcile_command(struct runner *r, int argc, char **argv);
int retry_command(struct runner *r, int argc, char **argv);
int cancel_command(struct runner *r, int argc, char **argv);
int jobs_command(struct runner *r, int argc, char **argv);

#endif
