/* test_prefect.c: the pure parts of shared/clients/prefect.c, no server: PREFECT_QUEUE_BANDS and
 * PREFECT_DEPLOYMENTS parsing table by table (valid lists, priorities not decreasing, no final 0 band,
 * empty names, too many entries, names too long, junk), then the work queue each priority goes to and the
 * names prefect_new keeps from a configuration, and the configurations it refuses. */
#include "shared/clients/prefect.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#define NAME127 "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq" \
	"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
#define NAME63 "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static const char bands_format[] = "must be min-priority:queue pairs";
static const char bands_final[] = "must end with a band for priority 0";

static void
test_bands_valid(void **state)
{
	static const struct {
		const char *spec;
		int n;
		int min[3];
		const char *queue[3];
	} cases[] = {
		{ "90:high,70:normal,0:low", 3, { 90, 70, 0 }, { "high", "normal", "low" } },
		{ "0:all", 1, { 0 }, { "all" } },
		{ "1000:top,0:rest,", 2, { 1000, 0 }, { "top", "rest" } }, /* a trailing comma is allowed */
		{ "5:" NAME127 ",0:b", 2, { 5, 0 }, { NAME127, "b" } },  /* the longest queue name */
	};
	struct prefect_band out[PREFECT_BANDS_MAX];
	char err[256];
	int n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (prefect_bands_parse(cases[i].spec, out, PREFECT_BANDS_MAX, &n, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", cases[i].spec, err);
		assert_int_equal(n, cases[i].n);
		for (int b = 0; b < n; b++) {
			assert_int_equal(out[b].min_priority, cases[i].min[b]);
			assert_string_equal(out[b].queue, cases[i].queue[b]);
		}
	}
}

static void
test_bands_refused(void **state)
{
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{ "", bands_final },
		{ "90:high,70:normal", bands_final },            /* no band for priority 0 */
		{ "90:high", bands_final },
		{ "70:a,90:b,0:c", bands_format },               /* increasing */
		{ "90:a,90:b,0:c", bands_format },               /* equal */
		{ ":a,0:b", bands_format },                      /* empty priority */
		{ "90:,0:b", bands_format },                     /* empty queue name */
		{ "90:a,0:", bands_format },
		{ "90a:x,0:b", bands_format },                   /* junk priority */
		{ " 90:x,0:b", bands_format },
		{ "+90:x,0:b", bands_format },
		{ "1001:x,0:b", bands_format },                  /* out of 0..1000 */
		{ "-1:x", bands_format },
		{ "99999999999999999999:x,0:b", bands_format },  /* too long a number */
		{ "90:a,,0:b", bands_format },                   /* empty entry */
		{ ",0:b", bands_format },
		{ "90-a,0:b", bands_format },                    /* no colon */
		{ "8:a,7:b,6:c,5:d,4:e,3:f,2:g,1:h,0:i", bands_format }, /* nine bands, eight at most */
		{ "5:" NAME127 "q,0:b", bands_format },          /* a queue name of 128 characters */
	};
	struct prefect_band out[PREFECT_BANDS_MAX];
	char err[256];
	int n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (prefect_bands_parse(cases[i].spec, out, PREFECT_BANDS_MAX, &n, err, sizeof(err)) == 0)
			fail_msg("\"%s\" accepted", cases[i].spec);
		if (strstr(err, "PREFECT_QUEUE_BANDS") == NULL || strstr(err, cases[i].why) == NULL)
			fail_msg("\"%s\": \"%s\", expected \"%s\"", cases[i].spec, err, cases[i].why);
	}
	/* max is the caller's array: eight fit in eight, three do not fit in two. */
	assert_int_equal(prefect_bands_parse("7:b,6:c,5:d,4:e,3:f,2:g,1:h,0:i", out, PREFECT_BANDS_MAX, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 8);
	assert_int_equal(prefect_bands_parse("2:a,1:b,0:c", out, 2, &n, err, sizeof(err)), -1);
}

static void
test_deployments_valid(void **state)
{
	static const struct {
		const char *spec;
		int n;
		const char *flow[2], *name[2];
	} cases[] = {
		{ "", 0, { NULL }, { NULL } },
		{ "noop=captionacc/noop", 1, { "noop" }, { "captionacc/noop" } },
		{ "a=f/d,b=g/e", 2, { "a", "b" }, { "f/d", "g/e" } },
		{ "a=f/d/x", 1, { "a" }, { "f/d/x" } },         /* the deployment part may hold a slash */
		{ "a=f/d,", 1, { "a" }, { "f/d" } },            /* a trailing comma is allowed */
		{ NAME63 "=f/d", 1, { NAME63 }, { "f/d" } },    /* the longest flow name */
		{ "a=" NAME127 "/" NAME127 "qq", 1, { "a" }, { NAME127 "/" NAME127 "qq" } }, /* 257: the longest */
	};
	struct prefect_deployment out[PREFECT_FLOWS_MAX];
	char err[256];
	int n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (prefect_deployments_parse(cases[i].spec, out, PREFECT_FLOWS_MAX, &n, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", cases[i].spec, err);
		assert_int_equal(n, cases[i].n);
		for (int d = 0; d < n; d++) {
			assert_string_equal(out[d].flow, cases[i].flow[d]);
			assert_string_equal(out[d].name, cases[i].name[d]);
		}
	}
}

static void
test_deployments_refused(void **state)
{
	static const char format[] = "must be flow=prefect-flow/deployment pairs";
	static const char too_long[] = "a name is too long";
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{ "noop", format },                 /* no '=' */
		{ "=f/d", format },                 /* empty flow */
		{ "noop=f", format },               /* no '/' */
		{ "noop=/d", format },              /* empty Prefect flow */
		{ "noop=f/", format },              /* empty deployment */
		{ "a=f/d,,b=g/e", format },         /* empty entry */
		{ ",a=f/d", format },
		{ "a=f/d,b=f/d,c=f/d,d=f/d,e=f/d,f=f/d,g=f/d,h=f/d,i=f/d", format }, /* nine, eight at most */
		{ NAME63 "f=f/d", too_long },       /* a flow name of 64 characters */
		{ "a=" NAME127 "/" NAME127 "qqq", too_long }, /* a deployment name of 258 characters */
	};
	struct prefect_deployment out[PREFECT_FLOWS_MAX];
	char err[256];
	int n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (prefect_deployments_parse(cases[i].spec, out, PREFECT_FLOWS_MAX, &n, err, sizeof(err)) == 0)
			fail_msg("\"%s\" accepted", cases[i].spec);
		if (strstr(err, "PREFECT_DEPLOYMENTS") == NULL || strstr(err, cases[i].why) == NULL)
			fail_msg("\"%s\": \"%s\", expected \"%s\"", cases[i].spec, err, cases[i].why);
	}
	assert_int_equal(prefect_deployments_parse("a=f/d,b=f/d", out, 1, &n, err, sizeof(err)), -1);
}

/* A client from settings (no request is made): each priority's queue, the bands and deployment names. */
static void
test_queue_for(void **state)
{
	static const struct {
		int priority;
		const char *queue;
	} cases[] = {
		{ 1000, "high" }, { 90, "high" }, { 89, "normal" }, { 70, "normal" }, { 69, "low" }, { 0, "low" },
		{ -5, "low" }, /* below every band: the last one */
	};
	char url[] = "http://127.0.0.1:1/api", bands[] = "90:high,70:normal,0:low",
	    deployments[] = "noop=captionacc/noop-deployment", pool[] = "pool";
	struct config cfg = { 0 };
	struct prefect *p;
	char err[256];

	cfg.prefect_api_url = url;
	cfg.prefect_queue_bands = bands;
	cfg.prefect_deployments = deployments;
	cfg.prefect_work_pool = pool;
	cfg.prefect_timeout_seconds = 1;
	p = prefect_new(&cfg, err, sizeof(err));
	if (p == NULL)
		fail_msg("prefect_new: %s", err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(prefect_queue_for(p, cases[i].priority), cases[i].queue) != 0)
			fail_msg("priority %d went to %s, expected %s", cases[i].priority,
			    prefect_queue_for(p, cases[i].priority), cases[i].queue);
	assert_int_equal(prefect_band_count(p), 3);
	assert_int_equal(prefect_band_at(p, 1)->min_priority, 70);
	assert_null(prefect_band_at(p, 3));
	assert_string_equal(prefect_deployment_name(p, "noop"), "captionacc/noop-deployment");
	assert_null(prefect_deployment_name(p, "other"));
	prefect_free(p);

	/* prefect_new names the setting it refuses. */
	bands[0] = '7'; /* "70:high,70:normal,0:low" */
	assert_null(prefect_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "PREFECT_QUEUE_BANDS"));
}

/* prefect_new refuses a configuration it could not use, naming the setting: no URL, not http(s), too long
 * a URL, basic auth without a colon, no work pool. */
static void
test_new_refused(void **state)
{
	static char long_url[2100];
	static const struct {
		const char *url, *basic, *pool, *why;
	} cases[] = {
		{ NULL, NULL, "pool", "PREFECT_API_URL must be set to an http(s) URL" },
		{ "ftp://prefect/api", NULL, "pool", "PREFECT_API_URL must be set to an http(s) URL" },
		{ long_url, NULL, "pool", "PREFECT_API_URL is too long" },
		{ "https://prefect/api", "user-without-colon", "pool", "PREFECT_BASIC_AUTH must be user:password" },
		{ "https://prefect/api", NULL, "", "PREFECT_WORK_POOL is empty or too long" },
	};
	char bands[] = "0:low", deployments[] = "noop=captionacc/noop", err[256];

	memcpy(long_url, "http://", 7);
	memset(long_url + 7, 'h', sizeof(long_url) - 8);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg = { 0 };

		cfg.prefect_api_url = (char *)cases[i].url;
		cfg.prefect_basic_auth = (char *)cases[i].basic;
		cfg.prefect_work_pool = (char *)cases[i].pool;
		cfg.prefect_queue_bands = bands;
		cfg.prefect_deployments = deployments;
		cfg.prefect_timeout_seconds = 1;
		assert_null(prefect_new(&cfg, err, sizeof(err)));
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("case %zu: \"%s\", expected \"%s\"", i, err, cases[i].why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bands_valid),
		cmocka_unit_test(test_bands_refused),
		cmocka_unit_test(test_deployments_valid),
		cmocka_unit_test(test_deployments_refused),
		cmocka_unit_test(test_queue_for),
		cmocka_unit_test(test_new_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
