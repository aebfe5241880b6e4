/* db.c: the database layer. Statements are prepared lazily per connection and re-prepared after a
 * reconnect; failures are classified as transient (unavailable) or not so callers can answer 503 or 500. */
#include "shared/db.h"

#include "shared/clock.h"
#include "shared/config.h"
#include "shared/log.h"
#include "shared/str.h"
#include "shared/validate.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_MAX_PREPARED 64
#define DB_RECONNECT_INTERVAL_MS 250

struct db {
	PGconn *conn;
	char *url;
	char *schema;
	char appname[64];
	char connect_timeout[16];
	char statement_timeout[24];
	char idle_tx_timeout[24]; /* ms: LEASE_SECONDS (see setup_session) */
	const struct db_stmt *prepared[DB_MAX_PREPARED];
	int nprepared;
	long long last_failed_ms; /* monotonic time of the last failed connect, 0 = none */
	long retry_ms;            /* DB_RETRY_MS: how long an idempotent statement may be retried */
	bool in_tx;               /* between db_begin and db_commit/db_rollback */
	bool server_said_bye;     /* a FATAL message arrived while idle: the session is ending */
};

/* Copies libpq's message without its trailing newline(s). */
static void
set_err(char *err, size_t errlen, const char *prefix, const char *msg)
{
	size_t n;

	(void)str_fmt(err, errlen, "%s%s", prefix, msg ? msg : ""); /* a cut message is still useful */
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r' || err[n - 1] == ' '))
		err[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (err[i] == '\n' || err[i] == '\t')
			err[i] = ' ';
}

struct db *
db_new(const struct config *cfg, const char *appname)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return NULL;
	db->url = strdup(cfg->database_url ? cfg->database_url : "");
	db->schema = strdup(cfg->db_schema);
	db->retry_ms = cfg->db_retry_ms;
	if (db->url == NULL || db->schema == NULL || str_copy(db->appname, sizeof(db->appname), appname) != 0 ||
	    str_fmt(db->connect_timeout, sizeof(db->connect_timeout), "%ld", cfg->db_connect_timeout) != 0 ||
	    str_fmt(db->statement_timeout, sizeof(db->statement_timeout), "%ld", cfg->db_statement_timeout_ms) != 0 ||
	    str_fmt(db->idle_tx_timeout, sizeof(db->idle_tx_timeout), "%ld", cfg->lease_seconds * 1000) != 0) {
		db_free(db);
		return NULL;
	}
	return db;
}

static void
drop_connection(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	drop_connection(db);
	free(db->url);
	free(db->schema);
	free(db);
}

bool
db_is_connected(const struct db *db)
{
	return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

const char *
db_schema(const struct db *db)
{
	return db->schema;
}

PGconn *
db_conn(struct db *db)
{
	return db->conn;
}

/* Messages the server sends outside a statement. A FATAL one (pg_terminate_backend, a shutdown) comes just
 * before the server closes the session: remember it, so the next statement goes to a fresh session. */
static void
on_notice(void *arg, const PGresult *r)
{
	struct db *db = arg;
	const char *severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	if (severity != NULL && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
		db->server_said_bye = true;
	log_debug("database %s: %s", severity ? severity : "notice", msg ? msg : "");
}

/* Session settings every connection gets: our schema first on the search path, a statement timeout,
 * generic plans (every statement is ours, small and prepared, so re-planning per call is pure cost), and
 * no session idle inside a transaction for longer than a lease: a runner frozen (SIGSTOP, a VM pause)
 * between two statements of a job's transaction holds the jobs row FOR UPDATE, which would keep every
 * other runner from taking the job over for as long as it stays frozen; the server ends that session
 * instead, rolling its transaction back, and the resumed runner finds its lease gone. Our transactions
 * only ever wait on the database, so a lease is far more than they idle. */
static enum db_status
setup_session(struct db *db, char *err, size_t errlen)
{
	const char *params[3] = { db->schema, db->statement_timeout, db->idle_tx_timeout };
	PGresult *r = PQexecParams(db->conn,
	    "SELECT set_config('search_path', $1, false), set_config('statement_timeout', $2, false),"
	    " set_config('idle_in_transaction_session_timeout', $3, false),"
	    " set_config('client_min_messages', 'warning', false),"
	    " set_config('plan_cache_mode', 'force_generic_plan', false)", 3, NULL,
	    params, NULL, NULL, 0);
	enum db_status st = DB_OK;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(err, errlen, "cannot set up the database session: ", PQerrorMessage(db->conn));
		st = DB_UNAVAILABLE;
	}
	PQclear(r);
	return st;
}

enum db_status
db_connect(struct db *db, char *err, size_t errlen)
{
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { db->connect_timeout, db->appname, db->url, NULL };
	long long now;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return DB_OK;
	drop_connection(db);
	if (db->in_tx) {
		set_err(err, errlen, "the database connection was lost inside a transaction", NULL);
		return DB_UNAVAILABLE;
	}
	if (!validate_identifier(db->schema)) {
		set_err(err, errlen, "DB_SCHEMA must be a plain lower-case SQL identifier", NULL);
		return DB_UNAVAILABLE;
	}
	now = clock_ms();
	if (db->last_failed_ms != 0 && now - db->last_failed_ms < DB_RECONNECT_INTERVAL_MS) {
		set_err(err, errlen, "database unavailable (last connection attempt failed moments ago)", NULL);
		return DB_UNAVAILABLE;
	}
	/* Array entries before "dbname" can be overridden by the connection string, as libpq documents. */
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		set_err(err, errlen, "cannot connect to the database: ",
		    db->conn ? PQerrorMessage(db->conn) : "out of memory");
		drop_connection(db);
		db->last_failed_ms = clock_ms();
		return DB_UNAVAILABLE;
	}
	db->server_said_bye = false;
	PQsetNoticeReceiver(db->conn, on_notice, db);
	if (setup_session(db, err, errlen) != DB_OK) {
		drop_connection(db);
		db->last_failed_ms = clock_ms();
		return DB_UNAVAILABLE;
	}
	db->last_failed_ms = 0;
	return DB_OK;
}

enum db_status
db_wait(struct db *db, long long until_ms, bool (*stop)(void *arg), void *arg, char *err, size_t errlen)
{
	enum db_status st;

	while ((st = db_connect(db, err, errlen)) == DB_UNAVAILABLE && clock_ms() < until_ms) {
		long long left = until_ms - clock_ms();

		if (!clock_sleep_unless(left < DB_RECONNECT_INTERVAL_MS ? left : DB_RECONNECT_INTERVAL_MS, stop, arg))
			break;
		db->last_failed_ms = 0; /* we waited ourselves */
	}
	return st;
}

/* Transient SQLSTATEs: connection problems (08), shutdown/cancel (57), resources (53), serialization and
 * deadlock (40001, 40P01), and lock_not_available (55P03). */
static bool
transient_state(const char *sqlstate)
{
	if (sqlstate == NULL)
		return true; /* no state: libpq itself failed, typically the connection */
	return strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "57", 2) == 0 ||
	    strncmp(sqlstate, "53", 2) == 0 || strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 ||
	    strcmp(sqlstate, "55P03") == 0;
}

static bool
is_prepared(const struct db *db, const struct db_stmt *stmt)
{
	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == stmt)
			return true;
	return false;
}

/* Classifies a failed result; drops the connection if it is gone. Clears r. */
static enum db_status
fail_result(struct db *db, PGresult *r, char *err, size_t errlen)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	enum db_status st = transient_state(state) ? DB_UNAVAILABLE : DB_ERROR;

	set_err(err, errlen, "", r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
	if (err[0] == '\0')
		set_err(err, errlen, "", PQerrorMessage(db->conn));
	PQclear(r);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		drop_connection(db);
		st = DB_UNAVAILABLE;
	}
	return st;
}

/* A session the server ended while we were idle (pg_terminate_backend, a restart, an idle timeout) has
 * left its goodbye on the socket: read it now and drop the connection, so the statement goes to a fresh
 * one instead of failing with an unknown outcome. One poll() per statement; a NOTIFY that arrived is
 * kept for PQnotifies. */
static void
drop_if_closed(struct db *db)
{
	struct pollfd p = { .fd = PQsocket(db->conn), .events = POLLIN };

	if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		return;
	/* The server's last message (FATAL, seen by on_notice once PQisBusy parses it), then end of file. */
	for (int i = 0; i < 4 && poll(&p, 1, 0) > 0; i++) {
		if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK ||
		    (!PQisBusy(db->conn) && db->server_said_bye)) {
			log_info("database connection closed by the server; reconnecting");
			drop_connection(db);
			return;
		}
	}
}

static PGresult *
exec_once(struct db *db, const struct db_stmt *stmt, const char *const *params, enum db_status *st, char *err,
    size_t errlen)
{
	PGresult *r;
	ExecStatusType rs;

	if (db->conn != NULL)
		drop_if_closed(db);
	if ((*st = db_connect(db, err, errlen)) != DB_OK)
		return NULL;
	if (!is_prepared(db, stmt)) {
		if (db->nprepared >= DB_MAX_PREPARED) {
			set_err(err, errlen, "too many prepared statements (raise DB_MAX_PREPARED)", NULL);
			*st = DB_ERROR;
			return NULL;
		}
		r = PQprepare(db->conn, stmt->name, stmt->sql, stmt->nparams, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			*st = fail_result(db, r, err, errlen);
			return NULL;
		}
		PQclear(r);
		db->prepared[db->nprepared++] = stmt;
	}
	r = PQexecPrepared(db->conn, stmt->name, stmt->nparams, params, NULL, NULL, 0);
	rs = PQresultStatus(r);
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		*st = fail_result(db, r, err, errlen);
		return NULL;
	}
	*st = DB_OK;
	return r;
}

/* Runs stmt; a transient failure of a statement declared idempotent, outside a transaction, is tried
 * again within DB_RETRY_MS. Why: a connection that died while idle (server restart) is only noticed on
 * use, and a moment's trouble (a refused or slow connect, a deadlock victim) must not become a 503 that
 * loses a webhook nobody resends. The first retry after a lost connection is immediate; later ones wait
 * 25, 50, 100 ms ... and stop before the budget would be passed. Inside a transaction nothing is retried:
 * a fresh connection would run the statement outside it. */
PGresult *
db_exec(struct db *db, const struct db_stmt *stmt, const char *const *params, enum db_status *st, char *err,
    size_t errlen)
{
	bool retryable = stmt->idempotent && !db->in_tx &&
	    (db->conn == NULL || PQtransactionStatus(db->conn) == PQTRANS_IDLE);
	long long deadline = clock_ms() + db->retry_ms;
	long long pause = 25;
	PGresult *r;

	for (int attempt = 0;; attempt++) {
		bool had_conn = db->conn != NULL;

		r = exec_once(db, stmt, params, st, err, errlen);
		if (r != NULL || *st != DB_UNAVAILABLE || !retryable)
			return r;
		if (attempt == 0 && had_conn && db->conn == NULL) {
			log_info("database connection lost; reconnecting");
		} else {
			if (clock_ms() + pause > deadline)
				return r;
			if (pause == 25)
				log_info("%s; trying again for up to %ld ms", err, db->retry_ms);
			clock_sleep_ms(pause);
			pause *= 2;
		}
		db->last_failed_ms = 0; /* we waited ourselves: skip the reconnect interval */
	}
}

enum db_status
db_script(struct db *db, const char *sql, char *err, size_t errlen)
{
	PGresult *r;
	enum db_status st;

	if ((st = db_connect(db, err, errlen)) != DB_OK)
		return st;
	r = PQexec(db->conn, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		return fail_result(db, r, err, errlen);
	PQclear(r);
	return DB_OK;
}

enum db_status
db_begin(struct db *db, char *err, size_t errlen)
{
	enum db_status st;

	if (db->in_tx) {
		set_err(err, errlen, "a transaction is already open", NULL);
		return DB_ERROR;
	}
	if (db->conn != NULL)
		drop_if_closed(db);
	if ((st = db_script(db, "BEGIN", err, errlen)) == DB_OK)
		db->in_tx = true;
	return st;
}

enum db_status
db_commit(struct db *db, char *err, size_t errlen)
{
	PGresult *r;
	enum db_status st = DB_OK;

	if (!db->in_tx) {
		set_err(err, errlen, "no transaction is open", NULL);
		return DB_ERROR;
	}
	db->in_tx = false;
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		drop_connection(db);
		set_err(err, errlen, "the database connection was lost inside a transaction", NULL);
		return DB_UNAVAILABLE;
	}
	r = PQexec(db->conn, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return fail_result(db, r, err, errlen);
	/* COMMIT of a failed transaction "succeeds" as ROLLBACK. */
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		set_err(err, errlen, "the transaction was rolled back", NULL);
		st = DB_ERROR;
	}
	PQclear(r);
	return st;
}

void
db_rollback(struct db *db)
{
	db->in_tx = false;
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}
