/* source_prefect.c: a Prefect work pool as a job source (QUEUE_BACKEND=prefect): the scheduled flow runs of
 * the pool's band queues, each won by proposing PENDING then RUNNING (a REJECT or ABORT means another
 * worker has it), kept as a jobs row of its own (queue_adopt) so steps are checkpointed and fenced as for
 * local jobs, and reported back as COMPLETED, FAILED, CANCELLED or rescheduled (AwaitingRetry). Flow run
 * parameters are input: they are parsed like the API's before a flow sees them. */
#include "runner/source.h"

#include "shared/clients/prefect.h"
#include "shared/clock.h"
#include "shared/intake/params.h"
#include "shared/log.h"
#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_LIMIT 10
#define MESSAGE_MAX 2000

struct prefect_source {
	struct source base;   /* first: a struct source * is a struct prefect_source * */
	struct prefect *api;
};

static const char *
string_of(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* Proposes a state whose outcome we only log (messages are cut to MESSAGE_MAX). */
static void
set_state(struct prefect_source *s, const char *id, const char *state, const char *message, double delay_seconds)
{
	char status[16], err[512], msg[MESSAGE_MAX + 1];

	(void)str_fmt(msg, sizeof(msg), "%s", message ? message : "");
	if (prefect_set_state(s->api, id, state, message ? msg : NULL, delay_seconds, status, sizeof(status), err,
	    sizeof(err)) != PREFECT_OK)
		log_warn("flow run %s: cannot report %s: %s", id, state, err);
	else if (strcmp(status, "ACCEPT") != 0)
		log_warn("flow run %s: Prefect answered %s to %s", id, status, state);
	else
		log_debug("flow run %s: %s", id, state);
}

static bool
propose(struct prefect_source *s, const char *id, const char *state)
{
	char status[16], err[512];

	if (prefect_set_state(s->api, id, state, NULL, 0, status, sizeof(status), err, sizeof(err)) != PREFECT_OK) {
		log_warn("flow run %s: cannot propose %s: %s", id, state, err);
		return false;
	}
	if (strcmp(status, "ACCEPT") != 0) {
		log_debug("flow run %s: %s answered %s (another worker has it)", id, state, status);
		return false;
	}
	return true;
}

/* Our flow of a scheduled run, or -1 when the run is not one of our deployments'. */
static int
flow_of_run(struct prefect_source *s, json_object *run, enum flow_id *flow)
{
	const char *dep = string_of(run, "deployment_id"), *name;

	if (dep == NULL || (name = prefect_flow_of(s->api, dep)) == NULL)
		return -1;
	return params_flow_parse(name, flow);
}

/* Records a won run as a leased jobs row. -1: the database failed (the run is given back). */
static int
adopt(struct prefect_source *s, json_object *run, const char *id, enum flow_id flow, struct queue_job *job,
    bool *found, char *err, size_t errlen)
{
	const struct source_env *env = &s->base.env;
	json_object *params = NULL, *tags = NULL, *meta = json_object_new_object();
	enum db_status st;

	(void)json_object_object_get_ex(run, "parameters", &params);
	(void)json_object_object_get_ex(run, "tags", &tags);
	json_object_object_add(meta, "triggered_by", json_object_new_string("prefect"));
	json_object_object_add(meta, "tags", tags ? json_object_get(tags) : json_object_new_array());
	st = queue_adopt(env->r->db, id, params_flow_name(flow), string_of(params, "tenant_id"),
	    string_of(params, "video_id"), params, meta, priority_of_tags(tags), (int)env->r->cfg.max_attempts,
	    env->worker, env->lease_seconds, job, found, err, errlen);
	json_object_put(meta);
	if (st != DB_OK) {
		log_error("flow run %s: cannot record it: %s", id, err);
		/* Give the run back to Prefect so another worker (or we, later) can take it. */
		set_state(s, id, "SCHEDULED", "the runner could not record the run; rescheduled", 30);
		return -1;
	}
	if (!*found)
		log_warn("flow run %s: another runner holds its lease; skipped", id);
	return 0;
}

/* Tries to win one scheduled run. */
static int
try_run(struct prefect_source *s, json_object *run, struct queue_job *job, bool *found, char *err, size_t errlen)
{
	const char *id = string_of(run, "id");
	struct flow_params p;
	enum flow_id flow;
	char why[300], msg[400];

	if (id == NULL || strlen(id) >= QUEUE_ID_MAX || flow_of_run(s, run, &flow) != 0)
		return 0; /* not one of our deployments */
	if (!propose(s, id, "PENDING") || !propose(s, id, "RUNNING"))
		return 0;
	if (params_parse(flow, json_object_object_get(run, "parameters"), &p, why, sizeof(why)) != 0) {
		log_warn("flow run %s (%s): %s", id, params_flow_name(flow), why);
		(void)str_fmt(msg, sizeof(msg), "invalid parameters: %s", why);
		set_state(s, id, "FAILED", msg, 0);
		return 0;
	}
	params_free(&p);
	return adopt(s, run, id, flow, job, found, err, errlen);
}

static int
prefect_next(struct source *src, struct queue_job *job, bool *found, char *err, size_t errlen)
{
	struct prefect_source *s = (struct prefect_source *)src;
	json_object *runs = NULL;
	int rc = 0;

	*found = false;
	memset(job, 0, sizeof(*job));
	if (prefect_scheduled_runs(s->api, POLL_LIMIT, &runs, err, errlen) != PREFECT_OK) {
		log_warn("cannot poll Prefect's work pool: %s", err);
		err[0] = '\0';
		return 0;
	}
	for (size_t i = 0; rc == 0 && !*found && i < json_object_array_length(runs); i++)
		rc = try_run(s, json_object_array_get_idx(runs, i), job, found, err, errlen);
	json_object_put(runs);
	return rc;
}

/* Prefect has nothing: poll again after PREFECT_POLL_INTERVAL_MS (or ms), waking early on a stop. */
static bool
stopped(void *arg)
{
	const struct source *s = arg;

	return *s->env.stop;
}

static void
prefect_wait(struct source *s, long ms)
{
	long interval = s->env.r->cfg.prefect_poll_interval_ms;

	(void)clock_sleep_unless(ms < interval ? ms : interval, stopped, s);
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

/* The run's state follows the job's end. A lost lease reports nothing: whoever holds the job now does. */
static void
prefect_report(struct source *src, const struct queue_job *job, const struct job_outcome *o)
{
	struct prefect_source *s = (struct prefect_source *)src;
	const char *m = o->message;

	switch (o->end) {
	case JOB_COMPLETED:
		set_state(s, job->id, "COMPLETED", NULL, 0);
		break;
	case JOB_FAILED:
		set_state(s, job->id, "FAILED", m[0] ? m : "failed", 0);
		break;
	case JOB_RETRY:
	case JOB_HANDED_BACK:
		set_state(s, job->id, "SCHEDULED", m[0] ? m : "handed back", o->delay_seconds);
		break;
	case JOB_CANCELLED:
		set_state(s, job->id, "CANCELLED", "cancelled between steps", 0);
		break;
	case JOB_ABANDONED:
	case JOB_END__MAX:
		break;
	}
}

static int
prefect_peek(struct source *src, int limit)
{
	struct prefect_source *s = (struct prefect_source *)src;
	json_object *runs = NULL;
	char err[512];
	int n = 0;

	if (prefect_scheduled_runs(s->api, limit, &runs, err, sizeof(err)) != PREFECT_OK) {
		fprintf(stderr, "captionacc-runner: run --dry-run: %s\n", err);
		return 1;
	}
	printf("%-4s %-36s %-26s %-8s\n", "#", "flow run", "flow", "priority");
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		json_object *run = json_object_array_get_idx(runs, i);
		enum flow_id flow;
		const char *id = string_of(run, "id");

		if (id == NULL || flow_of_run(s, run, &flow) != 0)
			continue;
		printf("%-4d %-36s %-26s %-8d\n", ++n, id, params_flow_name(flow),
		    priority_of_tags(json_object_object_get(run, "tags")));
	}
	printf("%d flow run%s due in the work pool's queues, in the order this runner would try them (nothing was "
	    "changed)\n", n, n == 1 ? "" : "s");
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
