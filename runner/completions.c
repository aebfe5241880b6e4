/* completions.c: the completions kept for the next claim (see completions.h). */
#include "runner/completions.h"

#include "shared/backfill/backfill_complete.h"
#include "shared/clock.h"
#include "shared/metrics/figures.h"
#include "shared/queue/prefetch.h"
#include "shared/str.h"

#include <stdlib.h>
#include <string.h>

struct kept {
	struct queue_job job;   /* a copy holding its own references */
	int index;
	const char *name;       /* the flow table's (static) */
	json_object *result;
	long long started_ms;
	json_object *figures;
};

struct completions {
	int cap, n;
	struct heartbeat *hb;
	struct kept *k;
	struct prefetch_done *done;
	bool *ours;
};

struct completions *
completions_new(int cap)
{
	struct completions *c = calloc(1, sizeof(*c));

	if (c == NULL || cap < 1 || cap > PREFETCH_MAX || (c->k = calloc((size_t)cap, sizeof(*c->k))) == NULL ||
	    (c->done = calloc((size_t)cap, sizeof(*c->done))) == NULL ||
	    (c->ours = calloc((size_t)cap, sizeof(*c->ours))) == NULL) {
		completions_free(c);
		return NULL;
	}
	c->cap = cap;
	return c;
}

static void
kept_clear(struct kept *k)
{
	queue_job_clear(&k->job);
	json_object_put(k->result);
	figures_clear(&k->figures);
	memset(k, 0, sizeof(*k));
}

void
completions_free(struct completions *c)
{
	if (c == NULL)
		return;
	for (int i = 0; c->k != NULL && i < c->n; i++)
		kept_clear(&c->k[i]);
	free(c->k);
	free(c->done);
	free(c->ours);
	free(c);
}

int
completions_add(struct completions *c, struct heartbeat *hb, const struct queue_job *job, int index,
    const char *name, json_object *result, long long started_ms, json_object **figures)
{
	struct kept *k;

	if (c->n >= c->cap || (hb != NULL && heartbeat_hold(hb, job->id, job->lease_token) != 0))
		return -1;
	c->hb = hb;
	k = &c->k[c->n++];
	k->job = *job;
	k->job.parameters = json_object_get(job->parameters);
	k->job.metadata = json_object_get(job->metadata);
	k->job.steps = json_object_get(job->steps);
	k->index = index;
	k->name = name;
	k->result = json_object_get(result);
	k->started_ms = started_ms;
	k->figures = *figures;
	*figures = NULL;
	return 0;
}

int
completions_count(const struct completions *c)
{
	return c == NULL ? 0 : c->n;
}

bool
completions_full(const struct completions *c)
{
	return c != NULL && c->n >= c->cap;
}

/* The kept completions' parameters, their step's age taken now. */
static void
prepare(struct completions *c)
{
	for (int i = 0; i < c->n; i++)
		c->done[i] = (struct prefetch_done){ &c->k[i].job, c->k[i].index, c->k[i].name, c->k[i].result,
			(double)(clock_ms() - c->k[i].started_ms) / 1000.0, c->k[i].figures };
}

/* One try: one job's completion is the one-job statement (queue_complete_step, cheaper to run than the
 * batch's JSON list), several are prefetch_complete's one statement. Sets c->ours. */
static enum db_status
write_once(struct completions *c, struct db *db, char *err, size_t errlen)
{
	const struct prefetch_done *d = &c->done[0];

	prepare(c);
	memset(c->ours, 0, (size_t)c->n * sizeof(*c->ours));
	if (c->n == 1)
		return queue_complete_step(db, d->job, d->index, d->name, d->result, d->started_ago, d->figures,
		    &c->ours[0], err, errlen);
	return prefetch_complete(db, c->done, c->n, c->ours, err, errlen);
}

enum db_status
completions_write(struct completions *c, struct db *db, char *err, size_t errlen)
{
	return c == NULL || c->n == 0 ? DB_OK : write_once(c, db, err, errlen);
}

/* Tried again while the database is away (up to DB_OUTAGE_SECONDS, unless the runner stops): each job is
 * fenced, so a repeat cannot complete one twice. */
static enum db_status
write_all(struct completions *c, const struct job_env *env, char *err, size_t errlen)
{
	long long deadline = 0;
	enum db_status st;
	char what[64];

	(void)str_fmt(what, sizeof(what), "completing %d job%s", c->n, c->n == 1 ? "" : "s");
	while ((st = write_once(c, env->db, err, errlen)) == DB_UNAVAILABLE &&
	    job_env_db_back(env, &deadline, what, err))
		;
	return st;
}

void
completions_settle(struct completions *c, const struct job_env *env,
    void (*done)(void *arg, const struct queue_job *job, int batch, bool ours, const char *why), void *arg,
    const char *why)
{
	int n;

	if (c == NULL || (n = c->n) == 0)
		return;
	for (int i = 0; i < n; i++) {
		struct queue_job *job = &c->k[i].job;

		if (c->hb != NULL)
			heartbeat_drop(c->hb, job->id);
		if (c->ours[i] && backfill_job_of(job->metadata))
			backfill_complete_job(env->db, job->id);
		done(arg, job, n, c->ours[i], c->ours[i] ? "" : why != NULL && why[0] ? why :
		    "the lease was lost; nothing written");
		kept_clear(&c->k[i]);
	}
	c->n = 0;
}

void
completions_flush(struct completions *c, const struct job_env *env,
    void (*done)(void *arg, const struct queue_job *job, int batch, bool ours, const char *why), void *arg)
{
	char err[512] = "";

	if (c == NULL || c->n == 0)
		return;
	if (write_all(c, env, err, sizeof(err)) != DB_OK)
		memset(c->ours, 0, (size_t)c->n * sizeof(*c->ours));
	else
		err[0] = '\0';
	completions_settle(c, env, done, arg, err);
}
