/* db.h: one persistent libpq connection per process, parameterised prepared statements only, and
 * transparent reconnection: a lost connection is re-opened on the next call (at most every 250 ms). */
#ifndef CAPTIONACC_DB_H
#define CAPTIONACC_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct config;
struct db;

enum db_status {
	DB_OK,
	DB_UNAVAILABLE, /* cannot reach the database, or a transient failure: try again later (503) */
	DB_ERROR        /* the statement failed for a reason retrying will not fix */
};

/* A statement is declared once as a static constant; db.c prepares it on first use per connection. */
struct db_stmt {
	const char *name;   /* unique per process */
	const char *sql;    /* constant text with $1..$n */
	int nparams;
	bool idempotent;    /* safe to run again on a fresh connection if the old one died mid-call */
};

/* Copies what it needs from cfg; does not connect yet. Returns NULL on allocation failure. Free with
 * db_free(). */
struct db *db_new(const struct config *cfg, const char *appname);
void db_free(struct db *db);
/* Makes sure a connection is open; DB_OK or DB_UNAVAILABLE with the reason in err. */
enum db_status db_connect(struct db *db, char *err, size_t errlen);
/* Waits until a connection is open (trying every 250 ms) or until clock_ms() reaches until_ms, or stop(arg)
 * says so (stop may be NULL). For a process that rides out an outage instead of exiting. */
enum db_status db_wait(struct db *db, long long until_ms, bool (*stop)(void *arg), void *arg, char *err,
    size_t errlen);
/* Runs stmt with text params (NULL = SQL NULL). On DB_OK returns the result (caller PQclear()s it);
 * otherwise returns NULL with *st and a one-line reason in err. */
PGresult *db_exec(struct db *db, const struct db_stmt *stmt, const char *const *params, enum db_status *st,
    char *err, size_t errlen);
/* Runs constant SQL text (one or more statements, no parameters): migrations, BEGIN/COMMIT. */
enum db_status db_script(struct db *db, const char *sql, char *err, size_t errlen);
/* A transaction on the connection. While one is open a lost connection is never replaced behind the
 * caller's back (the rest would run outside it): every call fails as unavailable until db_commit or
 * db_rollback ends it. db_commit says DB_ERROR when PostgreSQL rolled the transaction back instead (an
 * earlier statement failed), DB_UNAVAILABLE when the connection died (the outcome is then unknown). */
enum db_status db_begin(struct db *db, char *err, size_t errlen);
enum db_status db_commit(struct db *db, char *err, size_t errlen);
/* Ends the transaction, rolling back what it did (nothing to do when the connection is gone). */
void db_rollback(struct db *db);
/* True if the last failure left the connection unusable; the next call reconnects. */
bool db_is_connected(const struct db *db);
/* The schema (validated identifier) the connection's search_path points at. */
const char *db_schema(const struct db *db);
/* The open connection, or NULL; for LISTEN/NOTIFY and other session features. */
PGconn *db_conn(struct db *db);

#endif
