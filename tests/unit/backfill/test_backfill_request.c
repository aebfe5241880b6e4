/* test_backfill_request.c: the backfill requests' one parser (shared/backfill/backfill_request.c), table
 * driven: valid seed and schedule bodies with their defaults (the 25 years up to this one, batch 20 for
 * seeding and 5 for scheduling, every year, no dry run, no force), and every refusal with the sentence
 * naming the field: batch_size outside 1-50 or not a whole number, years outside 1970-9999 or reversed, a
 * year_range that is not two whole numbers, booleans that are not booleans, unknown fields, bodies that
 * are not objects; empty text is {}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shared/backfill/backfill_request.h"

struct seed_case {
	const char *body;
	int start, end, batch;   /* want; start -1: refused */
	const char *why;         /* words the refusal must contain */
};

struct schedule_case {
	const char *body;
	int batch, from, to;     /* want; batch -1: refused */
	bool dry, force;
	const char *why;
};

static json_object *
body(const char *text)
{
	char why[256];
	json_object *o = backfill_request_body(text, strlen(text), why, sizeof(why));

	if (o == NULL)
		fail_msg("%s: %s", text, why);
	return o;
}

static void
test_seed(void **state)
{
	static const struct seed_case cases[] = {
		{ "", 2002, 2026, 20, NULL },
		{ "{}", 2002, 2026, 20, NULL },
		{ "{\"start_year\":2000,\"end_year\":2024}", 2000, 2024, 20, NULL },
		{ "{\"start_year\":2020}", 2020, 2026, 20, NULL },
		{ "{\"end_year\":2010,\"batch_size\":50}", 1986, 2010, 50, NULL },
		{ "{\"end_year\":1980}", 1970, 1980, 20, NULL },
		{ "{\"start_year\":2030}", 2030, 2030, 20, NULL },
		{ "{\"start_year\":null,\"batch_size\":1}", 2002, 2026, 1, NULL },
		{ "{\"start_year\":2024,\"end_year\":2000}", -1, 0, 0, "the first year (2024) is after the last (2000)" },
		{ "{\"start_year\":1969}", -1, 0, 0, "start_year must be a whole number from 1970 to 9999" },
		{ "{\"end_year\":10000}", -1, 0, 0, "end_year must be a whole number from 1970 to 9999" },
		{ "{\"start_year\":\"2000\"}", -1, 0, 0, "start_year must be a whole number" },
		{ "{\"start_year\":2000.0}", -1, 0, 0, "start_year must be a whole number" },
		{ "{\"start_year\":1900,\"end_year\":2024}", -1, 0, 0, "start_year" },
		{ "{\"start_year\":1970,\"end_year\":2070}", -1, 0, 0, "spans more than 100 years" },
		{ "{\"batch_size\":0}", -1, 0, 0, "batch_size must be a whole number from 1 to 50" },
		{ "{\"batch_size\":51}", -1, 0, 0, "batch_size must be a whole number from 1 to 50" },
		{ "{\"batch_size\":99999999999999999999}", -1, 0, 0, "batch_size" },
		{ "{\"years\":3}", -1, 0, 0, "unknown field \"years\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct seed_case *c = &cases[i];
		struct backfill_seed_req r;
		char why[256] = "";
		json_object *o = body(c->body);
		int rc = backfill_request_seed(o, 2026, &r, why, sizeof(why));

		json_object_put(o);
		if (c->start < 0) {
			if (rc != -1 || strstr(why, c->why) == NULL)
				fail_msg("%s: rc %d, why \"%s\", want \"%s\"", c->body, rc, why, c->why);
			continue;
		}
		if (rc != 0 || r.start_year != c->start || r.end_year != c->end || r.batch_size != c->batch)
			fail_msg("%s: rc %d (%s) %d-%d batch %d", c->body, rc, why, r.start_year, r.end_year, r.batch_size);
	}
}

static void
test_schedule(void **state)
{
	static const struct schedule_case cases[] = {
		{ "", 5, 1970, 9999, false, false, NULL },
		{ "{\"batch_size\":1}", 1, 1970, 9999, false, false, NULL },
		{ "{\"batch_size\":50,\"dry_run\":true,\"force_retry\":true}", 50, 1970, 9999, true, true, NULL },
		{ "{\"year_range\":[2020,2021]}", 5, 2020, 2021, false, false, NULL },
		{ "{\"year_range\":[2020,2020],\"dry_run\":false}", 5, 2020, 2020, false, false, NULL },
		{ "{\"year_range\":null,\"dry_run\":null}", 5, 1970, 9999, false, false, NULL },
		{ "{\"batch_size\":0}", -1, 0, 0, false, false, "batch_size must be a whole number from 1 to 50" },
		{ "{\"batch_size\":51}", -1, 0, 0, false, false, "batch_size must be a whole number from 1 to 50" },
		{ "{\"batch_size\":-5}", -1, 0, 0, false, false, "batch_size" },
		{ "{\"batch_size\":\"10\"}", -1, 0, 0, false, false, "batch_size" },
		{ "{\"batch_size\":1.5}", -1, 0, 0, false, false, "batch_size" },
		{ "{\"batch_size\":false}", -1, 0, 0, false, false, "batch_size" },
		{ "{\"batch_size\":[5]}", -1, 0, 0, false, false, "batch_size" },
		{ "{\"dry_run\":1}", -1, 0, 0, false, false, "dry_run must be true or false" },
		{ "{\"dry_run\":\"true\"}", -1, 0, 0, false, false, "dry_run must be true or false" },
		{ "{\"force_retry\":\"yes\"}", -1, 0, 0, false, false, "force_retry must be true or false" },
		{ "{\"year_range\":[2021,2020]}", -1, 0, 0, false, false, "the first year (2021) is after the last (2020)" },
		{ "{\"year_range\":[2020]}", -1, 0, 0, false, false, "year_range must be [from, to]" },
		{ "{\"year_range\":[2020,2021,2022]}", -1, 0, 0, false, false, "year_range must be [from, to]" },
		{ "{\"year_range\":[\"2020\",\"2021\"]}", -1, 0, 0, false, false, "year_range must be [from, to]" },
		{ "{\"year_range\":[2020,2021.5]}", -1, 0, 0, false, false, "year_range must be [from, to]" },
		{ "{\"year_range\":[1969,2000]}", -1, 0, 0, false, false, "from 1970 to 9999" },
		{ "{\"year_range\":{\"from\":2020}}", -1, 0, 0, false, false, "year_range must be [from, to]" },
		{ "{\"year_range\":\"2020:2021\"}", -1, 0, 0, false, false, "year_range must be [from, to]" },
		{ "{\"batch\":5}", -1, 0, 0, false, false, "unknown field \"batch\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct schedule_case *c = &cases[i];
		struct backfill_schedule_req r;
		char why[256] = "";
		json_object *o = body(c->body);
		int rc = backfill_request_schedule(o, &r, why, sizeof(why));

		json_object_put(o);
		if (c->batch < 0) {
			if (rc != -1 || strstr(why, c->why) == NULL)
				fail_msg("%s: rc %d, why \"%s\", want \"%s\"", c->body, rc, why, c->why);
			continue;
		}
		if (rc != 0 || r.batch_size != c->batch || r.from_year != c->from || r.to_year != c->to ||
		    r.dry_run != c->dry || r.force_retry != c->force)
			fail_msg("%s: rc %d (%s) batch %d %d-%d dry %d force %d", c->body, rc, why, r.batch_size,
			    r.from_year, r.to_year, r.dry_run, r.force_retry);
	}
}

static void
test_bodies(void **state)
{
	static const char *const bad[] = { "[]", "5", "\"{}\"", "{", "{} x", "nul" };
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_null(backfill_request_body(bad[i], strlen(bad[i]), why, sizeof(why)));
		assert_true(why[0] != '\0');
	}
	assert_true(backfill_request_this_year() >= 2024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
