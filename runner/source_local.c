/* source_local.c: the local queue as a job source: claims from the jobs table (queue_claim), waits on the
 * captionacc_jobs NOTIFY channel so an idle runner picks new work up in milliseconds, and keeps the queue
 * healthy between jobs (expired leases back to the queue, waiting jobs' priorities aged). Enqueues notify
 * only while some runner waits (sql/008_wakeups.sql): before its first wait on a connection the runner
 * registers as waiting and claims once more; a claim that finds a job ends the registration. */
#include "runner/source.h"

#include "shared/clock.h"
#include "shared/log.h"
#include "shared/queue/control.h"
#include "shared/queue/queue.h"
#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>

#define MAINTENANCE_INTERVAL_MS 10000

struct local {
	struct source base;       /* first: a struct source * is a struct local * */
	PGconn *listening_on;     /* the connection LISTEN was issued on */
	int listening_pid;        /* and its backend (a reconnection may reuse the PGconn's address) */
	bool registered;          /* registered as waiting on listening_on (queue_wait_register) */
	long long maintained_ms;
	bool claim_unknown;       /* a claim's answer was lost: it may have committed */
};

/* Claims the next job. A claim that failed with the connection may have committed; before the next one,
 * whatever this worker holds is handed back, so no job waits for its lease to expire. */
static int
local_next(struct source *s, struct queue_job *job, bool *found, char *err, size_t errlen)
{
	struct local *l = (struct local *)s;
	enum db_status st;
	int n = 0;

	if (l->claim_unknown) {
		if (queue_release_owned(s->env.r->db, s->env.worker, &n, err, errlen) != DB_OK)
			return -1;
		l->claim_unknown = false;
	}
	st = queue_claim(s->env.r->db, s->env.worker, s->env.lease_seconds, l->registered, job, found, err, errlen);
	l->claim_unknown = st == DB_UNAVAILABLE;
	if (st == DB_OK && *found)
		l->registered = false;
	return st == DB_OK ? 0 : -1;
}

/* True if c is the session LISTEN was issued on (a session listens until it ends). */
static bool
listening(const struct local *l, PGconn *c)
{
	return c != NULL && c == l->listening_on && PQbackendPID(c) == l->listening_pid;
}

/* LISTENs (once per session) and registers as waiting on the current connection; the caller claims once
 * more before the first wait (queue_wait_register). false when the database failed (logged; the caller
 * sleeps). */
static bool
get_ready_to_wait(struct local *l)
{
	struct db *db = l->base.env.r->db;
	char err[256];

	if (!listening(l, db_conn(db))) {
		if (db_script(db, "LISTEN captionacc_jobs", err, sizeof(err)) != DB_OK) {
			log_warn("LISTEN failed: %s", err);
			return false;
		}
		l->listening_on = db_conn(db);
		l->listening_pid = PQbackendPID(l->listening_on);
	}
	if (queue_wait_register(db, l->base.env.worker, err, sizeof(err)) != DB_OK) {
		log_warn("cannot register as waiting: %s", err);
		l->listening_on = NULL;
		return false;
	}
	l->registered = true;
	return true;
}

/* Drops the notifications libpq holds; true if there were any (one may have come in with a claim's
 * answer: then there is work, and no wait). */
static bool
notified(PGconn *c)
{
	PGnotify *n;
	bool any = false;

	PQconsumeInput(c);
	while ((n = PQnotifies(c)) != NULL) {
		PQfreemem(n);
		any = true;
	}
	return any;
}

/* Waits for a NOTIFY on captionacc_jobs; also returns after ms (at most a second), when jobs delayed by
 * run_after may have become due. The first call on a connection only gets ready to wait (the caller
 * claims again, then waits). */
static void
local_wait(struct source *s, long ms)
{
	struct local *l = (struct local *)s;
	PGconn *c = db_conn(s->env.r->db);
	struct timeval tv = { 0, (ms < 1000 ? ms : 999) * 1000 };
	fd_set fds;

	if (!listening(l, c) || !l->registered) {
		if (!get_ready_to_wait(l))
			(void)clock_sleep_unless(ms < 1000 ? ms : 1000, NULL, NULL);
		return;
	}
	if (notified(c))
		return;
	FD_ZERO(&fds);
	FD_SET(PQsocket(c), &fds);
	(void)select(PQsocket(c) + 1, &fds, NULL, NULL, &tv);
	(void)notified(c);
}

/* A job whose runner stopped (its lease expired): back to the queue while it has attempts left, else
 * failed for good, with the flow's failure handling either way (the video's error, its locks released),
 * as its runner would have done. */
static void
reap_one(void *arg, struct queue_job *job, const char *previous)
{
	struct source *s = arg;
	struct job_env env = source_job_env(&s->env);
	struct job_outcome o;
	char why[300];
	bool last = job->attempt >= job->max_attempts;

	(void)str_fmt(why, sizeof(why), "lease expired: runner %s stopped during attempt %d%s", previous, job->attempt,
	    last ? " (out of attempts)" : "");
	job_end_taken(&env, job, last ? JOB_FAILED : JOB_RETRY, why, &o);
	log_warn("job %s: %s; %s", job->id, why, job_end_name(o.end));
}

/* Every MAINTENANCE_INTERVAL_MS: expired leases back to the queue, priorities aged (the ageing pass runs
 * once in 10 s across all runners). */
static void
local_maintain(struct source *s)
{
	struct local *l = (struct local *)s;
	char err[512];
	int n = 0;

	if (l->maintained_ms != 0 && clock_ms() - l->maintained_ms < MAINTENANCE_INTERVAL_MS)
		return;
	l->maintained_ms = clock_ms();
	if (queue_take_expired(s->env.r->db, "local", s->env.worker, s->env.lease_seconds, reap_one, s, &n, err,
	    sizeof(err)) != DB_OK)
		log_warn("reaping expired leases failed: %s", err);
	if (queue_waiters_prune(s->env.r->db, err, sizeof(err)) != DB_OK)
		log_warn("pruning waiting runners failed: %s", err);
	if (queue_age(s->env.r->db, s->env.prio, &n, err, sizeof(err)) != DB_OK)
		log_warn("ageing priorities failed: %s", err);
	else if (n > 0)
		log_info("aged the priority of %d waiting job%s", n, n == 1 ? "" : "s");
	source_fold_metrics(s);
}

static void
print_waiting(void *arg, const struct queue_waiting *w)
{
	int *n = arg;

	printf("%-4d %-36s %-26s %-8d %-7s %-8d %s\n", ++*n, w->id, w->flow, w->priority, w->status, w->attempt,
	    w->video_id);
}

static int
local_peek(struct source *s, int limit)
{
	char err[512];
	int n = 0;

	printf("%-4s %-36s %-26s %-8s %-7s %-8s %s\n", "#", "job", "flow", "priority", "status", "attempt", "video");
	if (queue_peek(s->env.r->db, s->env.prio, limit, print_waiting, &n, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: run --dry-run: %s\n", err);
		return 1;
	}
	printf("%d job%s would be claimed in this order (nothing was changed)\n", n, n == 1 ? "" : "s");
	return 0;
}

/* A runner that stops no longer waits: enqueues stop notifying for it. */
static void
local_free(struct source *s)
{
	struct local *l = (struct local *)s;
	char err[256];

	if (l->registered && queue_wait_unregister(s->env.r->db, s->env.worker, err, sizeof(err)) != DB_OK)
		log_warn("cannot unregister as waiting: %s", err);
	free(s);
}

static const struct source_ops local_ops = {
	.name = "local",
	.next = local_next,
	.wait = local_wait,
	.maintain = local_maintain,
	.peek = local_peek,
	.free = local_free,
};

struct source *
source_local_new(const struct source_env *env, char *err, size_t errlen)
{
	struct local *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->base.ops = &local_ops;
	l->base.env = *env;
	return &l->base;
}
