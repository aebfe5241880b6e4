/* modal_double.c: a Modal web-endpoint test double (libmicrohttpd) following reference/modal.md.
 * Paths are /<function>/<mode>, function one of extract, crop, caption (the result object each returns
 * is the one the seed's mock_modal_result describes, with keys under the request's tenant and video):
 *   ok          200 result                    partial   200 result with failed_ocr_count 7
 *   redirect    303 to /<function>/result?call_id=..., whose GET answers 200 result
 *   slow?ms=N   waits N ms, then 200          flaky?fail=N  500 for the first N calls, then 200
 *   429, 500, 404  that status (404 body "invalid function call")   malformed  200 with a broken body
 *   reset       the connection closed without an answer
 *   spawn?ms=N  200 {"call_id"}; GET /<function>/poll?call_id=... answers 202 until N ms passed, then 200
 * Without Modal-Key/Modal-Secret equal to MODAL_DOUBLE_KEY/MODAL_DOUBLE_SECRET (when set) it answers 401.
 * GET /_stats gives {"calls": n, "spawns": n, "paths": {path: n}, "videos": {"<function>:<video_id>": n}}
 * (videos: the calls that start work, not polls); POST /_reset zeroes them.
 * usage: modal_double PORTFILE   (binds 127.0.0.1 on a free port, writes it to PORTFILE, runs until SIGTERM) */
#include "tests/doubles/serve.h"

#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (1024 * 1024)
#define MAX_CALLS 4096

struct spawned {
	char id[32];
	long long ready_ms;
	char *result;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_object *path_counts, *video_counts;
static long calls, spawns, next_call, flaky_seen[3], crop_versions;
static struct spawned spawned[MAX_CALLS];
static int nspawned;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *body, const char *location)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (location != NULL)
		MHD_add_response_header(r, "Location", location);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *
arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static long
arg_long(struct MHD_Connection *c, const char *name, long def)
{
	const char *v = arg(c, name);

	return v ? strtol(v, NULL, 10) : def;
}

/* The function's result for a request body (tenant_id, video_id, caption_ids). Caller frees. */
static char *
result_for(const char *fn, const char *body, bool partial)
{
	json_object *in = body ? json_tokener_parse(body) : NULL, *out = json_object_new_object(), *v;
	const char *t = "tenant", *vid = "video";
	char key[512];
	char *text;

	if (in != NULL && json_object_object_get_ex(in, "tenant_id", &v))
		t = json_object_get_string(v);
	if (in != NULL && json_object_object_get_ex(in, "video_id", &v))
		vid = json_object_get_string(v);
	if (strcmp(fn, "extract") == 0) {
		json_object_object_add(out, "frame_count", json_object_new_int(100));
		json_object_object_add(out, "duration", json_object_new_double(10.0));
		json_object_object_add(out, "frame_width", json_object_new_int(1920));
		json_object_object_add(out, "frame_height", json_object_new_int(1080));
		json_object_object_add(out, "video_codec", json_object_new_string("h264"));
		json_object_object_add(out, "bitrate", json_object_new_int(5000000));
		json_object_object_add(out, "ocr_box_count", json_object_new_int(50));
		json_object_object_add(out, "failed_ocr_count", json_object_new_int(partial ? 7 : 0));
		json_object_object_add(out, "processing_duration_seconds", json_object_new_double(45.0));
		snprintf(key, sizeof(key), "%s/%s/full_frames/", t, vid);
		json_object_object_add(out, "full_frames_key", json_object_new_string(key));
		snprintf(key, sizeof(key), "%s/%s/raw-ocr.db.gz", t, vid);
		json_object_object_add(out, "ocr_db_key", json_object_new_string(key));
		snprintf(key, sizeof(key), "%s/%s/layout.db.gz", t, vid);
		json_object_object_add(out, "layout_db_key", json_object_new_string(key));
	} else if (strcmp(fn, "crop") == 0) {
		long n = ++crop_versions;

		json_object_object_add(out, "version", json_object_new_int((int)n));
		snprintf(key, sizeof(key), "%s/%s/cropped_frames_v%ld/", t, vid, n);
		json_object_object_add(out, "cropped_frames_key", json_object_new_string(key));
		snprintf(key, sizeof(key), "%s/%s/caption_frame_extents_v%ld.db", t, vid, n);
		json_object_object_add(out, "caption_frame_extents_key", json_object_new_string(key));
		json_object_object_add(out, "frame_count", json_object_new_int(100));
	} else {
		json_object *ids = NULL;

		snprintf(key, sizeof(key), "%s/%s/captions.db", t, vid);
		json_object_object_add(out, "captions_db_key", json_object_new_string(key));
		json_object_object_add(out, "caption_count", json_object_new_int(in && json_object_object_get_ex(in,
		    "caption_ids", &ids) ? (int)json_object_array_length(ids) : 0));
	}
	text = strdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(in);
	json_object_put(out);
	return text;
}

/* One more call that starts fn's work for the body's video (under mu). */
static void
count_video(const char *fn, const char *body)
{
	json_object *in = body ? json_tokener_parse(body) : NULL, *v, *n;
	char k[160];

	if (in != NULL && json_object_object_get_ex(in, "video_id", &v) && json_object_is_type(v, json_type_string)) {
		snprintf(k, sizeof(k), "%s:%.120s", fn, json_object_get_string(v));
		n = json_object_object_get(video_counts, k);
		json_object_object_add(video_counts, k, json_object_new_int64(n ? json_object_get_int64(n) + 1 : 1));
	}
	json_object_put(in);
}

static int
fn_index(const char *fn)
{
	return strcmp(fn, "extract") == 0 ? 0 : strcmp(fn, "crop") == 0 ? 1 : strcmp(fn, "caption") == 0 ? 2 : -1;
}

static enum MHD_Result
serve(struct MHD_Connection *c, const char *method, const char *url, const char *body)
{
	const char *key = getenv("MODAL_DOUBLE_KEY"), *secret = getenv("MODAL_DOUBLE_SECRET");
	char fn[32] = "", mode[32] = "", loc[256];
	char *res;
	enum MHD_Result ret;
	json_object *n;

	if (strcmp(url, "/_stats") == 0) {
		json_object *o = json_object_new_object();

		pthread_mutex_lock(&mu);
		json_object_object_add(o, "calls", json_object_new_int64(calls));
		json_object_object_add(o, "spawns", json_object_new_int64(spawns));
		json_object_object_add(o, "videos", json_object_get(video_counts));
		json_object_object_add(o, "paths", json_object_get(path_counts));
		ret = reply(c, 200, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), NULL);
		pthread_mutex_unlock(&mu);
		json_object_put(o);
		return ret;
	}
	if (strcmp(url, "/_reset") == 0) {
		pthread_mutex_lock(&mu);
		json_object_put(path_counts);
		path_counts = json_object_new_object();
		json_object_put(video_counts);
		video_counts = json_object_new_object();
		calls = spawns = 0;
		memset(flaky_seen, 0, sizeof(flaky_seen));
		pthread_mutex_unlock(&mu);
		return reply(c, 200, "{}", NULL);
	}
	if (key != NULL && secret != NULL) {
		const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Modal-Key");
		const char *s = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Modal-Secret");

		if (k == NULL || s == NULL || strcmp(k, key) != 0 || strcmp(s, secret) != 0)
			return reply(c, 401, "modal-http: missing credentials for proxy authorization", NULL);
	}
	if (sscanf(url, "/%31[a-z]/%31[a-z0-9]", fn, mode) != 2 || fn_index(fn) < 0)
		return reply(c, 404, "{\"detail\":\"no such endpoint\"}", NULL);
	pthread_mutex_lock(&mu);
	calls++;
	n = json_object_object_get(path_counts, url);
	json_object_object_add(path_counts, url, json_object_new_int64(n ? json_object_get_int64(n) + 1 : 1));
	if (strcmp(mode, "poll") != 0 && strcmp(mode, "result") != 0)
		count_video(fn, body);
	pthread_mutex_unlock(&mu);

	if (strcmp(mode, "ok") == 0 || strcmp(mode, "partial") == 0 || strcmp(mode, "slow") == 0) {
		if (strcmp(mode, "slow") == 0)
			for (long t = arg_long(c, "ms", 2000); t > 0 && !serve_stopping; t -= 10)
				usleep(10000);
		pthread_mutex_lock(&mu);
		res = result_for(fn, body, strcmp(mode, "partial") == 0);
		pthread_mutex_unlock(&mu);
		ret = reply(c, 200, res, NULL);
		free(res);
		return ret;
	}
	if (strcmp(mode, "flaky") == 0) {
		bool fail;

		pthread_mutex_lock(&mu);
		fail = flaky_seen[fn_index(fn)]++ < arg_long(c, "fail", 1);
		res = fail ? NULL : result_for(fn, body, false);
		pthread_mutex_unlock(&mu);
		if (fail)
			return reply(c, 500, "function execution timed out", NULL);
		ret = reply(c, 200, res, NULL);
		free(res);
		return ret;
	}
	if (strcmp(mode, "redirect") == 0 || strcmp(mode, "spawn") == 0) {
		struct spawned *sp;

		pthread_mutex_lock(&mu);
		if (nspawned >= MAX_CALLS) {
			pthread_mutex_unlock(&mu);
			return reply(c, 500, "too many calls", NULL);
		}
		sp = &spawned[nspawned++];
		snprintf(sp->id, sizeof(sp->id), "fc-%ld", ++next_call);
		sp->ready_ms = now_ms() + (strcmp(mode, "spawn") == 0 ? arg_long(c, "ms", 1000) : 0);
		sp->result = result_for(fn, body, false);
		if (strcmp(mode, "spawn") == 0)
			spawns++;
		snprintf(loc, sizeof(loc), "{\"call_id\":\"%s\"}", sp->id);
		pthread_mutex_unlock(&mu);
		if (strcmp(mode, "spawn") == 0)
			return reply(c, 200, loc, NULL);
		snprintf(loc, sizeof(loc), "/%s/result?call_id=%s", fn, sp->id);
		return reply(c, 303, "", loc);
	}
	if (strcmp(mode, "result") == 0 || strcmp(mode, "poll") == 0) {
		const char *id = arg(c, "call_id");

		if (strcmp(method, "GET") != 0)
			return reply(c, 405, "{\"detail\":\"GET only\"}", NULL);
		pthread_mutex_lock(&mu);
		for (int i = 0; id != NULL && i < nspawned; i++) {
			if (strcmp(spawned[i].id, id) != 0)
				continue;
			if (now_ms() < spawned[i].ready_ms) {
				pthread_mutex_unlock(&mu);
				return reply(c, 202, "{\"status\":\"pending\"}", NULL);
			}
			ret = reply(c, 200, spawned[i].result, NULL);
			pthread_mutex_unlock(&mu);
			return ret;
		}
		pthread_mutex_unlock(&mu);
		return reply(c, 404, "invalid function call", NULL);
	}
	if (strcmp(mode, "malformed") == 0)
		return reply(c, 200, "{\"frame_count\": 1, broken", NULL);
	if (strcmp(mode, "reset") == 0)
		return MHD_NO; /* MHD closes the connection without an answer */
	if (strcmp(mode, "429") == 0)
		return reply(c, 429, "{\"detail\":\"rate limited\"}", NULL);
	if (strcmp(mode, "500") == 0)
		return reply(c, 500, "function execution timed out", NULL);
	if (strcmp(mode, "404") == 0)
		return reply(c, 404, "invalid function call", NULL);
	return reply(c, 404, "{\"detail\":\"no such mode\"}", NULL);
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: modal_double PORTFILE\n");
		return 2;
	}
	path_counts = json_object_new_object();
	video_counts = json_object_new_object();
	rc = serve_until_stopped("modal_double", argv[1], serve);
	for (int i = 0; i < nspawned; i++)
		free(spawned[i].result);
	json_object_put(path_counts);
	json_object_put(video_counts);
	return rc;
}
