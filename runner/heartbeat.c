/* heartbeat.c: the lease-extending thread. It shares nothing with the main thread but the fields below,
 * under one mutex; it has its own libpq connection (connections are not shared between threads). */
#include "runner/heartbeat.h"

#include "shared/db.h"
#include "shared/log.h"
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

static void *
beat(void *arg)
{
	struct heartbeat *hb = arg;
	char id[QUEUE_ID_MAX], token[QUEUE_ID_MAX], err[512];

	pthread_mutex_lock(&hb->mu);
	while (!hb->quit) {
		struct timespec until;
		bool ours = true;
		enum db_status st;

		deadline_in(&until, hb->interval_ms);
		while (!hb->quit && pthread_cond_timedwait(&hb->cv, &hb->mu, &until) != ETIMEDOUT)
			;
		if (hb->quit)
			break;
		if (!hb->watching || hb->lost)
			continue;
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
