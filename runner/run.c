/* run.c: `captionacc-runner run`: claims jobs one by one and runs their flows (SPEC §8). A job is a small
 * state machine: claimed -> steps (each checkpointed) -> completed | retry | failed | handed back.
 * Started by cron every minute; any number of runners on any number of hosts may run at once. */
#include "runner/heartbeat.h"
#include "runner/prefect_source.h"
#include "runner/runner.h"

#include "shared/clock.h"
#include "shared/flows/flows.h"
#include "shared/json.h"
#include "shared/log.h"
#include "shared/intake/priority.h"
#include "shared/queue/queue.h"
#include "shared/str.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#define MAINTENANCE_INTERVAL_MS 10000

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	stop_requested = 1;
}

struct run_opts {
	long max_jobs;     /* 0 = no limit */
	long max_seconds;  /* 0 = no limit */
	bool dry_run;
	bool wait;         /* when the queue is empty, wait for new work until max_seconds */
	char worker[128];
};

struct run_state {
	struct runner *r;
	struct run_opts opts;
	struct heartbeat *hb;
	struct priority_params prio;
	long long started_ms;
	long long maintained_ms;
	PGconn *listening_on;   /* the connection LISTEN was issued on */
	json_object *saved;     /* the checkpoint the current step saved this attempt (owned) */
	struct prefect_source *prefect; /* QUEUE_BACKEND=prefect: where jobs come from; else NULL */
	double requeue_delay;   /* seconds until a retried or handed-back job may run again */
	long counts[6];         /* by enum job_end */
};

enum job_end { END_COMPLETED, END_RETRY, END_FAILED, END_HANDED_BACK, END_ABANDONED, END_CANCELLED };
static const char *end_names[] = { "completed", "retry", "failed", "handed back", "abandoned (lease lost)",
	"cancelled" };

static bool
ctx_should_stop(struct flow_ctx *ctx)
{
	struct run_state *rs = ctx->runner;

	return stop_requested || heartbeat_lost(rs->hb);
}

static int
ctx_save_checkpoint(struct flow_ctx *ctx, json_object *state)
{
	struct run_state *rs = ctx->runner;
	char err[512];
	bool ours = false;

	if (queue_step_save(ctx->db, ctx->job, ctx->step_index, ctx->step_name, "running", state, NULL, &ours, err,
	    sizeof(err)) != DB_OK) {
		log_warn("job %s: cannot save the checkpoint of step %s: %s", ctx->job->id, ctx->step_name, err);
		return -1;
	}
	if (!ours)
		return -1;
	/* The saved state is now the step's checkpoint: a later failure of this step keeps it. */
	json_object_put(rs->saved);
	rs->saved = json_object_get(state);
	ctx->checkpoint = rs->saved;
	return 0;
}

/* The job failed for good: record it, let the flow react (video status), count it. */
static enum job_end
fail_job(const struct flow *flow, struct flow_ctx *ctx, const char *error, char *err, size_t errlen)
{
	bool ours = false;

	if (queue_fail(ctx->db, ctx->job, error, &ours, err, errlen) != DB_OK || !ours)
		return END_ABANDONED;
	if (flow != NULL && flow->on_failure != NULL)
		flow->on_failure(ctx, error);
	return END_FAILED;
}

static double
unit_random(void)
{
	return (double)rand() / (double)RAND_MAX;
}

/* Runs the flow's remaining steps. Every write is fenced by the lease; once the lease is lost the job
 * is abandoned without another write. */
static enum job_end
run_steps(struct run_state *rs, const struct flow *flow, struct flow_ctx *ctx, char *err, size_t errlen)
{
	const struct config *cfg = &rs->r->cfg;
	json_object *steps = NULL, *last = NULL;
	enum job_end end = END_ABANDONED;
	bool ours = false;
	int i = 0;

	if (queue_steps_load(ctx->db, ctx->job, &steps, err, errlen) != DB_OK)
		return END_ABANDONED;
	/* Resume after the last completed step; a step interrupted mid-way hands back its checkpoint. */
	for (; i < flow->nsteps; i++) {
		json_object *row = json_object_array_get_idx(steps, (size_t)i), *st = NULL;

		if (row == NULL || !json_object_object_get_ex(row, "status", &st) ||
		    strcmp(json_object_get_string(st), "completed") != 0)
			break;
		json_object_put(last);
		last = json_object_get(json_object_object_get(row, "result"));
	}
	for (; i < flow->nsteps; i++) {
		json_object *row = json_object_array_get_idx(steps, (size_t)i), *result = NULL;
		enum step_outcome oc;

		if (stop_requested) {
			end = END_HANDED_BACK;
			goto requeue_hand_back;
		}
		if (heartbeat_lost(rs->hb))
			goto out;
		/* Prefect: a cancellation asked for while we worked is honoured between steps. */
		if (rs->prefect != NULL && prefect_source_cancelling(rs->prefect, ctx->job)) {
			log_info("job %s: cancelled in Prefect; stopping before step %s", ctx->job->id, flow->steps[i].name);
			if (queue_cancel(ctx->db, ctx->job, "cancelled in Prefect", &ours, err, errlen) == DB_OK && ours)
				end = END_CANCELLED;
			goto out;
		}
		ctx->step_index = i;
		ctx->step_name = flow->steps[i].name;
		ctx->prev = last;
		json_object_put(rs->saved);
		rs->saved = NULL;
		ctx->checkpoint = row != NULL ? json_object_object_get(row, "result") : NULL;
		ctx->error[0] = '\0';
		ctx->wait_seconds = 0;
		oc = flow->steps[i].run(ctx, &result);
		if (heartbeat_lost(rs->hb)) {
			json_object_put(result);
			goto out;
		}
		switch (oc) {
		case STEP_OK:
			if (queue_step_save(ctx->db, ctx->job, i, ctx->step_name, "completed", result, NULL, &ours, err,
			    errlen) != DB_OK || !ours) {
				json_object_put(result);
				goto out;
			}
			json_object_put(last);
			last = result;
			continue;
		case STEP_WAIT:
			log_info("job %s: step %s waits %.1f s: %s", ctx->job->id, ctx->step_name, ctx->wait_seconds,
			    ctx->error);
			rs->requeue_delay = ctx->wait_seconds;
			if (queue_requeue(ctx->db, ctx->job, QUEUE_HAND_BACK, ctx->wait_seconds, ctx->error, &ours, err,
			    errlen) == DB_OK && ours)
				end = END_HANDED_BACK;
			goto out;
		case STEP_RETRY:
		case STEP_FAIL:
			json_object_put(result);
			if (oc == STEP_RETRY && stop_requested) { /* interrupted by shutdown: not a failure */
				end = END_HANDED_BACK;
				goto requeue_hand_back;
			}
			/* Keep a checkpoint the step saved (a GPU call id) so the next attempt can resume it. */
			if (queue_step_save(ctx->db, ctx->job, i, ctx->step_name, "failed", ctx->checkpoint, ctx->error,
			    &ours, err, errlen) != DB_OK || !ours)
				goto out;
			if (oc == STEP_FAIL || ctx->job->attempt >= ctx->job->max_attempts) {
				char why[700];

				(void)str_fmt(why, sizeof(why), "%s: %s%s", ctx->step_name, ctx->error,
				    oc == STEP_RETRY ? " (out of attempts)" : "");
				end = fail_job(flow, ctx, why, err, errlen);
				goto out;
			}
			rs->requeue_delay = queue_backoff(ctx->job->attempt, (double)cfg->retry_base_ms / 1000.0,
			    (double)cfg->retry_max_ms / 1000.0, unit_random());
			if (queue_requeue(ctx->db, ctx->job, QUEUE_RETRY, rs->requeue_delay, ctx->error, &ours, err, errlen) ==
			    DB_OK && ours)
				end = END_RETRY;
			(void)str_fmt(err, errlen, "%s", ctx->error);
			goto out;
		}
	}
	if (queue_complete(ctx->db, ctx->job, last, &ours, err, errlen) == DB_OK && ours)
		end = END_COMPLETED;
	goto out;
requeue_hand_back:
	rs->requeue_delay = 0;
	if (queue_requeue(ctx->db, ctx->job, QUEUE_HAND_BACK, 0, NULL, &ours, err, errlen) != DB_OK || !ours)
		end = END_ABANDONED;
out:
	json_object_put(rs->saved);
	rs->saved = NULL;
	json_object_put(last);
	json_object_put(steps);
	return end;
}

static enum job_end
run_job(struct run_state *rs, struct queue_job *job, char *err, size_t errlen)
{
	const struct flow *flow = flows_find(job->flow);
	struct flow_ctx ctx = { 0 };
	enum job_end end;

	ctx.db = rs->r->db;
	ctx.cfg = &rs->r->cfg;
	ctx.job = job;
	ctx.runner = rs;
	ctx.should_stop = ctx_should_stop;
	ctx.save_checkpoint = ctx_save_checkpoint;
	err[0] = '\0';
	if (flow == NULL) {
		(void)str_fmt(err, errlen, "unknown flow \"%s\"", job->flow);
		return fail_job(NULL, &ctx, err, err, errlen);
	}
	rs->requeue_delay = 0;
	heartbeat_watch(rs->hb, job->id, job->lease_token);
	end = run_steps(rs, flow, &ctx, err, errlen);
	if (flow->on_exit != NULL)
		flow->on_exit(&ctx);
	heartbeat_unwatch(rs->hb);
	if (end == END_FAILED)
		if (ctx.error[0] != '\0')
			(void)str_fmt(err, errlen, "%s", ctx.error); /* a cut message is still useful */
	return end;
}

/* Housekeeping every few seconds: expired leases back to the queue, priorities aged (once a minute
 * across all runners). */
static void
maintain(struct run_state *rs)
{
	char err[512];
	int n = 0;

	if (rs->maintained_ms != 0 && clock_ms() - rs->maintained_ms < MAINTENANCE_INTERVAL_MS)
		return;
	rs->maintained_ms = clock_ms();
	if (queue_reap(rs->r->db, &n, err, sizeof(err)) != DB_OK)
		log_warn("reaping expired leases failed: %s", err);
	if (queue_age(rs->r->db, &rs->prio, &n, err, sizeof(err)) != DB_OK)
		log_warn("ageing priorities failed: %s", err);
	else if (n > 0)
		log_info("aged the priority of %d waiting job%s", n, n == 1 ? "" : "s");
}

static long
remaining_ms(const struct run_state *rs)
{
	if (rs->opts.max_seconds <= 0)
		return 1000;
	return rs->opts.max_seconds * 1000 - (long)(clock_ms() - rs->started_ms);
}

/* Waits up to 1 s (or what is left) for a NOTIFY on captionacc_jobs; also returns when jobs delayed by
 * run_after may have become due. */
static void
wait_for_work(struct run_state *rs)
{
	PGconn *c = db_conn(rs->r->db);
	long ms = remaining_ms(rs);
	struct timeval tv;
	fd_set fds;
	PGnotify *n;
	char err[256];

	if (ms > 1000)
		ms = 1000;
	if (ms <= 0)
		return;
	if (c == NULL || c != rs->listening_on) {
		if (db_script(rs->r->db, "LISTEN captionacc_jobs", err, sizeof(err)) != DB_OK) {
			log_warn("LISTEN failed: %s", err);
			usleep((useconds_t)ms * 1000);
			return;
		}
		rs->listening_on = c = db_conn(rs->r->db);
	}
	FD_ZERO(&fds);
	FD_SET(PQsocket(c), &fds);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	(void)select(PQsocket(c) + 1, &fds, NULL, NULL, &tv);
	PQconsumeInput(c);
	while ((n = PQnotifies(c)) != NULL)
		PQfreemem(n);
}

/* The next job: claimed from the local queue, or won from Prefect's work pool. -1 on database trouble. */
static int
next_job(struct run_state *rs, struct queue_job *job, bool *found, char *err, size_t errlen)
{
	if (rs->prefect != NULL)
		return prefect_source_next(rs->prefect, rs->opts.worker, rs->r->cfg.lease_seconds, job, found, err,
		    errlen);
	return queue_claim(rs->r->db, rs->opts.worker, rs->r->cfg.lease_seconds, job, found, err, errlen) == DB_OK ?
	    0 : -1;
}

/* Prefect: the run's state follows the job's end. A lost lease reports nothing (whoever holds the job
 * now reports it). */
static void
report(struct run_state *rs, const struct queue_job *job, enum job_end end, const char *err)
{
	if (rs->prefect == NULL)
		return;
	switch (end) {
	case END_COMPLETED:
		prefect_source_report(rs->prefect, job, "COMPLETED", NULL, 0);
		break;
	case END_FAILED:
		prefect_source_report(rs->prefect, job, "FAILED", err[0] ? err : "failed", 0);
		break;
	case END_RETRY:
	case END_HANDED_BACK:
		prefect_source_report(rs->prefect, job, "SCHEDULED", err[0] ? err : "handed back", rs->requeue_delay);
		break;
	case END_CANCELLED:
		prefect_source_report(rs->prefect, job, "CANCELLED", "cancelled between steps", 0);
		break;
	case END_ABANDONED:
		break;
	}
}

/* Prefect has nothing: wait PREFECT_POLL_INTERVAL_MS (or what is left), waking early on a signal. */
static void
wait_for_prefect(struct run_state *rs)
{
	long ms = remaining_ms(rs);

	if (ms > rs->r->cfg.prefect_poll_interval_ms)
		ms = rs->r->cfg.prefect_poll_interval_ms;
	for (long t = 0; t < ms && !stop_requested; t += 10)
		usleep(10000);
}

static int
dry_run(struct run_state *rs)
{
	static const struct db_stmt list_stmt = {
		"run_dry_list",
		"SELECT id, flow, status, attempt, COALESCE(video_id, ''),"
		"  CASE WHEN $3::bool THEN base_priority + LEAST($2::int, GREATEST(0,"
		"    floor(extract(epoch FROM now() - age_anchor) / 60 / $1::int)::int)) ELSE priority END AS p"
		" FROM jobs WHERE status IN ('pending', 'retry') AND run_after <= now()"
		" ORDER BY p DESC, age_anchor, id LIMIT $4::int",
		4, true
	};
	char per[16], cap[16], limit[24], err[512];
	const char *params[4] = { per, cap, rs->prio.age_boost ? "true" : "false", limit };
	enum db_status st;
	PGresult *r;

	if (str_fmt(per, sizeof(per), "%d", rs->prio.per_minutes) != 0 || str_fmt(cap, sizeof(cap), "%d",
	    rs->prio.cap) != 0 || str_fmt(limit, sizeof(limit), "%ld", rs->opts.max_jobs > 0 ? rs->opts.max_jobs : 20) != 0)
		return 1;
	if ((r = db_exec(rs->r->db, &list_stmt, params, &st, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: run --dry-run: %s\n", err);
		return 1;
	}
	printf("%-4s %-36s %-26s %-8s %-7s %-8s %s\n", "#", "job", "flow", "priority", "status", "attempt", "video");
	for (int i = 0; i < PQntuples(r); i++)
		printf("%-4d %-36s %-26s %-8s %-7s %-8s %s\n", i + 1, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		    PQgetvalue(r, i, 5), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
	printf("%d job%s would be claimed in this order (nothing was changed)\n", PQntuples(r),
	    PQntuples(r) == 1 ? "" : "s");
	PQclear(r);
	return 0;
}

static int
parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "max-jobs", required_argument, NULL, 'j' },
		{ "max-seconds", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "wait", no_argument, NULL, 'w' },
		{ "worker-id", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	char host[64] = "localhost";
	int c;

	memset(o, 0, sizeof(*o));
	(void)gethostname(host, sizeof(host) - 1);
	(void)str_fmt(o->worker, sizeof(o->worker), "%s:%ld", host, (long)getpid());
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (str_to_long(optarg, 1, 100000000, &o->max_jobs) != 0)
				goto bad;
			break;
		case 's':
			if (str_to_long(optarg, 1, 86400, &o->max_seconds) != 0)
				goto bad;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'w':
			o->wait = true;
			break;
		case 'i':
			if (*optarg == '\0' || str_copy(o->worker, sizeof(o->worker), optarg) != 0)
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (optind != argc || (o->wait && o->max_seconds == 0)) {
		fprintf(stderr, "captionacc-runner: run: %s\n", o->wait ? "--wait needs --max-seconds" :
		    "unexpected argument");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "captionacc-runner: run [--max-jobs N] [--max-seconds S] [--wait] [--dry-run] "
	    "[--worker-id ID]: bad option or value\n");
	return -1;
}

int
run_command(struct runner *r, int argc, char **argv)
{
	struct run_state rs = { 0 };
	struct sigaction sa;
	char err[1024];
	long done = 0;
	int rc = 0;

	rs.r = r;
	if (parse_opts(argc, argv, &rs.opts) != 0)
		return 2;
	priority_from_config(&rs.prio, &r->cfg);
	if (db_connect(r->db, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: run: %s\n", err);
		return 1;
	}
	if (rs.opts.dry_run)
		return dry_run(&rs);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	srand((unsigned)(clock_ms() ^ getpid()));
	if ((rs.hb = heartbeat_start(&r->cfg, r->cfg.lease_seconds, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: run: %s\n", err);
		return 1;
	}
	if (r->cfg.queue_backend == CONFIG_QUEUE_PREFECT && (rs.prefect = prefect_source_new(r, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: run: %s\n", err);
		heartbeat_stop(rs.hb);
		return 1;
	}
	rs.started_ms = clock_ms();
	log_info("runner %s started (%s queue)", rs.opts.worker, rs.prefect ? "Prefect" : "local");
	while (!stop_requested) {
		struct queue_job job;
		bool found = false;
		long long t0;
		enum job_end end;

		if (rs.opts.max_jobs > 0 && done >= rs.opts.max_jobs)
			break;
		if (rs.opts.max_seconds > 0 && remaining_ms(&rs) <= 0)
			break;
		if (rs.prefect == NULL)
			maintain(&rs);
		if (next_job(&rs, &job, &found, err, sizeof(err)) != 0) {
			log_error("cannot claim a job: %s", err);
			rc = 1;
			break;
		}
		if (!found) {
			if (!rs.opts.wait)
				break;
			if (rs.prefect != NULL)
				wait_for_prefect(&rs);
			else
				wait_for_work(&rs);
			continue;
		}
		t0 = clock_ms();
		log_set_context(job.id);
		end = run_job(&rs, &job, err, sizeof(err));
		log_info("job %s flow %s attempt %d/%d: %s in %lld ms%s%s", job.id, job.flow, job.attempt,
		    job.max_attempts, end_names[end], clock_ms() - t0, err[0] ? ": " : "", err);
		report(&rs, &job, end, err);
		log_set_context(NULL);
		rs.counts[end]++;
		done++;
		queue_job_clear(&job);
		if (end == END_ABANDONED && !db_is_connected(r->db)) {
			log_error("database connection lost; stopping (the job's lease will expire and it will run again)");
			rc = 1;
			break;
		}
	}
	heartbeat_stop(rs.hb);
	prefect_source_free(rs.prefect);
	log_info("runner %s done: %ld job%s (%ld completed, %ld retry, %ld failed, %ld handed back, %ld abandoned, "
	    "%ld cancelled)%s", rs.opts.worker, done, done == 1 ? "" : "s", rs.counts[END_COMPLETED], rs.counts[END_RETRY],
	    rs.counts[END_FAILED], rs.counts[END_HANDED_BACK], rs.counts[END_ABANDONED], rs.counts[END_CANCELLED],
	    stop_requested ? " (stopped by signal)" : "");
	return rc;
}
