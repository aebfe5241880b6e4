/* migrate.c: `captionacc-runner migrate`: applies the embedded sql/ migrations in order, each in its own
 * transaction under an advisory lock, recording them in schema_migrations. Running it again changes
 * nothing; two running at once apply each migration once. */
#include "runner/migrations.h"
#include "runner/runner.h"

#include "shared/log.h"
#include "shared/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An arbitrary constant shared by every migrate run: 'CAMG'. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(1128353095)"

static const struct db_stmt applied_stmt = {
	"migrate_applied", "SELECT 1 FROM schema_migrations WHERE version = $1", 1, false
};
static const struct db_stmt record_stmt = {
	"migrate_record", "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2)", 2, false
};

/* Creates the schema if needed; the name is a validated identifier, quoted by libpq all the same. */
static int
ensure_schema(struct runner *r, char *err, size_t errlen)
{
	char sql[512];
	char *quoted;
	int rc = -1;

	if (db_connect(r->db, err, errlen) != DB_OK)
		return -1;
	quoted = PQescapeIdentifier(db_conn(r->db), db_schema(r->db), strlen(db_schema(r->db)));
	if (quoted == NULL) {
		(void)str_fmt(err, errlen, "cannot quote schema name");
		return -1;
	}
	/* Under the migrate lock: two concurrent CREATE SCHEMA IF NOT EXISTS can still collide. */
	if (str_fmt(sql, sizeof(sql), "BEGIN; " MIGRATE_LOCK_SQL "; CREATE SCHEMA IF NOT EXISTS %s; COMMIT",
	    quoted) == 0 && db_script(r->db, sql, err, errlen) == DB_OK)
		rc = 0;
	PQfreemem(quoted);
	if (rc != 0 && db_is_connected(r->db)) {
		char ignored[256];

		(void)db_script(r->db, "ROLLBACK", ignored, sizeof(ignored));
	}
	return rc;
}

/* Applies one migration if it is not recorded yet. Returns 1 applied, 0 already there, -1 error. */
static int
apply_one(struct runner *r, const struct migration *m, char *err, size_t errlen)
{
	char version[16];
	const char *params[2] = { version, m->name };
	enum db_status st;
	PGresult *res = NULL;
	int rc = -1;

	if (str_fmt(version, sizeof(version), "%d", m->version) != 0)
		return -1;
	if (db_script(r->db, "BEGIN", err, errlen) != DB_OK)
		return -1;
	if (db_script(r->db, MIGRATE_LOCK_SQL, err, errlen) != DB_OK ||
	    db_script(r->db,
		"CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
		" applied_at timestamptz NOT NULL DEFAULT now())", err, errlen) != DB_OK)
		goto out;
	if ((res = db_exec(r->db, &applied_stmt, params, &st, err, errlen)) == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		rc = 0;
		goto out;
	}
	PQclear(res);
	res = NULL;
	if (db_script(r->db, m->sql, err, errlen) != DB_OK)
		goto out;
	if ((res = db_exec(r->db, &record_stmt, params, &st, err, errlen)) == NULL)
		goto out;
	rc = 1;
out:
	PQclear(res);
	if (rc >= 0) {
		if (db_script(r->db, "COMMIT", err, errlen) != DB_OK)
			rc = -1;
	} else if (db_is_connected(r->db)) {
		char ignored[256];

		(void)db_script(r->db, "ROLLBACK", ignored, sizeof(ignored));
	}
	return rc;
}

int
migrate_command(struct runner *r, int argc, char **argv)
{
	char err[1024];
	int applied = 0, last = 0;

	if (argc > 1) {
		fprintf(stderr, "captionacc-runner: migrate takes no arguments\n");
		return 2;
	}
	if (ensure_schema(r, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-runner: migrate: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < migrations_count; i++) {
		int rc = apply_one(r, &migrations_list[i], err, sizeof(err));

		if (rc < 0) {
			fprintf(stderr, "captionacc-runner: migrate: %s failed: %s\n", migrations_list[i].name, err);
			return 1;
		}
		if (rc == 1) {
			printf("applied %s\n", migrations_list[i].name);
			log_info("migration %s applied", migrations_list[i].name);
			applied++;
		}
		last = migrations_list[i].version;
	}
	printf("schema \"%s\" is at version %d (%d migration%s applied now)\n", db_schema(r->db), last, applied,
	    applied == 1 ? "" : "s");
	return 0;
}
