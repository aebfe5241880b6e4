/* run.c: `captionacc-runner run`: takes jobs one by one from the configured source (the local queue or
 * Prefect, runner/source.h) and runs each attempt (runner/job.h) until the source is empty or a limit is
 * reached. Started by cron every minute; any number of runners on any number of hosts may run at once.
 * On the local queue, a short flow's completion is kept and committed with the next claim (one commit per
 * job, runner/completions.h). With --prefetch N, a claim takes up to N jobs of short flows, which still
 * run one by one; their completions ride the next claim together, and the jobs not started when the run
 * stops are handed back at once. */
#include "runner/completions.h"
#include "runner/heartbeat.h"
#include "runner/job.h"
#include "runner/runner.h"
#include "runner/source.h"

#include "shared/clock.h"
#include "shared/log.h"
#include "shared/queue/prefetch.h"
#include "shared/str.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DRY_RUN_DEFAULT_LIMIT 20

static volatile sig_atomic_t stop_requested;

/* The source of each QUEUE_BACKEND. */
static struct source *(*const source_new[CONFIG_QUEUE__MAX])(const struct source_env *, char *, size_t) = {
	[CONFIG_QUEUE_LOCAL] = source_local_new,
	[CONFIG_QUEUE_PREFECT] = source_prefect_new,
};

struct run_opts {
	long max_jobs;     /* 0 = no limit */
	long max_seconds;  /* 0 = no limit */
	bool dry_run;
	bool wait;         /* when the source is empty, wait for new work until max_seconds */
	long prefetch;     /* jobs per claim, 1..PREFETCH_MAX */
	char worker[128];
};

struct run_state {
	struct runner *r;
	struct run_opts opts;
	struct source *src;
	struct job_env env;
	long long started_ms;
	long done;
	long counts[JOB_END__MAX];
	struct completions *batch;  /* local queue: completions kept for the next claim (runner/completions.h) */
};

static void
on_stop(int sig)
{
	stop_requested = 1;
}

static long
remaining_ms(const struct run_state *rs)
{
	if (rs->opts.max_seconds <= 0)
		return 1000;
	return rs->opts.max_seconds * 1000 - (long)(clock_ms() - rs->started_ms);
}

static bool
limit_reached(const struct run_state *rs)
{
	return (rs->opts.max_jobs > 0 && rs->done >= rs->opts.max_jobs) ||
	    (rs->opts.max_seconds > 0 && remaining_ms(rs) <= 0);
}

/* One attempt of job: run, log, report to the source, count. */
static void
one_job(struct run_state *rs, struct queue_job *job)
{
	struct job_outcome o;
	long long t0 = clock_ms();

	log_set_context(job->id);
	job_run(&rs->env, job, &o);
	rs->done++;
	if (o.batched) { /* logged and counted when its batch is written */
		log_set_context(NULL);
		return;
	}
	log_info("job %s flow %s attempt %d/%d: %s in %lld ms%s%s", job->id, job->flow, job->attempt, job->max_attempts,
	    job_end_name(o.end), clock_ms() - t0, o.message[0] ? ": " : "", o.message);
	if (rs->src->ops->report != NULL)
		rs->src->ops->report(rs->src, job, &o);
	log_set_context(NULL);
	rs->counts[o.end]++;
}

static int
prefetched(const struct run_state *rs)
{
	return rs->src->ops->prefetched != NULL ? rs->src->ops->prefetched(rs->src) : 0;
}

/* A batched completion, written (ours) or not (its lease was lost, or the database stayed away). */
static void
batch_done(void *arg, const struct queue_job *job, int batch, bool ours, const char *why)
{
	struct run_state *rs = arg;
	enum job_end end = ours ? JOB_COMPLETED : JOB_ABANDONED;

	log_info("job %s flow %s attempt %d/%d: %s in a batch of %d%s%s", job->id, job->flow, job->attempt,
	    job->max_attempts, job_end_name(end), batch, ours ? "" : ": ", ours ? "" : why);
	rs->counts[end]++;
}

/* Writes the kept completions on their own: always (at exit, or when the claim they rode failed), or when
 * the batch is full while the next job comes from those the source holds (no claim for them to ride). */
static void
flush(struct run_state *rs, bool always)
{
	if (completions_count(rs->batch) == 0 || (!always && !(completions_full(rs->batch) && prefetched(rs) > 0)))
		return;
	completions_flush(rs->batch, &rs->env, batch_done, rs);
}

static enum db_status
ride_write(void *arg, struct db *db, char *err, size_t errlen)
{
	return completions_write(arg, db, err, errlen);
}

/* The source's next job, the kept completions riding its claim (one commit for both). They are written on
 * their own when that transaction failed, or when the source claimed without them. */
static int
next_job(struct run_state *rs, struct queue_job *job, bool *found, char *err, size_t errlen)
{
	struct claim_rider ride = { .write = ride_write, .arg = rs->batch };
	bool riding = completions_count(rs->batch) > 0, from_held = prefetched(rs) > 0;
	int rc = rs->src->ops->next(rs->src, riding ? &ride : NULL, job, found, err, errlen);

	if (riding && ride.committed)
		completions_settle(rs->batch, &rs->env, batch_done, rs, NULL);
	else if (riding && (ride.tried || !from_held))
		flush(rs, true);
	return rc;
}

/* Looking for work failed since *since (0: it had not): wait for the database up to DB_OUTAGE_SECONDS (a
 * session killed or a server restarted is back in moments), true to look again. A failure the database
 * does not explain (it answers at once: a statement it refuses, Prefect failing) is not looked for again
 * at once, or the loop would spin on it: each try waits twice as long as the last (from FAIL_FIRST_MS up
 * to FAIL_MAX_MS), and one that lasts past DB_OUTAGE_SECONDS ends the run (cron starts the next). */
#define FAIL_FIRST_MS 100
#define FAIL_MAX_MS 5000
static bool
look_again(struct run_state *rs, const char *why, long long *since, long *pause_ms)
{
	long secs = rs->r->cfg.db_outage_seconds;
	char err[512];

	log_warn("cannot claim a job: %s", why);
	if (*since == 0)
		*since = clock_ms();
	if (db_wait(rs->r->db, *since + secs * 1000, clock_flag_set, CLOCK_FLAG(&stop_requested), err,
	    sizeof(err)) != DB_OK) {
		if (!stop_requested)
			log_error("the database stayed unavailable for %ld s (%s); stopping", secs, err);
		return false;
	}
	if (clock_ms() - *since >= secs * 1000) {
		log_error("looking for work kept failing for %ld s (%s); stopping", secs, why);
		return false;
	}
	*pause_ms = *pause_ms == 0 ? FAIL_FIRST_MS : *pause_ms * 2 > FAIL_MAX_MS ? FAIL_MAX_MS : *pause_ms * 2;
	return clock_sleep_unless(*pause_ms, clock_flag_set, CLOCK_FLAG(&stop_requested));
}

/* The loop: next job, or wait for one (with --wait), until a limit or a stop. Exit status. */
static int
drain(struct run_state *rs)
{
	char err[1024];
	long long failing_since = 0;
	long pause_ms = 0;

	while (!stop_requested && !limit_reached(rs)) {
		struct queue_job job;
		bool found = false;
		long ms;

		flush(rs, false);
		if (rs->src->ops->maintain != NULL)
			rs->src->ops->maintain(rs->src);
		if (next_job(rs, &job, &found, err, sizeof(err)) != 0) {
			if (look_again(rs, err, &failing_since, &pause_ms))
				continue;
			return stop_requested ? 0 : 1;
		}
		failing_since = 0;
		pause_ms = 0;
		if (!found) {
			if (!rs->opts.wait)
				break;
			if ((ms = remaining_ms(rs)) > 0)
				rs->src->ops->wait(rs->src, ms);
			continue;
		}
		one_job(rs, &job);
		queue_job_clear(&job);
	}
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
		{ "prefetch", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	char host[64] = "localhost";
	int c;

	memset(o, 0, sizeof(*o));
	o->prefetch = 1;
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
		case 'p':
			if (str_to_long(optarg, 1, PREFETCH_MAX, &o->prefetch) != 0) {
				fprintf(stderr, "captionacc-runner: run: --prefetch takes a number of jobs from 1 to %d, not "
				    "\"%s\"\n", PREFETCH_MAX, optarg);
				return -1;
			}
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
	    "[--worker-id ID] [--prefetch N]: bad option or value\n");
	return -1;
}

static void
catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Drains the source with a heartbeat keeping the current job's lease. */
static int
run_jobs(struct run_state *rs)
{
	char err[1024];
	int rc;

	srand((unsigned)(clock_ms() ^ getpid()));
	if ((rs->env.hb = heartbeat_start(&rs->r->cfg, rs->r->cfg.lease_seconds, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: run: %s\n", err);
		return 1;
	}
	rs->src->env.hb = rs->env.hb;
	rs->started_ms = clock_ms();
	log_info("runner %s started (%s queue%s)", rs->opts.worker, rs->src->ops->name,
	    rs->opts.prefetch > 1 ? ", prefetching" : "");
	rc = drain(rs);
	flush(rs, true);
	if (rs->src->ops->hand_back != NULL)
		rs->src->ops->hand_back(rs->src);
	heartbeat_stop(rs->env.hb);
	log_info("runner %s done: %ld job%s (%ld completed, %ld retry, %ld failed, %ld handed back, %ld abandoned, "
	    "%ld cancelled)%s", rs->opts.worker, rs->done, rs->done == 1 ? "" : "s", rs->counts[JOB_COMPLETED],
	    rs->counts[JOB_RETRY], rs->counts[JOB_FAILED], rs->counts[JOB_HANDED_BACK], rs->counts[JOB_ABANDONED],
	    rs->counts[JOB_CANCELLED], stop_requested ? " (stopped by signal)" : "");
	return rc;
}

int
run_command(struct runner *r, int argc, char **argv)
{
	struct run_state rs = { .r = r };
	struct priority_params prio;
	struct source_env senv;
	char err[1024];
	int rc;

	if (parse_opts(argc, argv, &rs.opts) != 0)
		return 2;
	if (rs.opts.prefetch > 1 && r->cfg.queue_backend != CONFIG_QUEUE_LOCAL) {
		fprintf(stderr, "captionacc-runner: run: --prefetch needs QUEUE_BACKEND=local\n");
		return 2;
	}
	priority_from_config(&prio, &r->cfg);
	catch_stop_signals();
	/* A session ended while connecting (a restart, an operator's pg_terminate_backend) is waited out
	 * like any other outage; only a database away past DB_OUTAGE_SECONDS ends the run. */
	if (db_wait(r->db, clock_ms() + r->cfg.db_outage_seconds * 1000, clock_flag_set, CLOCK_FLAG(&stop_requested),
	    err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: run: %s\n", err);
		return stop_requested ? 0 : 1;
	}
	senv = (struct source_env){ .r = r, .worker = rs.opts.worker, .lease_seconds = r->cfg.lease_seconds,
		.prio = &prio, .stop = &stop_requested, .prefetch = (int)rs.opts.prefetch };
	if ((rs.src = source_new[r->cfg.queue_backend](&senv, err, sizeof(err))) == NULL) {
		fprintf(stderr, "captionacc-runner: run: %s\n", err);
		return 1;
	}
	if (r->cfg.queue_backend == CONFIG_QUEUE_LOCAL && !rs.opts.dry_run &&
	    (rs.batch = completions_new((int)rs.opts.prefetch)) == NULL) {
		fprintf(stderr, "captionacc-runner: run: out of memory\n");
		rs.src->ops->free(rs.src);
		return 1;
	}
	rs.env = source_job_env(&senv);
	rs.env.cancelling = rs.src->ops->cancelling;
	rs.env.cancelling_arg = rs.src;
	rs.env.batch = rs.batch;
	if (rs.opts.dry_run)
		rc = rs.src->ops->peek(rs.src, rs.opts.max_jobs > 0 ? (int)rs.opts.max_jobs : DRY_RUN_DEFAULT_LIMIT);
	else
		rc = run_jobs(&rs);
	rs.src->ops->free(rs.src);
	completions_free(rs.batch);
	return rc;
}
