/* backfill_request.c: strict parsing of the backfill requests (see backfill_request.h). Every refusal is
 * one sentence naming the field, for a 400 or the command line. */
#include "shared/backfill/backfill_request.h"

#include "shared/json.h"
#include "shared/str.h"

#include <string.h>
#include <time.h>

json_object *
backfill_request_body(const char *text, size_t len, char *why, size_t whylen)
{
	json_object *o;

	if (text == NULL || len == 0)
		return json_object_new_object();
	if ((o = json_parse(text, len, why, whylen)) == NULL)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		(void)str_fmt(why, whylen, "the body must be a JSON object");
		return NULL;
	}
	return o;
}

int
backfill_request_this_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return BACKFILL_YEAR_MIN;
	return tm.tm_year + 1900;
}

/* Refuses any member of body not in names (NULL-terminated). */
static int
only_known(json_object *body, const char *const *names, char *why, size_t whylen)
{
	json_object_object_foreach(body, key, val) {
		size_t i = 0;

		(void)val;
		while (names[i] != NULL && strcmp(names[i], key) != 0)
			i++;
		if (names[i] == NULL) {
			(void)str_fmt(why, whylen, "unknown field \"%.64s\"", key);
			return -1;
		}
	}
	return 0;
}

/* A whole number in [min, max] at key; absent or null leaves *out as it is. */
static int
get_int(json_object *body, const char *key, long min, long max, int *out, char *why, size_t whylen)
{
	json_object *v = NULL;
	int64_t n;

	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return 0;
	n = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || n < min || n > max) {
		(void)str_fmt(why, whylen, "%s must be a whole number from %ld to %ld", key, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
get_bool(json_object *body, const char *key, bool *out, char *why, size_t whylen)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		(void)str_fmt(why, whylen, "%s must be true or false", key);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

/* Two years, the first not after the second. */
static int
check_years(const char *what, int from, int to, char *why, size_t whylen)
{
	if (from > to) {
		(void)str_fmt(why, whylen, "%s: the first year (%d) is after the last (%d)", what, from, to);
		return -1;
	}
	return 0;
}

static int
get_year_range(json_object *body, int *from, int *to, char *why, size_t whylen)
{
	json_object *v = NULL, *a, *b;

	if (!json_object_object_get_ex(body, "year_range", &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2 ||
	    !json_object_is_type(a = json_object_array_get_idx(v, 0), json_type_int) ||
	    !json_object_is_type(b = json_object_array_get_idx(v, 1), json_type_int) ||
	    json_object_get_int64(a) < BACKFILL_YEAR_MIN || json_object_get_int64(a) > BACKFILL_YEAR_MAX ||
	    json_object_get_int64(b) < BACKFILL_YEAR_MIN || json_object_get_int64(b) > BACKFILL_YEAR_MAX) {
		(void)str_fmt(why, whylen, "year_range must be [from, to]: two whole numbers from %d to %d",
		    BACKFILL_YEAR_MIN, BACKFILL_YEAR_MAX);
		return -1;
	}
	*from = (int)json_object_get_int64(a);
	*to = (int)json_object_get_int64(b);
	return check_years("year_range", *from, *to, why, whylen);
}

int
backfill_request_seed(json_object *body, int this_year, struct backfill_seed_req *out, char *why, size_t whylen)
{
	static const char *const names[] = { "start_year", "end_year", "batch_size", NULL };
	bool has_start = false, has_end = false;

	*out = (struct backfill_seed_req){ .start_year = -1, .end_year = -1,
		.batch_size = BACKFILL_SEED_BATCH_DEFAULT };
	if (only_known(body, names, why, whylen) != 0 ||
	    get_int(body, "start_year", BACKFILL_YEAR_MIN, BACKFILL_YEAR_MAX, &out->start_year, why, whylen) != 0 ||
	    get_int(body, "end_year", BACKFILL_YEAR_MIN, BACKFILL_YEAR_MAX, &out->end_year, why, whylen) != 0 ||
	    get_int(body, "batch_size", BACKFILL_BATCH_MIN, BACKFILL_BATCH_MAX, &out->batch_size, why, whylen) != 0)
		return -1;
	has_start = out->start_year >= 0;
	has_end = out->end_year >= 0;
	if (!has_end)
		out->end_year = has_start && out->start_year > this_year ? out->start_year : this_year;
	if (!has_start) {
		out->start_year = out->end_year - (BACKFILL_SEED_YEARS_DEFAULT - 1);
		if (out->start_year < BACKFILL_YEAR_MIN)
			out->start_year = BACKFILL_YEAR_MIN;
	}
	if (check_years("start_year and end_year", out->start_year, out->end_year, why, whylen) != 0)
		return -1;
	if (out->end_year - out->start_year + 1 > BACKFILL_SEED_YEARS_MAX) {
		(void)str_fmt(why, whylen, "start_year to end_year spans more than %d years", BACKFILL_SEED_YEARS_MAX);
		return -1;
	}
	return 0;
}

int
backfill_request_schedule(json_object *body, struct backfill_schedule_req *out, char *why, size_t whylen)
{
	static const char *const names[] = { "batch_size", "dry_run", "year_range", "force_retry", NULL };

	*out = (struct backfill_schedule_req){ .batch_size = BACKFILL_SCHEDULE_BATCH_DEFAULT,
		.from_year = BACKFILL_YEAR_MIN, .to_year = BACKFILL_YEAR_MAX };
	if (only_known(body, names, why, whylen) != 0 ||
	    get_int(body, "batch_size", BACKFILL_BATCH_MIN, BACKFILL_BATCH_MAX, &out->batch_size, why, whylen) != 0 ||
	    get_bool(body, "dry_run", &out->dry_run, why, whylen) != 0 ||
	    get_year_range(body, &out->from_year, &out->to_year, why, whylen) != 0 ||
	    get_bool(body, "force_retry", &out->force_retry, why, whylen) != 0)
		return -1;
	return 0;
}
