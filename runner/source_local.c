/* source_local.c: the local queue as a job source: claims from the jobs table (queue_claim), waits on the
 * captionacc_jobs NOTIFY channel so an idle runner picks new work up in milliseconds, and keeps the queue
 * healthy between jobs (expired leases back to the queue, waiting jobs' priorities aged). Enqueues notify
 * only while some runner waits (sql/008_wakeups.sql): before its first wait on a connection the runner
 * registers as waiting and claims once more; a claim that finds a job ends the registration. The run
 * loop's kept completions ride the claim's transaction (source.h: claim_rider). With
 * run --prefetch N, one claim takes up to N jobs of short flows (queue_claim_many); the ones not handed
 * out yet are held here, their leases extended by the heartbeat, and handed back at once when the run
 * stops. */
#include "runner/source.h"

#include "runner/heartbeat.h"

#include "shared/clock.h"
#include "shared/flows/registry.h"
#include "shared/json.h"
#include "shared/log.h"
#include "shared/queue/control.h"
#include "shared/queue/prefetch.h"
#include "shared/queue/queue.h"
#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#define MAINTENANCE_INTERVAL_MS 10000

struct local {
	struct source base;       /* first: a struct source * is a struct local * */
	PGconn *listening_on;     /* the connection LISTEN was issued on */
	int listening_pid;        /* and its backend (a reconnection may reuse the PGconn's address) */
	bool registered;          /* registered as waiting on listening_on (queue_wait_register) */
	long long maintained_ms;
	bool claim_unknown;       /* a claim's answer was lost: it may have committed */
	struct queue_job *held;   /* run --prefetch: the jobs of the last claim, held[next..n) not handed out */
	int next, n;
	char *short_flows;        /* the JSON array of the short flows' names (flows.h: short_steps) */
};

/* Hands out the next held job (its lease now kept by job_run's watch). */
static void
take_held(struct local *l, struct queue_job *job)
{
	*job = l->held[l->next];
	memset(&l->held[l->next], 0, sizeof(l->held[l->next]));
	l->next++;
	if (l->base.env.hb != NULL)
		heartbeat_drop(l->base.env.hb, job->id);
}

/* One claim of up to env.prefetch jobs into held; the heartbeat holds all but the first. A failed claim
 * that may have taken rows (its answer lost, or a row unreadable) is handed back before the next. */
static enum db_status
claim_many(struct local *l, bool *found, char *err, size_t errlen)
{
	struct source *s = &l->base;
	enum db_status st;
	int got = 0;

	l->next = l->n = 0;
	st = queue_claim_many(s->env.r->db, s->env.worker, s->env.lease_seconds, l->registered, l->short_flows,
	    s->env.prefetch, l->held, &got, err, errlen);
	l->claim_unknown = st != DB_OK; /* it may have taken rows: its answer lost, or one unreadable */
	if (st != DB_OK) {
		for (int i = 0; i < got; i++)
			queue_job_clear(&l->held[i]);
		return st;
	}
	l->n = got;
	*found = got > 0;
	return DB_OK;
}

/* The claim itself: one job into *job, or up to env.prefetch into held (the first handed out). */
static enum db_status
claim(struct local *l, struct queue_job *job, bool *found, char *err, size_t errlen)
{
	struct source *s = &l->base;
	enum db_status st;

	if (s->env.prefetch > 1) {
		if ((st = claim_many(l, found, err, errlen)) == DB_OK && *found)
			take_held(l, job);
		return st;
	}
	st = queue_claim(s->env.r->db, s->env.worker, s->env.lease_seconds, l->registered, job, found, err, errlen);
	l->claim_unknown = st != DB_OK; /* as for claim_many */
	return st;
}

/* Forgets what a claim that did not commit took: the job handed out and the ones held. */
static void
claim_undone(struct local *l, struct queue_job *job, bool *found)
{
	if (*found)
		queue_job_clear(job);
	for (; l->next < l->n; l->next++)
		queue_job_clear(&l->held[l->next]);
	*found = false;
}

/* The claim in one transaction with ride's writes, written first: one commit for both. Whatever fails
 * rolls both back (ride->committed stays false: the run loop writes its part on its own); a COMMIT whose
 * outcome is unknown (the connection died) may have claimed, so what this worker holds is handed back
 * before the next claim, as after a claim's lost answer. */
static enum db_status
claim_riding(struct local *l, struct claim_rider *ride, struct queue_job *job, bool *found, char *err,
    size_t errlen)
{
	struct db *db = l->base.env.r->db;
	enum db_status st;

	if ((st = db_begin(db, err, errlen)) != DB_OK)
		return st;
	ride->tried = true;
	if ((st = ride->write(ride->arg, db, err, errlen)) != DB_OK ||
	    (st = claim(l, job, found, err, errlen)) != DB_OK) {
		db_rollback(db);
		l->claim_unknown = false; /* rolled back: it took nothing */
		claim_undone(l, job, found);
		return st;
	}
	if ((st = db_commit(db, err, errlen)) != DB_OK) {
		l->claim_unknown = st == DB_UNAVAILABLE;
		claim_undone(l, job, found);
		return st;
	}
	ride->committed = true;
	return DB_OK;
}

/* Claims the next job (or hands out a prefetched one), with ride's writes in the claim's transaction when
 * there are any. A claim that failed with the connection may have committed; before the next one,
 * whatever this worker holds is handed back, so no job waits for its lease to expire. */
static int
local_next(struct source *s, struct claim_rider *ride, struct queue_job *job, bool *found, char *err,
    size_t errlen)
{
	struct local *l = (struct local *)s;
	enum db_status st;
	int n = 0;

	*found = false;
	memset(job, 0, sizeof(*job));
	if (l->next < l->n) {
		take_held(l, job);
		*found = true;
		return 0;
	}
	if (l->claim_unknown) {
		if (queue_release_owned(s->env.r->db, s->env.worker, &n, err, errlen) != DB_OK)
			return -1;
		l->claim_unknown = false;
	}
	st = ride != NULL ? claim_riding(l, ride, job, found, err, errlen) : claim(l, job, found, err, errlen);
	if (st != DB_OK)
		return -1;
	for (int i = l->next; i < l->n && s->env.hb != NULL; i++)
		if (heartbeat_hold(s->env.hb, l->held[i].id, l->held[i].lease_token) != 0)
			log_warn("job %s: its lease cannot be held (more than %d jobs held)", l->held[i].id, PREFETCH_MAX);
	if (*found)
		l->registered = false;
	return 0;
}

static int
local_prefetched(struct source *s)
{
	struct local *l = (struct local *)s;

	return l->n - l->next;
}

/* The run stops: the claimed jobs not started go back to the queue now (their attempt given back), not
 * when their leases expire. */
static void
local_hand_back(struct source *s)
{
	struct local *l = (struct local *)s;
	char err[512];
	int left = l->n - l->next, handed = 0;

	if (left <= 0)
		return;
	if (prefetch_hand_back(s->env.r->db, &l->held[l->next], left, &handed, err, sizeof(err)) != DB_OK)
		log_warn("cannot hand back %d prefetched job%s: %s; they wait for their leases to expire", left,
		    left == 1 ? "" : "s", err);
	else
		log_info("handed back %d prefetched job%s not started", handed, handed == 1 ? "" : "s");
	for (; l->next < l->n; l->next++) {
		if (s->env.hb != NULL)
			heartbeat_drop(s->env.hb, l->held[l->next].id);
		queue_job_clear(&l->held[l->next]);
	}
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
			(void)clock_sleep_unless(ms < 1000 ? ms : 1000, clock_flag_set, CLOCK_FLAG(s->env.stop));
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
	for (int i = l->next; i < l->n; i++)
		queue_job_clear(&l->held[i]);
	free(l->held);
	free(l->short_flows);
	free(s);
}

static const struct source_ops local_ops = {
	.name = "local",
	.next = local_next,
	.wait = local_wait,
	.maintain = local_maintain,
	.prefetched = local_prefetched,
	.hand_back = local_hand_back,
	.peek = local_peek,
	.free = local_free,
};

/* The short flows' names as a JSON array (the claim's $4), malloc'd; NULL when out of memory. */
static char *
short_flows_json(void)
{
	json_object *a = json_object_new_array();
	const char *text;
	char *copy = NULL;

	for (int id = 0; a != NULL && id < FLOW__MAX; id++) {
		const struct flow *f = registry_flow((enum flow_id)id);

		if (f != NULL && f->short_steps &&
		    json_object_array_add(a, json_object_new_string(params_flow_name((enum flow_id)id))) != 0)
			break;
	}
	if (a != NULL && (text = json_text(a, NULL)) != NULL)
		copy = strdup(text);
	json_object_put(a);
	return copy;
}

struct source *
source_local_new(const struct source_env *env, char *err, size_t errlen)
{
	struct local *l = calloc(1, sizeof(*l));

	if (l == NULL || (env->prefetch > 1 && ((l->held = calloc((size_t)env->prefetch, sizeof(*l->held))) == NULL ||
	    (l->short_flows = short_flows_json()) == NULL))) {
		if (l != NULL) {
			free(l->held);
			free(l);
		}
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->base.ops = &local_ops;
	l->base.env = *env;
	return &l->base;
}
