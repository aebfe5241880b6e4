/* source_prefect.c: a Prefect work pool as a job source (QUEUE_BACKEND=prefect). A due flow run of one of
 * our deployments is first recorded as a leased jobs row (queue_adopt: the database decides which runner
 * tries it), then won in Prefect by proposing PENDING then RUNNING (honouring WAIT); a run this runner
 * cannot start is given back (SCHEDULED), never left PENDING. Steps are checkpointed and fenced as for
 * local jobs; the end is reported as COMPLETED, FAILED, CANCELLED or rescheduled (AwaitingRetry), and a
 * run cancelled meanwhile ends CANCELLED in both places. Runs of a runner that died are handed back by
 * prefect_reap.c. Flow run parameters are input: parsed like the API's before a flow sees them. */
#include "runner/prefect_reap.h"
#include "runner/source.h"

#include "shared/clients/prefect.h"
#include "shared/clock.h"
#include "shared/intake/params.h"
#include "shared/log.h"
#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_LIMIT 10           /* runs asked for per poll; grows while whole pages are not ours */
#define POLL_LIMIT_MAX PREFECT_LIMIT_MAX  /* Prefect refuses more (422) */
#define EMPTY_CONFIRM_POLLS 2   /* an empty poll is asked again this many times before it counts */
#define EMPTY_CONFIRM_MS 200
#define WAIT_TRIES 3            /* RUNNING proposals answered WAIT before the run is given back */
#define WAIT_MAX_SECONDS 10.0   /* a longer WAIT gives the run back at once */
#define MAINTENANCE_INTERVAL_MS 10000
#define FOREIGN_MAX 16
#define MESSAGE_MAX 2000

struct prefect_source {
	struct source base;   /* first: a struct source * is a struct prefect_source * */
	struct prefect *api;
	long long maintained_ms;
	char foreign[FOREIGN_MAX][PREFECT_ID_MAX];  /* deployments whose runs we skipped and said so */
	int nforeign;
};

/* How trying one polled run went. */
enum try_result {
	TRY_WON,      /* *job is leased and RUNNING in Prefect */
	TRY_FOREIGN,  /* not a run of our deployments */
	TRY_SKIPPED,  /* another runner or worker has it, or it could not start now */
	TRY_ERROR     /* the database failed */
};

static const char *
string_of(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* Proposes a state; false (logged) when Prefect could not be asked. Messages are cut to MESSAGE_MAX. */
static bool
propose(struct prefect_source *s, const char *id, const char *state, const char *message, double delay,
    struct prefect_answer *ans)
{
	char err[512], msg[MESSAGE_MAX + 1];

	(void)str_fmt(msg, sizeof(msg), "%s", message ? message : "");
	if (prefect_set_state(s->api, id, state, message ? msg : NULL, delay, ans, err, sizeof(err)) != PREFECT_OK) {
		log_warn("flow run %s: cannot propose %s: %s", id, state, err);
		return false;
	}
	log_debug("flow run %s: %s answered %s%s%s", id, state, ans->status, ans->reason[0] ? ": " : "", ans->reason);
	return true;
}

static bool
accepted(const struct prefect_answer *ans)
{
	return strcmp(ans->status, "ACCEPT") == 0;
}

/* Our flow of a polled run, or -1 when the run is not one of our deployments'. */
static int
flow_of_run(struct prefect_source *s, json_object *run, enum flow_id *flow)
{
	const char *dep = string_of(run, "deployment_id"), *name;

	if (dep == NULL || (name = prefect_flow_of(s->api, dep)) == NULL)
		return -1;
	return params_flow_parse(name, flow);
}

/* Says once per deployment that its runs are left to other workers (they are never starved: see next). */
static void
note_foreign(struct prefect_source *s, json_object *run)
{
	const char *dep = string_of(run, "deployment_id");

	for (int i = 0; i < s->nforeign; i++)
		if (dep != NULL && strcmp(s->foreign[i], dep) == 0)
			return;
	log_warn("flow run %s: deployment %s is not one of PREFECT_DEPLOYMENTS; its runs in work pool %s are left to "
	    "other workers", string_of(run, "id") ? string_of(run, "id") : "?", dep ? dep : "(none)",
	    s->base.env.r->cfg.prefect_work_pool);
	if (dep != NULL && s->nforeign < FOREIGN_MAX && str_copy(s->foreign[s->nforeign], PREFECT_ID_MAX, dep) == 0)
		s->nforeign++;
}

/* A run we recorded but cannot start: back to SCHEDULED in Prefect and the row handed back (the attempt
 * is given back). When Prefect cannot be told, the row's lease is let go so prefect_reap.c, which looks
 * at Prefect's state, finishes the job later: never a run left PENDING. */
/* A run is given back at the time Prefect had scheduled it (when, Prefect's clock: a runner whose clock
 * runs ahead must not push the run further into the future), else now. */
static bool
reschedule(struct prefect_source *s, const char *id, const char *why, const char *when, struct prefect_answer *ans)
{
	char err[512];

	if (when == NULL)
		return propose(s, id, "SCHEDULED", why, 0, ans);
	if (prefect_reschedule_at(s->api, id, why, when, ans, err, sizeof(err)) != PREFECT_OK) {
		log_warn("flow run %s: cannot propose SCHEDULED: %s", id, err);
		return false;
	}
	return true;
}

static void
give_back(struct prefect_source *s, struct queue_job *job, const char *why, const char *when)
{
	struct prefect_answer ans;
	char err[512];
	bool ours = false;

	log_info("flow run %s: given back to Prefect: %s", job->id, why);
	if (reschedule(s, job->id, why, when, &ans) && (accepted(&ans) ||
	    (strcmp(ans.state_type, "PENDING") != 0 && strcmp(ans.state_type, "RUNNING") != 0))) {
		if (queue_requeue(s->base.env.r->db, job, QUEUE_HAND_BACK, 0, NULL, &ours, err, sizeof(err)) != DB_OK)
			log_warn("flow run %s: cannot hand its row back: %s", job->id, err);
		return;
	}
	if (queue_extend(s->base.env.r->db, job->id, job->lease_token, 0, &ours, err, sizeof(err)) != DB_OK)
		log_warn("flow run %s: cannot let its lease go: %s", job->id, err);
}

/* Still ours after a wait: the lease is renewed (no heartbeat runs yet), or it was lost meanwhile (then
 * another runner took the row over and the run is its business). */
static bool
still_ours(struct prefect_source *s, const struct queue_job *job)
{
	char err[512];
	bool ours = false;

	if (queue_extend(s->base.env.r->db, job->id, job->lease_token, s->base.env.lease_seconds, &ours, err,
	    sizeof(err)) != DB_OK)
		log_warn("flow run %s: cannot renew its lease: %s", job->id, err);
	else if (!ours)
		log_warn("flow run %s: its lease was lost while Prefect made us wait; left to whoever holds it", job->id);
	return ours;
}

/* PENDING -> RUNNING, waiting out WAIT answers (Prefect checks the scheduled time against its own clock).
 * when: the run's own scheduled time, where a run that cannot start is given back. */
static bool
start_running(struct prefect_source *s, struct queue_job *job, const char *when)
{
	struct prefect_answer ans;
	char why[400];

	for (int i = 0; i < WAIT_TRIES; i++) {
		if (!propose(s, job->id, "RUNNING", NULL, 0, &ans)) {
			give_back(s, job, "Prefect did not answer the RUNNING proposal", when);
			return false;
		}
		if (accepted(&ans))
			return true;
		if (strcmp(ans.status, "WAIT") != 0 || ans.delay_seconds > WAIT_MAX_SECONDS || *s->base.env.stop)
			break;
		log_info("flow run %s: Prefect says wait %.1f s (%s)", job->id, ans.delay_seconds, ans.reason);
		(void)clock_sleep_unless((long long)(ans.delay_seconds * 1000), clock_flag_set, CLOCK_FLAG(s->base.env.stop));
		if (!still_ours(s, job))
			return false;
	}
	(void)str_fmt(why, sizeof(why), "RUNNING answered %s%s%s", ans.status, ans.reason[0] ? ": " : "", ans.reason);
	give_back(s, job, why, when);
	return false;
}

/* Records the run as a leased jobs row. TRY_SKIPPED when another runner holds it. */
static enum try_result
adopt(struct prefect_source *s, json_object *run, const char *id, const struct flow_params *p,
    struct queue_job *job, char *err, size_t errlen)
{
	const struct source_env *env = &s->base.env;
	json_object *tags = NULL, *meta = json_object_new_object(), *params = params_json(p);
	enum db_status st;
	bool found = false;

	(void)json_object_object_get_ex(run, "tags", &tags);
	json_object_object_add(meta, "triggered_by", json_object_new_string("prefect"));
	json_object_object_add(meta, "tags", tags ? json_object_get(tags) : json_object_new_array());
	st = queue_adopt(env->r->db, id, params_flow_name(p->flow), p->tenant_id, p->video_id, params, meta,
	    priority_of_tags(tags), (int)env->r->cfg.max_attempts, env->worker, env->lease_seconds, job, &found, err,
	    errlen);
	json_object_put(meta);
	json_object_put(params);
	if (st != DB_OK) {
		log_error("flow run %s: cannot record it: %s", id, err);
		return TRY_ERROR;
	}
	if (!found)
		log_debug("flow run %s: another runner holds its row; skipped", id);
	return found ? TRY_WON : TRY_SKIPPED;
}

/* Parameters Prefect gave us that the API would refuse: the run is won and failed with the reason. */
static void
fail_invalid(struct prefect_source *s, const char *id, enum flow_id flow, const char *why)
{
	struct prefect_answer ans;
	char msg[400];

	log_warn("flow run %s (%s): %s", id, params_flow_name(flow), why);
	(void)str_fmt(msg, sizeof(msg), "invalid parameters: %s", why);
	if (propose(s, id, "PENDING", NULL, 0, &ans) && accepted(&ans) && propose(s, id, "RUNNING", NULL, 0, &ans) &&
	    accepted(&ans))
		(void)propose(s, id, "FAILED", msg, 0, &ans);
}

/* Tries to win one polled run: parse, record, PENDING, RUNNING. */
static enum try_result
try_run(struct prefect_source *s, json_object *run, struct queue_job *job, char *err, size_t errlen)
{
	const char *id = string_of(run, "id");
	struct prefect_answer ans;
	struct flow_params p;
	enum flow_id flow;
	enum try_result r;
	char why[300];

	if (id == NULL || strlen(id) >= QUEUE_ID_MAX || flow_of_run(s, run, &flow) != 0) {
		note_foreign(s, run);
		return TRY_FOREIGN;
	}
	if (params_parse(flow, json_object_object_get(run, "parameters"), &p, why, sizeof(why)) != 0) {
		fail_invalid(s, id, flow, why);
		return TRY_SKIPPED;
	}
	r = adopt(s, run, id, &p, job, err, errlen);
	params_free(&p);
	if (r != TRY_WON)
		return r;
	if (!propose(s, id, "PENDING", NULL, 0, &ans) || !accepted(&ans)) {
		/* Another worker has it (REJECT/ABORT), or Prefect is away: the row goes back untouched. */
		bool ours;

		if (queue_requeue(s->base.env.r->db, job, QUEUE_HAND_BACK, 0, NULL, &ours, err, errlen) != DB_OK)
			log_warn("flow run %s: cannot hand its row back: %s", id, err);
		queue_job_clear(job);
		return TRY_SKIPPED;
	}
	if (!start_running(s, job, string_of(run, "next_scheduled_start_time"))) {
		queue_job_clear(job);
		return TRY_SKIPPED;
	}
	return TRY_WON;
}

/* One poll of up to limit runs: the pool's queues in their order, or (ours_only) the due runs of our
 * deployments found by a filter. *full: the page was full and none of it was won. */
static int
poll_once(struct prefect_source *s, int limit, bool ours_only, struct queue_job *job, bool *found, int *polled,
    bool *full, char *err, size_t errlen)
{
	json_object *runs = NULL;
	int n, rc = 0, foreign = 0;

	*polled = 0;
	*full = false;
	if ((ours_only ? prefect_due_runs_of_ours(s->api, limit, &runs, err, errlen) :
	    prefect_scheduled_runs(s->api, limit, &runs, err, errlen)) != PREFECT_OK) {
		log_warn("cannot poll Prefect's work pool: %s", err);
		err[0] = '\0';
		return 0;
	}
	n = *polled = (int)json_object_array_length(runs);
	for (int i = 0; rc == 0 && !*found && i < n; i++) {
		switch (try_run(s, json_object_array_get_idx(runs, i), job, err, errlen)) {
		case TRY_WON:
			*found = true;
			break;
		case TRY_FOREIGN:
			foreign++;
			break;
		case TRY_SKIPPED:
			break;
		case TRY_ERROR:
			rc = -1;
			break;
		}
	}
	if (foreign > 0)
		log_debug("poll: %d of %d due flow runs are not of our deployments", foreign, n);
	*full = rc == 0 && !*found && n >= limit;
	json_object_put(runs);
	return rc;
}

/* The next run won: a page full of runs that are not ours (or that others won) is asked again larger, and
 * past Prefect's largest page (200) our deployments' due runs are asked for by a filter, so foreign runs at
 * the head of a queue never hide ours; an empty answer is asked again (a concurrent poll of a
 * PostgreSQL-backed Prefect locks the due runs and answers []) before it counts as empty. Nothing rides
 * a poll (ride is left untried): Prefect's answer is not in our transaction. */
static int
prefect_next(struct source *src, struct claim_rider *ride, struct queue_job *job, bool *found, char *err,
    size_t errlen)
{
	struct prefect_source *s = (struct prefect_source *)src;
	int limit = POLL_LIMIT, empty = 0, polled;
	bool full, ours_only = false;

	(void)ride;
	*found = false;
	memset(job, 0, sizeof(*job));
	for (;;) {
		if (poll_once(s, limit, ours_only, job, found, &polled, &full, err, errlen) != 0)
			return -1;
		if (*found || *src->env.stop)
			return 0;
		if (full && limit < POLL_LIMIT_MAX) {
			limit = limit * 4 < POLL_LIMIT_MAX ? limit * 4 : POLL_LIMIT_MAX;
			continue;
		}
		if (full && !ours_only) {
			log_info("poll: a whole page of %d due runs had none for us; asking for our deployments' own", limit);
			ours_only = true;
			continue;
		}
		if (polled > 0 || ++empty > EMPTY_CONFIRM_POLLS)
			return 0;
		(void)clock_sleep_unless(EMPTY_CONFIRM_MS, clock_flag_set, CLOCK_FLAG(s->base.env.stop));
	}
}

/* Prefect has nothing: poll again after PREFECT_POLL_INTERVAL_MS (or ms), waking early on a stop. */
static void
prefect_wait(struct source *s, long ms)
{
	long interval = s->env.r->cfg.prefect_poll_interval_ms;

	(void)clock_sleep_unless(ms < interval ? ms : interval, clock_flag_set, CLOCK_FLAG(s->env.stop));
}

static const char *
prefect_cancelling(void *arg, const struct queue_job *job)
{
	struct prefect_source *s = arg;
	char type[32], err[512];

	if (prefect_run_state(s->api, job->id, type, sizeof(type), err, sizeof(err)) != PREFECT_OK) {
		log_debug("flow run %s: cannot read its state: %s", job->id, err);
		return NULL;
	}
	return strcmp(type, "CANCELLING") == 0 || strcmp(type, "CANCELLED") == 0 ? "cancelled in Prefect" : NULL;
}

/* A final proposal refused because the run is CANCELLING (cancelled while its last step ran): it can only
 * become CANCELLED, and the row says so too. */
static void
end_cancelled(struct prefect_source *s, const struct queue_job *job)
{
	struct prefect_answer ans;
	char err[512];

	if (propose(s, job->id, "CANCELLED", "cancelled in Prefect while its last step ran", 0, &ans) && !accepted(&ans))
		log_warn("flow run %s: Prefect answered %s to CANCELLED", job->id, ans.status);
	if (queue_mark_cancelled(s->base.env.r->db, job->id, "cancelled in Prefect while its last step ran", err,
	    sizeof(err)) != DB_OK)
		log_warn("flow run %s: cannot mark its row cancelled: %s", job->id, err);
	else
		log_info("flow run %s: cancelled in Prefect while its last step ran; ended CANCELLED", job->id);
}

/* The run's state follows the job's end. A lost lease reports nothing: whoever holds the job now does. */
static void
prefect_report(struct source *src, const struct queue_job *job, const struct job_outcome *o)
{
	struct prefect_source *s = (struct prefect_source *)src;
	const char *m = o->message, *state = NULL, *msg = NULL;
	struct prefect_answer ans;

	switch (o->end) {
	case JOB_COMPLETED:
		state = "COMPLETED";
		break;
	case JOB_FAILED:
		state = "FAILED", msg = m[0] ? m : "failed";
		break;
	case JOB_RETRY:
	case JOB_HANDED_BACK:
		state = "SCHEDULED", msg = m[0] ? m : "handed back";
		break;
	case JOB_CANCELLED:
		state = "CANCELLED", msg = "cancelled between steps";
		break;
	case JOB_ABANDONED:
	case JOB_END__MAX:
		return;
	}
	if (!propose(s, job->id, state, msg, o->delay_seconds, &ans) || accepted(&ans))
		return;
	if (strcmp(ans.state_type, "CANCELLING") == 0)
		end_cancelled(s, job);
	else
		log_warn("flow run %s: Prefect answered %s to %s%s%s", job->id, ans.status, state, ans.reason[0] ? ": " :
		    "", ans.reason);
}

/* Every MAINTENANCE_INTERVAL_MS: runs whose runner died are handed back (prefect_reap.c). */
static void
prefect_maintain(struct source *src)
{
	struct prefect_source *s = (struct prefect_source *)src;

	if (s->maintained_ms != 0 && clock_ms() - s->maintained_ms < MAINTENANCE_INTERVAL_MS)
		return;
	s->maintained_ms = clock_ms();
	prefect_reap(s->api, &src->env);
	source_fold_metrics(src);
}

static int
prefect_peek(struct source *src, int limit)
{
	struct prefect_source *s = (struct prefect_source *)src;
	json_object *runs = NULL;
	char err[512];
	int n = 0, foreign = 0;

	if (prefect_scheduled_runs(s->api, limit, &runs, err, sizeof(err)) != PREFECT_OK) {
		fprintf(stderr, "captionacc-runner: run --dry-run: %s\n", err);
		return 1;
	}
	printf("%-4s %-36s %-26s %-8s %s\n", "#", "flow run", "flow", "priority", "work queue");
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *run = json_object_array_get_idx(runs, i);
		const char *id = string_of(run, "id"), *queue = string_of(run, "work_queue_name");
		enum flow_id flow;

		if (id == NULL || flow_of_run(s, run, &flow) != 0) {
			foreign++;
			continue;
		}
		printf("%-4d %-36s %-26s %-8d %s\n", ++n, id, params_flow_name(flow),
		    priority_of_tags(json_object_object_get(run, "tags")), queue ? queue : "");
	}
	printf("%d flow run%s due in work pool %s, in the order this runner would try them (nothing was changed)",
	    n, n == 1 ? "" : "s", src->env.r->cfg.prefect_work_pool);
	if (foreign > 0)
		printf("; %d more of other deployments", foreign);
	printf("\n");
	json_object_put(runs);
	return 0;
}

static void
prefect_source_free(struct source *src)
{
	struct prefect_source *s = (struct prefect_source *)src;

	prefect_free(s->api);
	free(s);
}

static const struct source_ops prefect_ops = {
	.name = "Prefect",
	.next = prefect_next,
	.wait = prefect_wait,
	.cancelling = prefect_cancelling,
	.report = prefect_report,
	.maintain = prefect_maintain,
	.peek = prefect_peek,
	.free = prefect_source_free,
};

struct source *
source_prefect_new(const struct source_env *env, char *err, size_t errlen)
{
	struct prefect_source *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return NULL;
	}
	s->base.ops = &prefect_ops;
	s->base.env = *env;
	if ((s->api = prefect_new(&env->r->cfg, err, errlen)) == NULL) {
		free(s);
		return NULL;
	}
	return &s->base;
}
