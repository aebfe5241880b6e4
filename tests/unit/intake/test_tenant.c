/* test_tenant.c: the access-tier map (demo->free, active->premium, enterprise->enterprise, unknown->free)
 * and its configuration errors. The database lookup is covered by the webhook integration test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shared/intake/tenant.h"

static void
test_default_map(void **state)
{
	struct tenant_map m;
	char err[256];

	assert_int_equal(tenant_map_parse("demo:free,active:premium,enterprise:enterprise", &m, err, sizeof(err)),
	    0);
	assert_int_equal(m.n, 3);
	assert_int_equal(tenant_map_tier(&m, "demo"), PRIORITY_TIER_FREE);
	assert_int_equal(tenant_map_tier(&m, "active"), PRIORITY_TIER_PREMIUM);
	assert_int_equal(tenant_map_tier(&m, "enterprise"), PRIORITY_TIER_ENTERPRISE);
	assert_int_equal(tenant_map_tier(&m, "unknown"), PRIORITY_TIER_FREE);
	assert_int_equal(tenant_map_tier(&m, ""), PRIORITY_TIER_FREE);
}

static void
test_custom_map(void **state)
{
	struct tenant_map m;
	char err[256];

	assert_int_equal(tenant_map_parse("trial:free,pro:premium,gold:enterprise,active:enterprise", &m, err,
	    sizeof(err)), 0);
	assert_int_equal(tenant_map_tier(&m, "active"), PRIORITY_TIER_ENTERPRISE);
	assert_int_equal(tenant_map_tier(&m, "demo"), PRIORITY_TIER_FREE);
}

static void
test_bad_maps(void **state)
{
	static const char *bad[] = { "demo", "demo:gold", ":free", "demo:free,,active:premium", "demo:free,",
		"a:free,b:free,c:free,d:free,e:free,f:free,g:free,h:free,i:free,j:free,k:free,l:free,m:free,n:free,"
		"o:free,p:free,q:free" };
	struct tenant_map m;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (tenant_map_parse(bad[i], &m, err, sizeof(err)) == 0)
			fail_msg("\"%s\" should be refused", bad[i]);
		assert_non_null(strstr(err, "TIER_MAP"));
	}
}

static void
test_cache(void **state)
{
	struct tenant_cache *c = tenant_cache_new(30), *off = tenant_cache_new(0);
	enum priority_tier t = PRIORITY_TIER_FREE;

	assert_non_null(c);
	assert_int_equal(tenant_cache_lookup(c, "t1", 100, &t), -1);
	tenant_cache_store(c, "t1", PRIORITY_TIER_ENTERPRISE, 100);
	assert_int_equal(tenant_cache_lookup(c, "t1", 129, &t), 0);
	assert_int_equal(t, PRIORITY_TIER_ENTERPRISE);
	assert_int_equal(tenant_cache_lookup(c, "t1", 130, &t), -1); /* expired after the TTL */
	assert_int_equal(tenant_cache_lookup(c, "t2", 110, &t), -1); /* another tenant never hits */
	tenant_cache_store(off, "t1", PRIORITY_TIER_PREMIUM, 100);   /* TTL 0: never remembered */
	assert_int_equal(tenant_cache_lookup(off, "t1", 100, &t), -1);
	assert_int_equal(tenant_cache_lookup(NULL, "t1", 100, &t), -1);
	tenant_cache_free(c);
	tenant_cache_free(off);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_map),
		cmocka_unit_test(test_custom_map),
		cmocka_unit_test(test_bad_maps),
		cmocka_unit_test(test_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
