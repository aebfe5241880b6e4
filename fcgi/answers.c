/* answers.c: HTTP answers by route and status code, counted per process and written as deltas (see
 * answers.h). The write is an upsert of a few rows, in key order, so processes writing at once take
 * turns on the rows and never deadlock. */
#include "fcgi/answers.h"

#include "shared/clock.h"
#include "shared/json.h"
#include "shared/log.h"

#include <poll.h>
#include <string.h>

#define ANSWERS_MAX 128     /* routes x codes seen: the route table is fixed, so a few dozen */
#define ANSWERS_EVERY_MS 1000

struct answer {
	const char *route;  /* the route table's (static), or "other" */
	int status;
	long long n;        /* not written yet */
};

static struct answer answers[ANSWERS_MAX];
static int nanswers;
static long long pending;       /* sum of the n */
static long long last_flush_ms; /* clock_ms() of the last write (0: none yet) */

static const struct db_stmt flush_stmt = {
	"answers_flush",
	"INSERT INTO metric_stats AS m (metric, l1, l2, l3, bucket, n)"
	" SELECT 'http', route, code, '', 0, n FROM jsonb_to_recordset($1::jsonb) AS t(route text, code text, n bigint)"
	" ORDER BY route, code"
	" ON CONFLICT (metric, l1, l2, l3, bucket) DO UPDATE SET n = m.n + EXCLUDED.n",
	1, false  /* not again on a new connection: it may have been added */
};

void
answers_count(const char *route, int status)
{
	const char *r = route != NULL ? route : "other";
	int i;

	if (last_flush_ms == 0)
		last_flush_ms = clock_ms(); /* the first counts wait a second too */
	for (i = 0; i < nanswers && (answers[i].status != status || strcmp(answers[i].route, r) != 0); i++)
		;
	if (i == nanswers) {
		if (nanswers == ANSWERS_MAX)
			return;
		answers[nanswers++] = (struct answer){ r, status, 0 };
	}
	answers[i].n++;
	pending++;
}

/* The counts not written yet as [{route, code, n}], or NULL (out of memory). */
static json_object *
pending_json(void)
{
	json_object *list = json_object_new_array(), *o;

	for (int i = 0; list != NULL && i < nanswers; i++) {
		if (answers[i].n == 0)
			continue;
		if ((o = json_object_new_object()) == NULL || json_object_array_add(list, o) != 0) {
			json_object_put(o);
			json_object_put(list);
			return NULL;
		}
		json_object_object_add(o, "route", json_object_new_string(answers[i].route));
		json_object_object_add(o, "code", json_object_new_int(answers[i].status));
		json_object_object_add(o, "n", json_object_new_int64(answers[i].n));
	}
	return list;
}

void
answers_flush(struct db *db, bool force)
{
	const char *params[1];
	json_object *list;
	enum db_status st;
	char err[512];
	PGresult *r;

	if (pending == 0 || (!force && clock_ms() - last_flush_ms < ANSWERS_EVERY_MS))
		return;
	last_flush_ms = clock_ms();
	if ((list = pending_json()) == NULL)
		return;
	params[0] = json_text(list, NULL);
	if ((r = db_exec(db, &flush_stmt, params, &st, err, sizeof(err))) == NULL)
		log_warn("writing the HTTP answers' counts (kept for the next try): %s", err);
	else {
		for (int i = 0; i < nanswers; i++)
			answers[i].n = 0;
		pending = 0;
	}
	PQclear(r);
	json_object_put(list);
}

/* With a kept connection (nginx's fastcgi_keep_conn) the next request comes on it and the listening socket
 * is the other processes' business; without one, a process woken with others by a new connection may
 * lose it to them and then waits in accept() with its counts until its next request (README). */
void
answers_idle(struct db *db, const FCGX_Request *fcgx)
{
	struct pollfd p = { .fd = fcgx->ipcFd >= 0 ? fcgx->ipcFd : 0, .events = POLLIN };
	long long due;

	if (pending == 0)
		return;
	due = last_flush_ms + ANSWERS_EVERY_MS - clock_ms();
	if (due > 0 && poll(&p, 1, (int)due) != 0)
		return; /* a request (or a signal: the loop looks at it) */
	answers_flush(db, true);
}
