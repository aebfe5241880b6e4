/* framedb.h: the per-video SQLite databases the GPU functions write (their schemas are here, documented
 * in the README): raw-ocr.db and layout.db (extract_frames_and_ocr), caption_frame_extents_v{N}.db
 * (crop_and_infer) and captions.db (caption_ocr). */
#ifndef CAPTIONACC_FRAMEDB_H
#define CAPTIONACC_FRAMEDB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

extern const char framedb_raw_ocr_schema[];
extern const char framedb_layout_schema[];
extern const char framedb_extents_schema[];
extern const char framedb_captions_schema[];

struct framedb {
	sqlite3 *db;
	char path[4096];
};

/* Opens (creating) path, applies schema (idempotent CREATE ... IF NOT EXISTS) and begins a transaction. */
int framedb_open(struct framedb *f, const char *path, const char *schema, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* Runs one statement with parameters bound from types: 'i' long long, 'd' double, 't' text (NULL ok),
 * one character per parameter. */
int framedb_exec(struct framedb *f, const char *sql, const char *types, ...) __attribute__((warn_unused_result));
/* Runs a query with bound parameters (as above) and calls fn for each row; fn returns non-zero to stop. */
int framedb_each(struct framedb *f, const char *sql, int (*fn)(void *arg, sqlite3_stmt *row), void *arg,
    const char *types, ...) __attribute__((warn_unused_result));
/* Commits (or rolls back) and closes. Returns -1 with err if the commit failed. */
int framedb_close(struct framedb *f, bool commit, char *err, size_t errlen);
/* The last error of f, for messages. */
const char *framedb_error(const struct framedb *f);

#endif
