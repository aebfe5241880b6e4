/* caption.c: caption_ocr on this machine: each asked-for caption of the latest caption_frame_extents_v<N>.db, with the
 * text crop_and_infer read from its clean image (one OCR per caption, made there; not read again here),
 * inserted or replaced in <tenant>/server/videos/<video>/captions.db. */
#include "shared/local/functions.h"

#include "shared/local/framedb.h"
#include "shared/local/subtitles.h"
#include "shared/log.h"
#include "shared/str.h"

/* One run: where things go and what it counted. */
struct caption {
	struct call *c;
	long version;                 /* of the extents read */
	char extp[CALL_PATH_LEN], capp[CALL_PATH_LEN];
	char key_ext[CALL_KEY_LEN], key_cap[CALL_KEY_LEN];
	struct framedb ext, cap;
	json_object *missing;         /* ids that are no caption of that version; owned */
	int done, failed;
};

/* One row of caption_frame_extents. */
struct extent_row {
	bool found;
	long long start, end;
	double start_time, end_time, confidence;
	char text[SUBTITLES_TEXT_MAX];
};

static int
read_extent(void *arg, sqlite3_stmt *row)
{
	struct extent_row *e = arg;
	const char *text = (const char *)sqlite3_column_text(row, 4);

	e->start = sqlite3_column_int64(row, 0);
	e->end = sqlite3_column_int64(row, 1);
	e->start_time = sqlite3_column_double(row, 2);
	e->end_time = sqlite3_column_double(row, 3);
	e->confidence = sqlite3_column_double(row, 5);
	e->found = true;
	(void)str_fmt(e->text, sizeof(e->text), "%s", text ? text : "");
	return 1;
}

/* The latest extents version (there must be one), S3 keys and scratch paths. */
static enum localgpu_result
prepare(struct caption *k)
{
	struct call *c = k->c;
	enum localgpu_result r;

	if ((r = call_latest_version(c, &k->version)) != LOCALGPU_OK)
		return r;
	if (k->version == 0)
		return call_fail(c, LOCALGPU_FAIL, "video %s has no caption_frame_extents yet (run crop_and_infer first)",
		    c->video_id);
	if (str_fmt(k->key_ext, sizeof(k->key_ext), "%scaption_frame_extents_v%ld.db", c->server, k->version) != 0 ||
	    str_fmt(k->key_cap, sizeof(k->key_cap), "%scaptions.db", c->server) != 0)
		return call_fail(c, LOCALGPU_FAIL, "keys too long");
	if ((r = call_path(c, k->extp, sizeof(k->extp), "extents.db")) != LOCALGPU_OK ||
	    (r = call_path(c, k->capp, sizeof(k->capp), "captions.db")) != LOCALGPU_OK)
		return r;
	return LOCALGPU_OK;
}

/* Downloads the extents and, since captions.db is updated, the captions.db there is (if any). */
static enum localgpu_result
fetch(struct caption *k)
{
	struct call *c = k->c;
	enum localgpu_result r;
	enum storage_result sr;
	bool have;

	if ((r = call_download(c, k->key_ext, k->extp)) != LOCALGPU_OK)
		return r;
	if ((sr = storage_exists(&c->s3, c->tenant_id, k->key_cap, &have, c->err, c->errlen)) != STORAGE_OK)
		return call_from_storage(sr);
	if (have && (r = call_download(c, k->key_cap, k->capp)) != LOCALGPU_OK)
		return r;
	return LOCALGPU_OK;
}

/* Stores caption id's row with crop_and_infer's reading; an id that is no caption goes to k->missing. */
static enum localgpu_result
store_caption(struct caption *k, long long id)
{
	struct call *c = k->c;
	struct extent_row e = { .found = false };

	if (call_stopping(c))
		return call_fail(c, LOCALGPU_RETRY, "interrupted at caption %lld", id);
	if (framedb_each(&k->ext, "SELECT start_frame, end_frame, start_time, end_time, text_guess, confidence"
	    " FROM caption_frame_extents WHERE id = ?", read_extent, &e, "i", id) != 0)
		return call_fail(c, LOCALGPU_FAIL, "cannot read caption_frame_extents_v%ld.db: %s", k->version,
		    framedb_error(&k->ext));
	if (!e.found) {
		json_object_array_add(k->missing, json_object_new_int64(id));
		return LOCALGPU_OK;
	}
	if (e.text[0] == '\0')
		k->failed++;
	if (framedb_exec(&k->cap, "INSERT OR REPLACE INTO captions (id, layout_version, start_frame, end_frame,"
	    " start_time, end_time, text, confidence, ocr_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "iiiiddtdi", id,
	    (long long)k->version, e.start, e.end, e.start_time, e.end_time, e.text, e.confidence,
	    (long long)(e.text[0] != '\0')) != 0)
		return call_fail(c, LOCALGPU_RETRY, "cannot store caption %lld: %s", id, framedb_error(&k->cap));
	k->done++;
	return LOCALGPU_OK;
}

/* Opens both databases and stores every caption asked for; at least one must be a caption. */
static enum localgpu_result
store_captions(struct caption *k, const struct gpu_input *in)
{
	struct call *c = k->c;
	enum localgpu_result r;

	if (framedb_open(&k->ext, k->extp, framedb_extents_schema, c->err, c->errlen) != 0 ||
	    framedb_open(&k->cap, k->capp, framedb_captions_schema, c->err, c->errlen) != 0)
		return LOCALGPU_FAIL;
	for (size_t i = 0; i < in->ncaption_ids; i++)
		if ((r = store_caption(k, in->caption_ids[i])) != LOCALGPU_OK)
			return r;
	if (k->done == 0)
		return call_fail(c, LOCALGPU_FAIL, "none of the caption_ids is a caption of layout version %ld",
		    k->version);
	return LOCALGPU_OK;
}

/* Commits captions.db and uploads it. */
static enum localgpu_result
save(struct caption *k)
{
	struct call *c = k->c;

	(void)framedb_close(&k->ext, false, NULL, 0);
	if (framedb_close(&k->cap, true, c->err, c->errlen) != 0)
		return LOCALGPU_RETRY;
	return call_upload(c, k->key_cap, k->capp, "application/vnd.sqlite3");
}

/* The result object (caller frees). */
static json_object *
answer(const struct caption *k)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "captions_db_key", json_object_new_string(k->key_cap));
	json_object_object_add(o, "caption_count", json_object_new_int(k->done));
	json_object_object_add(o, "failed_ocr_count", json_object_new_int(k->failed));
	json_object_object_add(o, "version", json_object_new_int((int)k->version));
	json_object_object_add(o, "missing_caption_ids", json_object_get(k->missing));
	json_object_object_add(o, "processing_duration_seconds", json_object_new_double(call_elapsed_seconds(k->c)));
	return o;
}

enum localgpu_result
localgpu_caption_ocr(struct call *c, const struct gpu_input *in, json_object **result)
{
	struct caption k = { .c = c, .missing = json_object_new_array() };
	enum localgpu_result r;

	if ((r = prepare(&k)) != LOCALGPU_OK || (r = fetch(&k)) != LOCALGPU_OK ||
	    (r = store_captions(&k, in)) != LOCALGPU_OK || (r = save(&k)) != LOCALGPU_OK)
		goto out;
	*result = answer(&k);
out:
	(void)framedb_close(&k.ext, false, NULL, 0);
	(void)framedb_close(&k.cap, false, NULL, 0);
	json_object_put(k.missing);
	return r;
}
