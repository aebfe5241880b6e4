/* heartbeat.c: the lease-extending thread. It shares nothing with the main thread but the fields below,
 * under one mutex; it has its own libpq connection (connections are not shared between threads). */
#include "runner/heartbeat.h"

#include "shared/db.h"
#include "shared/log.h"
#include "shared/queue/prefetch.h"
#include "shared/queue/queue.h"
#include "shared/str.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct heartbeat {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct db *db;
	long lease_seconds;
	long interval_ms;
	bool quit;
	bool watching;
	bool lost;
	char job_id[QUEUE_ID_MAX];
	char token[QUEUE_ID_MAX];
	struct held { char id[QUEUE_ID_MAX], token[QUEUE_ID_MAX]; } held[PREFETCH_MAX]; /* heartbeat_hold */
	int nheld;
};

static void
deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Extends the watched job's lease; called and returns with hb->mu held. */
static void
extend_watched(struct heartbeat *hb)
{
	char id[QUEUE_ID_MAX], token[QUEUE_ID_MAX], err[512];
	bool ours = true;
	enum db_status st;

	memcpy(id, hb->job_id, sizeof(id));
	memcpy(token, hb->token, sizeof(token));
	pthread_mutex_unlock(&hb->mu);
	st = queue_extend(hb->db, id, token, hb->lease_seconds, &ours, err, sizeof(err));
	pthread_mutex_lock(&hb->mu);
	if (st != DB_OK)
		log_warn("job %s: cannot extend the lease: %s", id, err);
	else if (!ours && hb->watching && strcmp(hb->token, token) == 0) {
		log_warn("job %s: lease lost to another runner; abandoning it", id);
		hb->lost = true;
	}
}

/* Extends the held jobs' leases in one statement; called and returns with hb->mu held. A held job whose
 * lease was lost is only logged: its own writes are fenced and will find it lost. */
static void
extend_held(struct heartbeat *hb)
{
	struct held copy[PREFETCH_MAX];
	struct prefetch_lease leases[PREFETCH_MAX];
	int n = hb->nheld, held = 0;
	char err[512];

	memcpy(copy, hb->held, (size_t)n * sizeof(copy[0]));
	for (int i = 0; i < n; i++)
		leases[i] = (struct prefetch_lease){ copy[i].id, copy[i].token };
	pthread_mutex_unlock(&hb->mu);
	if (prefetch_extend(hb->db, leases, n, hb->lease_seconds, &held, err, sizeof(err)) != DB_OK)
		log_warn("cannot extend the leases of %d held job%s: %s", n, n == 1 ? "" : "s", err);
	else if (held < n) /* or ended while this ran (a batch's completion): each finds out by its fence */
		log_debug("%d of %d held jobs no longer held", n - held, n);
	pthread_mutex_lock(&hb->mu);
}

static void *
beat(void *arg)
{
	struct heartbeat *hb = arg;

	pthread_mutex_lock(&hb->mu);
	while (!hb->quit) {
		struct timespec until;

		deadline_in(&until, hb->interval_ms);
		while (!hb->quit && pthread_cond_timedwait(&hb->cv, &hb->mu, &until) != ETIMEDOUT)
			;
		if (hb->quit)
			break;
		if (hb->watching && !hb->lost)
			extend_watched(hb);
		if (hb->nheld > 0 && !hb->quit)
			extend_held(hb);
	}
	pthread_mutex_unlock(&hb->mu);
	return NULL;
}

struct heartbeat *
heartbeat_start(const struct config *cfg, long lease_seconds, char *err, size_t errlen)
{
	struct heartbeat *hb = calloc(1, sizeof(*hb));
	pthread_condattr_t ca;

	if (hb == NULL || (hb->db = db_new(cfg, "captionacc-runner-heartbeat")) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		goto fail;
	}
	hb->lease_seconds = lease_seconds;
	hb->interval_ms = lease_seconds * 1000 / 3;
	if (hb->interval_ms < 100)
		hb->interval_ms = 100;
	pthread_mutex_init(&hb->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hb->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&hb->thread, NULL, beat, hb) != 0) {
		(void)str_fmt(err, errlen, "cannot start the heartbeat thread");
		pthread_cond_destroy(&hb->cv);
		pthread_mutex_destroy(&hb->mu);
		goto fail;
	}
	return hb;
fail:
	if (hb != NULL)
		db_free(hb->db);
	free(hb);
	return NULL;
}

void
heartbeat_watch(struct heartbeat *hb, const char *job_id, const char *token)
{
	pthread_mutex_lock(&hb->mu);
	/* ids come from queue_job, whose fields have the same bounds */
	hb->watching = str_copy(hb->job_id, sizeof(hb->job_id), job_id) == 0 &&
	    str_copy(hb->token, sizeof(hb->token), token) == 0;
	hb->lost = false;
	pthread_mutex_unlock(&hb->mu);
}

void
heartbeat_unwatch(struct heartbeat *hb)
{
	pthread_mutex_lock(&hb->mu);
	hb->watching = false;
	hb->lost = false;
	pthread_mutex_unlock(&hb->mu);
}

int
heartbeat_hold(struct heartbeat *hb, const char *job_id, const char *token)
{
	int rc = -1;

	pthread_mutex_lock(&hb->mu);
	if (hb->nheld < PREFETCH_MAX && str_copy(hb->held[hb->nheld].id, QUEUE_ID_MAX, job_id) == 0 &&
	    str_copy(hb->held[hb->nheld].token, QUEUE_ID_MAX, token) == 0) {
		hb->nheld++;
		rc = 0;
	}
	pthread_mutex_unlock(&hb->mu);
	return rc;
}

void
heartbeat_drop(struct heartbeat *hb, const char *job_id)
{
	pthread_mutex_lock(&hb->mu);
	for (int i = 0; i < hb->nheld; i++)
		if (strcmp(hb->held[i].id, job_id) == 0) {
			hb->held[i] = hb->held[--hb->nheld];
			break;
		}
	pthread_mutex_unlock(&hb->mu);
}

bool
heartbeat_lost(struct heartbeat *hb)
{
	bool lost;

	pthread_mutex_lock(&hb->mu);
	lost = hb->lost;
	pthread_mutex_unlock(&hb->mu);
	return lost;
}

void
heartbeat_stop(struct heartbeat *hb)
{
	if (hb == NULL)
		return;
	pthread_mutex_lock(&hb->mu);
	hb->quit = true;
	pthread_cond_signal(&hb->cv);
	pthread_mutex_unlock(&hb->mu);
	pthread_join(hb->thread, NULL);
	pthread_cond_destroy(&hb->cv);
	pthread_mutex_destroy(&hb->mu);
	db_free(hb->db);
	free(hb);
}
