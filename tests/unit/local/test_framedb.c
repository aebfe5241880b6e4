/* test_framedb.c: shared/framedb.c: the per-video schemas apply (twice), bound parameters round-trip
 * (text that looks like SQL included), and rollback discards; opens and commits that fail are errors naming
 * the file (gzip is test_gzip.c's). */
#include "shared/local/framedb.h"
#include "shared/local/scratch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof(dir), "/tmp", "test_framedb");
}

static int
teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

struct row {
	long long id;
	double t;
	char text[64];
	int n;
};

static int
keep_row(void *arg, sqlite3_stmt *st)
{
	struct row *r = arg;

	r->id = sqlite3_column_int64(st, 0);
	r->t = sqlite3_column_double(st, 1);
	snprintf(r->text, sizeof(r->text), "%s", (const char *)sqlite3_column_text(st, 2));
	r->n++;
	return 0;
}

static void
test_schemas(void **state)
{
	const char *schemas[] = { framedb_raw_ocr_schema, framedb_layout_schema, framedb_extents_schema,
		framedb_captions_schema };
	char path[128], err[256];
	struct framedb f;

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/s%d.db", dir, i);
		for (int again = 0; again < 2; again++) {
			if (framedb_open(&f, path, schemas[i], err, sizeof(err)) != 0)
				fail_msg("schema %d: %s", i, err);
			assert_int_equal(framedb_close(&f, true, err, sizeof(err)), 0);
		}
	}
}

static void
test_round_trip(void **state)
{
	char path[128], err[256];
	struct framedb f;
	struct row r = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/captions.db", dir);
	assert_int_equal(framedb_open(&f, path, framedb_captions_schema, err, sizeof(err)), 0);
	assert_int_equal(framedb_exec(&f, "INSERT INTO captions (id, layout_version, start_frame, end_frame, start_time,"
	    " end_time, text, confidence, ocr_ok) VALUES (?, 1, 2, 11, ?, 3.0, ?, 95.5, 1)", "idt", 7LL, 0.5,
	    "Robert'); DROP TABLE captions;--"), 0);
	assert_int_equal(framedb_close(&f, true, err, sizeof(err)), 0);
	assert_int_equal(framedb_open(&f, path, framedb_captions_schema, err, sizeof(err)), 0);
	assert_int_equal(framedb_each(&f, "SELECT id, start_time, text FROM captions WHERE id = ?", keep_row, &r, "i",
	    7LL), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.id, 7);
	assert_true(r.t == 0.5);
	assert_string_equal(r.text, "Robert'); DROP TABLE captions;--");
	/* A rolled-back write is gone. */
	assert_int_equal(framedb_exec(&f, "DELETE FROM captions", ""), 0);
	assert_int_equal(framedb_close(&f, false, err, sizeof(err)), 0);
	assert_int_equal(framedb_open(&f, path, framedb_captions_schema, err, sizeof(err)), 0);
	r.n = 0;
	assert_int_equal(framedb_each(&f, "SELECT id, start_time, text FROM captions", keep_row, &r, ""), 0);
	assert_int_equal(r.n, 1);
	/* Bad SQL and bad type letters are errors, not crashes. */
	assert_int_equal(framedb_exec(&f, "INSERT INTO nowhere VALUES (?)", "i", 1LL), -1);
	assert_int_equal(framedb_exec(&f, "SELECT ?", "x", 1LL), -1);
	assert_int_equal(framedb_close(&f, false, err, sizeof(err)), 0);
}

/* Opening fails with a line naming the file (too long a path, no such directory, a schema SQLite
 * refuses) and leaves nothing open; framedb_error says what SQLite said; a commit SQLite refuses (a
 * deferred foreign key) is an error naming the file, and nothing of it is kept. */
static void
test_failures(void **state)
{
	static const char fk_schema[] = "CREATE TABLE IF NOT EXISTS p (id INTEGER PRIMARY KEY);"
	    "CREATE TABLE IF NOT EXISTS c (pid INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);";
	char path[128], err[256], *long_path;
	struct framedb f;
	struct row r = { 0 };

	(void)state;
	long_path = malloc(5000);
	assert_non_null(long_path);
	memset(long_path, 'd', 4999);
	long_path[4999] = '\0';
	assert_int_equal(framedb_open(&f, long_path, fk_schema, err, sizeof(err)), -1);
	assert_string_equal(err, "database path too long");
	free(long_path);

	snprintf(path, sizeof(path), "%s/no-such-dir/x.db", dir);
	assert_int_equal(framedb_open(&f, path, fk_schema, err, sizeof(err)), -1);
	assert_true(strncmp(err, "SQLite ", 7) == 0 && strstr(err, path) != NULL);
	assert_null(f.db);
	assert_string_equal(framedb_error(&f), "not open");
	assert_int_equal(framedb_close(&f, true, err, sizeof(err)), 0);

	snprintf(path, sizeof(path), "%s/fk.db", dir);
	assert_int_equal(framedb_open(&f, path, "CREATE TABLE (", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "syntax error"));
	assert_null(f.db);

	assert_int_equal(framedb_open(&f, path, fk_schema, err, sizeof(err)), 0);
	assert_int_equal(framedb_exec(&f, "SELECT * FROM nowhere", ""), -1);
	assert_non_null(strstr(framedb_error(&f), "no such table: nowhere"));
	assert_int_equal(framedb_exec(&f, "INSERT INTO c (pid) VALUES (?)", "i", 99LL), 0);
	assert_int_equal(framedb_close(&f, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "FOREIGN KEY constraint failed"));
	assert_null(f.db);
	assert_int_equal(framedb_open(&f, path, fk_schema, err, sizeof(err)), 0);
	assert_int_equal(framedb_each(&f, "SELECT pid, 0.0, 'x' FROM c", keep_row, &r, ""), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(framedb_close(&f, false, err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemas),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
