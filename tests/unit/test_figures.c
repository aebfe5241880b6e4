/* test_figures.c: the runner's figures as the step statements read them (shared/metrics/figures.h): a JSON
 * array of [metric, l1, l2, l3, seconds], missing labels as "", no duration as null; nothing noted, no
 * parameter (the statement's CTE then adds nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shared/metrics/figures.h"

static void
test_none(void **state)
{
	json_object *list = NULL;

	(void)state;
	assert_null(figures_param(list));
	figures_clear(&list);
	assert_null(list);
}

static void
test_noted(void **state)
{
	json_object *list = NULL;

	(void)state;
	figures_note(&list, "step", "noop", "run", "completed", 0.25);
	figures_note(&list, "lock_refused", "layout", NULL, NULL, -1);
	assert_string_equal(figures_param(list),
	    "[[\"step\",\"noop\",\"run\",\"completed\",0.25],[\"lock_refused\",\"layout\",\"\",\"\",null]]");
	figures_clear(&list);
	assert_null(list);
	assert_null(figures_param(list));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_noted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
