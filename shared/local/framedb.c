/* framedb.c: schemas of the per-video databases and a small bound-parameter layer over SQLite (no SQL is
 * ever built from text). Boxes are stored in pixels and as fractions of the frame, so the layout tools
 * need not know the frame size. */
#include "shared/local/framedb.h"

#include "shared/str.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char framedb_raw_ocr_schema[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS frames (frame_index INTEGER PRIMARY KEY, time_seconds REAL NOT NULL,"
	"  ocr_ok INTEGER NOT NULL, box_count INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ocr_boxes (id INTEGER PRIMARY KEY, frame_index INTEGER NOT NULL,"
	"  text TEXT NOT NULL, confidence REAL NOT NULL, x INTEGER NOT NULL, y INTEGER NOT NULL,"
	"  width INTEGER NOT NULL, height INTEGER NOT NULL, left REAL NOT NULL, top REAL NOT NULL,"
	"  right REAL NOT NULL, bottom REAL NOT NULL);"
	"CREATE INDEX IF NOT EXISTS ocr_boxes_frame ON ocr_boxes (frame_index);";

const char framedb_layout_schema[] =
	"CREATE TABLE IF NOT EXISTS video_layout_config (id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  frame_width INTEGER NOT NULL, frame_height INTEGER NOT NULL, frame_count INTEGER NOT NULL,"
	"  frame_rate REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS boxes (id INTEGER PRIMARY KEY, frame_index INTEGER NOT NULL,"
	"  text TEXT NOT NULL, confidence REAL NOT NULL, left REAL NOT NULL, top REAL NOT NULL,"
	"  right REAL NOT NULL, bottom REAL NOT NULL, label TEXT);";

const char framedb_extents_schema[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS frames (frame_index INTEGER PRIMARY KEY, time_seconds REAL NOT NULL,"
	"  frame_key TEXT NOT NULL, text TEXT NOT NULL, confidence REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS caption_frame_extents (id INTEGER PRIMARY KEY,"
	"  start_frame INTEGER NOT NULL, end_frame INTEGER NOT NULL, start_time REAL NOT NULL,"
	"  end_time REAL NOT NULL, frame_key TEXT NOT NULL, text_guess TEXT NOT NULL,"
	"  confidence REAL NOT NULL DEFAULT 0);";

const char framedb_captions_schema[] =
	"CREATE TABLE IF NOT EXISTS captions (id INTEGER PRIMARY KEY, layout_version INTEGER NOT NULL,"
	"  start_frame INTEGER NOT NULL, end_frame INTEGER NOT NULL, start_time REAL NOT NULL,"
	"  end_time REAL NOT NULL, text TEXT NOT NULL, confidence REAL NOT NULL, ocr_ok INTEGER NOT NULL,"
	"  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));";

int
framedb_open(struct framedb *f, const char *path, const char *schema, char *err, size_t errlen)
{
	char *msg = NULL;

	f->db = NULL;
	if (str_copy(f->path, sizeof(f->path), path) != 0) {
		(void)str_fmt(err, errlen, "database path too long");
		return -1;
	}
	if (sqlite3_open_v2(path, &f->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(f->db, "PRAGMA journal_mode = DELETE; PRAGMA foreign_keys = ON;", NULL, NULL, &msg) !=
	    SQLITE_OK ||
	    sqlite3_exec(f->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(f->db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK) {
		(void)str_fmt(err, errlen, "SQLite %s: %s", path, msg ? msg : (f->db ? sqlite3_errmsg(f->db) : "cannot open"));
		sqlite3_free(msg);
		sqlite3_close(f->db);
		f->db = NULL;
		return -1;
	}
	return 0;
}

static int
bind(sqlite3_stmt *st, const char *types, va_list ap)
{
	for (int i = 0; types[i] != '\0'; i++) {
		int rc;

		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int64(st, i + 1, (sqlite3_int64)va_arg(ap, long long));
			break;
		case 'd':
			rc = sqlite3_bind_double(st, i + 1, va_arg(ap, double));
			break;
		case 't': {
			const char *s = va_arg(ap, const char *);

			rc = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
			break;
		}
		default:
			return -1;
		}
		if (rc != SQLITE_OK)
			return -1;
	}
	return 0;
}

static int
vrun(struct framedb *f, const char *sql, int (*fn)(void *, sqlite3_stmt *), void *arg, const char *types,
    va_list ap)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	if (sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) != SQLITE_OK || bind(st, types, ap) != 0)
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (fn == NULL || fn(arg, st) != 0)
			break;
	rc = (step == SQLITE_DONE || step == SQLITE_ROW) ? 0 : -1;
out:
	sqlite3_finalize(st);
	return rc;
}

int
framedb_exec(struct framedb *f, const char *sql, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = vrun(f, sql, NULL, NULL, types, ap);
	va_end(ap);
	return rc;
}

int
framedb_each(struct framedb *f, const char *sql, int (*fn)(void *arg, sqlite3_stmt *row), void *arg,
    const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = vrun(f, sql, fn, arg, types, ap);
	va_end(ap);
	return rc;
}

const char *
framedb_error(const struct framedb *f)
{
	return f->db ? sqlite3_errmsg(f->db) : "not open";
}

int
framedb_close(struct framedb *f, bool commit, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = 0;

	if (f->db == NULL)
		return 0;
	if (sqlite3_exec(f->db, commit ? "COMMIT" : "ROLLBACK", NULL, NULL, &msg) != SQLITE_OK && commit) {
		(void)str_fmt(err, errlen, "SQLite %s: %s", f->path, msg ? msg : "commit failed");
		rc = -1;
	}
	sqlite3_free(msg);
	if (sqlite3_close(f->db) != SQLITE_OK && rc == 0) {
		(void)str_fmt(err, errlen, "SQLite %s: cannot close", f->path);
		rc = -1;
	}
	f->db = NULL;
	return rc;
}
