/* show.c: `captionacc-runner show VIDEO_ID`: what a user wants to see of one video: its status and
 * metadata from the database and, once caption_ocr has run, the captions with their time ranges (read
 * from captions.db on S3). */
#include "runner/runner.h"

#include "shared/local/framedb.h"
#include "shared/local/scratch.h"
#include "shared/clients/storage.h"
#include "shared/str.h"
#include "shared/validate.h"
#include "shared/views/video_view.h"

#include <stdio.h>
#include <string.h>

static const char *const fields[] = {
	"tenant_id", "status", "error_message", "storage_key", "duration_seconds", "frame_width", "frame_height",
	"video_codec", "bitrate", "frame_count", "ocr_box_count", "failed_ocr_count", "processing_duration_seconds",
	"full_frames_key", "raw_ocr_db_key", "layout_db_key", "layout_version", "crop_left", "crop_top", "crop_right",
	"crop_bottom", "cropped_frames_key", "caption_frame_extents_key", "captions_db_key", "updated_at",
};

static int
print_caption(void *arg, sqlite3_stmt *row)
{
	int *n = arg;
	const unsigned char *text = sqlite3_column_text(row, 3);

	printf("  %3lld  %7.2f s - %7.2f s  %s\n", (long long)sqlite3_column_int64(row, 0), sqlite3_column_double(row, 1),
	    sqlite3_column_double(row, 2), text ? (const char *)text : "");
	(*n)++;
	return 0;
}

/* Downloads captions.db into a scratch directory and prints its captions in time order. */
static int
print_captions(struct runner *r, const char *tenant_id, const char *key)
{
	char dir[4096], path[4096], err[512];
	struct storage s3;
	struct framedb db = { 0 };
	int n = 0, rc = -1;

	if (storage_open(&s3, &r->cfg, err, sizeof(err)) != 0) {
		printf("captions: not shown (%s)\n", err);
		return 0;
	}
	if (scratch_make(dir, sizeof(dir), r->cfg.local_work_dir, "captionacc-show") != 0) {
		fprintf(stderr, "captionacc-runner: show: no scratch directory under LOCAL_WORK_DIR\n");
		return -1;
	}
	if (str_fmt(path, sizeof(path), "%s/captions.db", dir) != 0) {
		fprintf(stderr, "captionacc-runner: show: no scratch directory under LOCAL_WORK_DIR\n");
		goto out;
	}
	if (storage_get_file(&s3, tenant_id, key, path, err, sizeof(err)) != STORAGE_OK) {
		fprintf(stderr, "captionacc-runner: show: %s\n", err);
		goto out;
	}
	if (framedb_open(&db, path, framedb_captions_schema, err, sizeof(err)) != 0) {
		fprintf(stderr, "captionacc-runner: show: %s\n", err);
		goto out;
	}
	printf("captions:\n");
	if (framedb_each(&db, "SELECT id, start_time, end_time, text FROM captions ORDER BY start_time, id", print_caption,
	    &n, "") != 0) {
		fprintf(stderr, "captionacc-runner: show: %s\n", framedb_error(&db));
		goto out;
	}
	if (n == 0)
		printf("  (none)\n");
	rc = 0;
out:
	(void)framedb_close(&db, false, NULL, 0);
	(void)scratch_remove(dir);
	return rc;
}

int
show_command(struct runner *r, int argc, char **argv)
{
	json_object *row = NULL, *v;
	char err[512];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: captionacc-runner show VIDEO_ID\n");
		return 2;
	}
	if (!validate_id(argv[1])) {
		fprintf(stderr, "captionacc-runner: show: VIDEO_ID must be an id of 1-128 letters, digits, _ or -\n");
		return 2;
	}
	if (video_view_get(r->db, argv[1], NULL, &row, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "captionacc-runner: show: %s\n", err);
		return 1;
	}
	if (row == NULL) {
		fprintf(stderr, "captionacc-runner: show: no video %s\n", argv[1]);
		return 1;
	}
	printf("video %s\n", argv[1]);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (json_object_object_get_ex(row, fields[i], &v) && v != NULL)
			printf("  %-28s %s\n", fields[i], json_object_get_string(v));
	rc = 0;
	{
		json_object *key = NULL, *tenant = NULL;

		if (json_object_object_get_ex(row, "captions_db_key", &key) && json_object_is_type(key, json_type_string) &&
		    json_object_object_get_ex(row, "tenant_id", &tenant) && json_object_is_type(tenant, json_type_string) &&
		    print_captions(r, json_object_get_string(tenant), json_object_get_string(key)) != 0)
			rc = 1;
	}
	json_object_put(row);
	return rc;
}
