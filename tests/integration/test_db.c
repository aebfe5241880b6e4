/* test_db.c: shared/db.c against a real PostgreSQL cluster (started by tests/integration/db.sh): a
 * connection killed while idle is replaced without the caller noticing, even for a statement not safe to
 * repeat (it is sent once, to the fresh session); a statement safe to repeat rides out a database restart
 * within DB_RETRY_MS; nothing else is repeated (a statement not declared safe that was killed mid-call,
 * statements inside a transaction, whose lost connection is never replaced behind the caller's back); a
 * COMMIT PostgreSQL turned into a rollback is reported; a database that stays down is reported as
 * unavailable once the budget is spent; and errors that retrying cannot fix are reported as such at once.
 * And the webhook's enqueue (jobs_enqueue) whose row committed but whose answer was lost (the connection
 * died right after COMMIT, tests/integration/pgproxy.c), also when the database then stays away past
 * DB_RETRY_MS: it answers with that row, never "unavailable", so a 503 means nothing was written. */
#include "shared/clock.h"
#include "shared/config.h"
#include "shared/db.h"
#include "shared/queue/jobs.h"
#include "tests/integration/pgproxy.h"
#include "tests/integration/support.h"

#include <json-c/json.h>

#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

static const char *conninfo;
static PGconn *admin; /* the test's own connection, for looking and for killing sessions */

static const struct db_stmt select_stmt = { "t_select", "SELECT count(*) FROM db_probe", 0, true };
static const struct db_stmt insert_once_stmt = {
	"t_insert_once", "INSERT INTO db_probe (note) VALUES ($1)", 1, false
};
static const struct db_stmt insert_safe_stmt = {
	"t_insert_safe", "INSERT INTO db_probe (note) VALUES ($1) ON CONFLICT (note) DO NOTHING", 1, true
};
static const struct db_stmt insert_slow_stmt = {
	"t_insert_slow", "INSERT INTO db_probe (note) SELECT $1 FROM pg_sleep(2)", 1, false
};
static const struct db_stmt bad_stmt = { "t_bad", "SELECT no_such_column FROM db_probe", 0, true };

static void
stack(const char *what)
{
	support_stack(what);
	PQfinish(admin); /* a stopped server ended it; adm() opens a new one */
	admin = NULL;
}

/* The admin connection, (re)opened after a restart. */
static PGconn *
adm(void)
{
	if (admin == NULL || PQstatus(admin) != CONNECTION_OK) {
		PQfinish(admin);
		admin = PQconnectdb(conninfo);
		assert_int_equal(PQstatus(admin), CONNECTION_OK);
	}
	return admin;
}

/* A db handle on the server of info with the given retry budget, connected. */
static struct db *
open_db_on(const char *info, long retry_ms)
{
	struct config c;
	struct db *db;
	char err[256];

	memset(&c, 0, sizeof(c));
	c.database_url = (char *)info;
	c.db_schema = (char *)"public";
	c.db_connect_timeout = 2;
	c.db_statement_timeout_ms = 5000;
	c.db_retry_ms = retry_ms;
	db = db_new(&c, "test_db");
	assert_non_null(db);
	assert_int_equal(db_connect(db, err, sizeof(err)), DB_OK);
	return db;
}

static struct db *
open_db(long retry_ms)
{
	return open_db_on(conninfo, retry_ms);
}

/* Runs stmt; returns its status and stores how long the call took. */
static enum db_status
run(struct db *db, const struct db_stmt *stmt, const char *param, long long *took_ms, char *err, size_t errlen)
{
	const char *params[1] = { param };
	long long t0 = clock_ms();
	enum db_status st;
	PGresult *r = db_exec(db, stmt, stmt->nparams ? params : NULL, &st, err, errlen);

	*took_ms = clock_ms() - t0;
	PQclear(r);
	return st;
}

/* Ends the session db holds, as an administrator or a crashed server process would, and waits until the
 * server process is gone (its goodbye is then on db's socket). */
static void
kill_session(struct db *db)
{
	char sql[128], pid[16];
	const char *params[1] = { pid };

	assert_non_null(db_conn(db));
	assert_true(snprintf(pid, sizeof(pid), "%d", PQbackendPID(db_conn(db))) < (int)sizeof(pid));
	assert_true(snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", pid) < (int)sizeof(sql));
	support_sql_do(adm(), sql, 0, NULL);
	for (int i = 0; i < 100 && support_sql_long(adm(), "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int",
	    1, params) != 0; i++)
		clock_sleep_ms(20);
	{
		struct pollfd p = { .fd = PQsocket(db_conn(db)), .events = POLLIN };

		assert_int_equal(poll(&p, 1, 2000), 1);
	}
}

/* Runs the shell command cmd in a child process ms from now; the child execs the shell at once, so no
 * copy of this process (or of the valgrind running it) lives on in it. The caller waits for it with
 * waitpid; its exit status is the command's. */
static pid_t
later(long long ms, const char *cmd)
{
	char line[4096];
	pid_t child;

	assert_true(snprintf(line, sizeof(line), "sleep %lld.%03lld; %s", ms / 1000, ms % 1000, cmd) <
	    (int)sizeof(line));
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	return child;
}

/* The stack script's pg-start, as a command for later(). */
static const char *
start_server_cmd(char *buf, size_t len)
{
	assert_true(snprintf(buf, len, "'%s' pg-start '%s'", support_env("STACK_SCRIPT"), support_env("STACK_DIR")) <
	    (int)len);
	return buf;
}

/* Ending db's session from another connection, as an administrator would, as a command for later(). */
static const char *
terminate_cmd(struct db *db, char *buf, size_t len)
{
	assert_true(snprintf(buf, len, "$PSQL -c 'SELECT pg_terminate_backend(%d)' >/dev/null",
	    PQbackendPID(db_conn(db))) < (int)len);
	return buf;
}

static int
setup(void **state)
{
	(void)state;
	support_sql_do(adm(), "DROP TABLE IF EXISTS db_probe", 0, NULL);
	support_sql_do(adm(), "CREATE TABLE db_probe (note text UNIQUE)", 0, NULL);
	return 0;
}

static void
test_session_killed_while_idle(void **state)
{
	struct db *db = open_db(0); /* no budget: the one immediate reconnect is not part of it */
	char err[256];
	long long took;

	(void)state;
	assert_int_equal(run(db, &select_stmt, NULL, &took, err, sizeof(err)), DB_OK);
	kill_session(db);
	assert_int_equal(run(db, &select_stmt, NULL, &took, err, sizeof(err)), DB_OK);
	assert_true(db_is_connected(db));
	db_free(db);
}

/* A session killed while idle is noticed before the next statement is sent: even one not safe to repeat
 * goes, once, to a fresh session (a runner's outcome write must not fail because its session was killed
 * during a GPU call). */
static void
test_statement_not_safe_to_repeat_after_idle_kill(void **state)
{
	struct db *db = open_db(2000);
	char err[256];
	long long took;

	(void)state;
	assert_int_equal(run(db, &insert_once_stmt, "warm-up", &took, err, sizeof(err)), DB_OK);
	kill_session(db);
	assert_int_equal(run(db, &insert_once_stmt, "after-kill", &took, err, sizeof(err)), DB_OK);
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM db_probe WHERE note = 'after-kill'", 0, NULL), 1);
	db_free(db);
}

/* Killed while it runs, a statement not declared safe to repeat is reported unavailable, not repeated
 * (its outcome is unknown); the next call opens a fresh connection. */
static void
test_statement_not_safe_to_repeat_is_not_repeated(void **state)
{
	struct db *db = open_db(2000);
	char err[256], cmd[4096];
	long long took;
	pid_t child;
	int status;
	enum db_status st;

	(void)state;
	assert_int_equal(run(db, &insert_once_stmt, "warm-up", &took, err, sizeof(err)), DB_OK);
	child = later(500, terminate_cmd(db, cmd, sizeof(cmd)));
	st = run(db, &insert_slow_stmt, "mid-call", &took, err, sizeof(err));
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(st, DB_UNAVAILABLE);
	assert_true(took < 1900); /* ended by the kill, not run again */
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM db_probe WHERE note = 'mid-call'", 0, NULL), 0);
	assert_int_equal(run(db, &insert_once_stmt, "after-kill", &took, err, sizeof(err)), DB_OK);
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM db_probe WHERE note = 'after-kill'", 0, NULL), 1);
	db_free(db);
}

static void
test_nothing_repeated_inside_a_transaction(void **state)
{
	struct db *db = open_db(2000);
	char err[256];
	long long took;

	(void)state;
	assert_int_equal(db_begin(db, err, sizeof(err)), DB_OK);
	assert_int_equal(run(db, &insert_safe_stmt, "in-tx-1", &took, err, sizeof(err)), DB_OK);
	kill_session(db);
	/* Repeating on a fresh connection would write in-tx-2 outside the transaction that lost in-tx-1, and
	 * so would any later statement until the transaction is ended. */
	assert_int_equal(run(db, &insert_safe_stmt, "in-tx-2", &took, err, sizeof(err)), DB_UNAVAILABLE);
	assert_int_equal(run(db, &insert_safe_stmt, "in-tx-3", &took, err, sizeof(err)), DB_UNAVAILABLE);
	assert_int_equal(db_commit(db, err, sizeof(err)), DB_UNAVAILABLE);
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM db_probe WHERE note LIKE 'in-tx-%'", 0, NULL), 0);
	/* ended: the next statement gets a fresh connection */
	assert_int_equal(run(db, &insert_safe_stmt, "after-tx", &took, err, sizeof(err)), DB_OK);
	db_free(db);
}

/* COMMIT after a failed statement is PostgreSQL's ROLLBACK: reported as an error, nothing written. */
static void
test_commit_of_a_failed_transaction(void **state)
{
	struct db *db = open_db(2000);
	char err[256];
	long long took;

	(void)state;
	assert_int_equal(db_begin(db, err, sizeof(err)), DB_OK);
	assert_int_equal(run(db, &insert_safe_stmt, "doomed", &took, err, sizeof(err)), DB_OK);
	assert_int_equal(run(db, &bad_stmt, NULL, &took, err, sizeof(err)), DB_ERROR);
	assert_int_equal(db_commit(db, err, sizeof(err)), DB_ERROR);
	assert_non_null(strstr(err, "rolled back"));
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM db_probe WHERE note = 'doomed'", 0, NULL), 0);
	assert_int_equal(db_begin(db, err, sizeof(err)), DB_OK);
	assert_int_equal(run(db, &insert_safe_stmt, "kept", &took, err, sizeof(err)), DB_OK);
	assert_int_equal(db_commit(db, err, sizeof(err)), DB_OK);
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM db_probe WHERE note = 'kept'", 0, NULL), 1);
	db_free(db);
}

static void
test_error_retrying_cannot_fix_is_reported_at_once(void **state)
{
	struct db *db = open_db(5000);
	char err[256];
	long long took;

	(void)state;
	assert_int_equal(run(db, &bad_stmt, NULL, &took, err, sizeof(err)), DB_ERROR);
	assert_non_null(strstr(err, "no_such_column"));
	assert_true(took < 2000); /* not a wait for the 5 s budget */
	db_free(db);
}

/* A database restart: the statement started while it was down completes once it is back. */
static void
test_restart_within_the_budget(void **state)
{
	struct db *db = open_db(30000); /* generous: pg_ctl start takes a fraction of it */
	char err[256], cmd[4096];
	long long took;
	pid_t child;
	int status;
	enum db_status st;

	(void)state;
	assert_int_equal(run(db, &insert_safe_stmt, "before-restart", &took, err, sizeof(err)), DB_OK);
	stack("pg-stop");
	child = later(300, start_server_cmd(cmd, sizeof(cmd)));
	st = run(db, &insert_safe_stmt, "during-restart", &took, err, sizeof(err));
	assert_int_equal(waitpid(child, &status, 0), child); /* the server is up again, whatever happened */
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(st, DB_OK);
	assert_true(took >= 250); /* it did wait for the server */
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM db_probe WHERE note = 'during-restart'", 0, NULL), 1);
	db_free(db);
}

/* A database that stays down: unavailable, after about the budget, and the process is not stuck. */
static void
test_down_for_good(void **state)
{
	struct db *db = open_db(400);
	struct db *impatient = open_db(0);
	char err[256];
	long long took;

	(void)state;
	stack("pg-stop");
	assert_int_equal(run(db, &select_stmt, NULL, &took, err, sizeof(err)), DB_UNAVAILABLE);
	assert_true(took >= 150);  /* it tried again ... */
	assert_true(took < 10000); /* ... and gave up */
	assert_null(strstr(err, "password"));
	assert_int_equal(run(impatient, &select_stmt, NULL, &took, err, sizeof(err)), DB_UNAVAILABLE);
	assert_int_equal(run(db, &insert_once_stmt, "while-down", &took, err, sizeof(err)), DB_UNAVAILABLE);
	stack("pg-start");
	assert_int_equal(run(db, &select_stmt, NULL, &took, err, sizeof(err)), DB_OK);
	clock_sleep_ms(300); /* past the 250 ms between connection attempts of a handle without a budget */
	assert_int_equal(run(impatient, &select_stmt, NULL, &took, err, sizeof(err)), DB_OK);
	db_free(db);
	db_free(impatient);
}

/* Enqueues a job keyed key through a proxy that loses the INSERT's answer once it committed, then refuses
 * connections for refuse_ms: the answer must be the committed row (found again by its key), not
 * "unavailable", and there must be exactly one row. */
static void
enqueue_answer_lost(const char *key, long retry_ms, long refuse_ms)
{
	char info[512], err[256];
	const char *params[1] = { key }, *both[2];
	json_object *p = json_object_new_object(), *m = json_object_new_object();
	struct jobs_new job = { .flow = "video_initial_processing", .tenant_id = "t-lost", .video_id = key,
		.parameters = p, .metadata = m, .priority = 50, .base_priority = 50, .idempotency_key = key,
		.max_attempts = 5 };
	struct jobs_enqueued out;
	struct db *db;
	int lost;

	pgproxy_start(conninfo, info, sizeof(info));
	db = open_db_on(info, retry_ms);
	lost = pgproxy_lost();
	pgproxy_lose_next_insert(refuse_ms);
	assert_int_equal(jobs_enqueue(db, &job, &out, err, sizeof(err)), DB_OK);
	assert_int_equal(pgproxy_lost(), lost + 1); /* the answer was lost indeed */
	assert_false(out.created);                  /* found again by its key */
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM jobs WHERE idempotency_key = $1", 1, params), 1);
	both[0] = key;
	both[1] = out.id;
	assert_int_equal(support_sql_long(adm(), "SELECT count(*) FROM jobs WHERE idempotency_key = $1 AND id = $2::uuid", 2,
	    both), 1); /* and the answer names it */
	json_object_put(out.tags);
	json_object_put(p);
	json_object_put(m);
	db_free(db);
	pgproxy_stop();
}

static void
test_enqueue_answer_lost_after_commit(void **state)
{
	(void)state;
	enqueue_answer_lost("lost-answer", 2000, 0);
}

/* The database away longer than DB_RETRY_MS after the lost answer (the statement's own retries spent),
 * back within the enqueue's second budget: still the committed row, not a 503. */
static void
test_enqueue_answer_lost_then_away_past_the_budget(void **state)
{
	(void)state;
	enqueue_answer_lost("lost-answer-away", 3000, 2100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_session_killed_while_idle, setup),
		cmocka_unit_test_setup(test_statement_not_safe_to_repeat_after_idle_kill, setup),
		cmocka_unit_test_setup(test_statement_not_safe_to_repeat_is_not_repeated, setup),
		cmocka_unit_test_setup(test_nothing_repeated_inside_a_transaction, setup),
		cmocka_unit_test_setup(test_commit_of_a_failed_transaction, setup),
		cmocka_unit_test_setup(test_error_retrying_cannot_fix_is_reported_at_once, setup),
		cmocka_unit_test_setup(test_restart_within_the_budget, setup),
		cmocka_unit_test_setup(test_down_for_good, setup),
		cmocka_unit_test_setup(test_enqueue_answer_lost_after_commit, setup),
		cmocka_unit_test_setup(test_enqueue_answer_lost_then_away_past_the_budget, setup),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	conninfo = support_env("DATABASE_URL");
	(void)support_env("STACK_SCRIPT");
	(void)support_env("STACK_DIR");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	PQfinish(admin);
	return rc;
}
