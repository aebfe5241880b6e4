/* jobctl.c: `captionacc-runner retry JOB_ID` and `captionacc-runner cancel JOB_ID`: an operator runs a
 * failed or cancelled job again (from its last completed step, attempts reset), or cancels one: a waiting
 * job is taken with a lease and ended as cancelled through the runner's one ending path (job_end_taken:
 * the flow's failure handling and lock release in one fenced transaction); a running one is asked to stop
 * and its runner ends it the same way at its next step boundary. Local queue only: a Prefect flow run is
 * retried or cancelled in Prefect (the runner stops a cancelled run at its next step boundary). */
#include "runner/runner.h"

#include "runner/job.h"
#include "shared/log.h"
#include "shared/queue/control.h"
#include "shared/queue/queue.h"
#include "shared/str.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CANCEL_WHY "cancelled by an operator"

/* The job named by the command's one argument, looked up. 0 found and local; otherwise the exit status
 * (2 usage or unknown id, 1 database or a Prefect run) with the message printed. */
static int
find_job(struct runner *r, const char *cmd, int argc, char **argv, struct control_job *job)
{
	char err[512];
	bool found = false;

	if (argc != 2) {
		fprintf(stderr, "usage: captionacc-runner %s JOB_ID\n", cmd);
		return 2;
	}
	if (control_id_valid(argv[1]) &&
	    control_lookup(r->db, argv[1], job, &found, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: %s: %s\n", cmd, err);
		return 1;
	}
	if (!found) {
		fprintf(stderr, "captionacc-runner: %s: no job %.64s (see captionacc-runner jobs)\n", cmd, argv[1]);
		return 2;
	}
	if (strcmp(job->backend, "local") != 0) {
		fprintf(stderr, "captionacc-runner: %s: job %s is a Prefect flow run: %s it in Prefect\n", cmd, argv[1],
		    strcmp(cmd, "cancel") == 0 ? "cancel (the runner stops it at its next step boundary)" : "retry");
		return 1;
	}
	return 0;
}

int
retry_command(struct runner *r, int argc, char **argv)
{
	struct control_job job;
	char err[512];
	bool done = false;
	int rc;

	if ((rc = find_job(r, "retry", argc, argv, &job)) != 0)
		return rc;
	if (control_retry(r->db, argv[1], &done, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: retry: job %s: %s\n", argv[1], err);
		return 1;
	}
	if (!done) {
		fprintf(stderr, "captionacc-runner: retry: job %s is %s; only a failed or cancelled job is run again\n",
		    argv[1], job.status);
		return 1;
	}
	log_info("job %s (%s): queued again by an operator (was %s), attempts reset", argv[1], job.flow, job.status);
	printf("job %s (%s) queued again: it resumes after its last completed step\n", argv[1], job.flow);
	return 0;
}

/* A waiting job: taken and ended as cancelled as a runner would end it. *taken false: it was no longer
 * waiting (a runner claimed it meanwhile). */
static int
cancel_waiting(struct runner *r, const char *id, bool *taken)
{
	volatile sig_atomic_t stop = 0;
	struct job_env env = { .db = r->db, .cfg = &r->cfg, .stop = &stop };
	struct queue_job job;
	struct job_outcome o;
	char worker[64], err[512];

	(void)str_fmt(worker, sizeof(worker), "cancel:%ld", (long)getpid());
	if (queue_take_waiting(r->db, id, worker, r->cfg.lease_seconds, &job, taken, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: cancel: job %s: %s\n", id, err);
		return 1;
	}
	if (!*taken)
		return 0;
	job_end_taken(&env, &job, JOB_CANCELLED, CANCEL_WHY, &o);
	queue_job_clear(&job);
	if (o.end != JOB_CANCELLED) {
		fprintf(stderr, "captionacc-runner: cancel: job %s: not cancelled (%s)%s%s\n", id, job_end_name(o.end),
		    o.message[0] ? ": " : "", o.message);
		return 1;
	}
	log_info("job %s: %s while it waited", id, CANCEL_WHY);
	printf("job %s cancelled\n", id);
	return 0;
}

int
cancel_command(struct runner *r, int argc, char **argv)
{
	struct control_job job;
	char err[512];
	bool done = false;
	int rc;

	if ((rc = find_job(r, "cancel", argc, argv, &job)) != 0)
		return rc;
	if ((strcmp(job.status, "pending") == 0 || strcmp(job.status, "retry") == 0) &&
	    ((rc = cancel_waiting(r, argv[1], &done)) != 0 || done))
		return rc;
	if (control_request_cancel(r->db, argv[1], CANCEL_WHY, &done, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: cancel: job %s: %s\n", argv[1], err);
		return 1;
	}
	if (!done) {
		if (control_lookup(r->db, argv[1], &job, &done, err, sizeof(err)) != DB_OK)
			memcpy(job.status, "?", 2);
		fprintf(stderr, "captionacc-runner: cancel: job %s is %s: nothing to cancel\n", argv[1], job.status);
		return 1;
	}
	log_info("job %s: cancel requested by an operator; its runner stops it at its next step boundary", argv[1]);
	printf("job %s is running%s%s: it will be stopped at its next step boundary and marked cancelled\n", argv[1],
	    job.lease_owner[0] ? " on " : "", job.lease_owner);
	return 0;
}
