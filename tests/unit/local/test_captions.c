/* test_captions.c: shared/captions.c: normalising OCR text, similarity, and where captions start and end. */
#include "shared/local/captions.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void
test_normalise(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "Hello, World!", "HELLO WORLD" },
		{ "  ‘THE END |  ", "\xe2\x80\x98THE END" },
		{ "a--b", "A B" },
		{ "", "" },
		{ "...", "" },
		{ "line one\nline two", "LINE ONE LINE TWO" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		captions_normalise(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
	/* Bounded: a long text is cut, never overflows. */
	captions_normalise("ABCDEFGHIJ", out, 5);
	assert_true(strlen(out) < 5);
}

static void
test_similarity(void **state)
{
	(void)state;
	assert_true(captions_similarity("HELLO WORLD", "HELLO WORLD") == 1.0);
	assert_true(captions_similarity("", "") == 1.0);
	assert_true(captions_similarity("ABC", "") == 0.0);
	/* One misread letter in eleven. */
	assert_true(captions_similarity("HELLO WORLD", "HELL0 WORLD") > 0.9);
	assert_true(captions_similarity("HELLO WORLD", "CAPTIONS ARE FUN") < CAPTIONS_SIMILAR);
	assert_true(captions_similarity("KITTEN", "SITTING") > 0.5 && captions_similarity("KITTEN", "SITTING") < 0.6);
}

static void
segment(const struct captions_frame *f, int n, struct captions_extent **e, int *count)
{
	assert_int_equal(captions_segment(f, n, e, count), 0);
}

/* Three captions with empty frames between them; the best-confidence reading names each. */
static void
test_segments(void **state)
{
	const struct captions_frame f[] = {
		{ "", 0 }, { "HELLO WORLD", 90 }, { "HELLO WORLD", 96 }, { "HELL0 WORLD", 60 }, { "", 0 }, { "", 0 },
		{ "CAPTIONS ARE FUN", 95 }, { "CAPTIONS ARE FUN", 94 }, { "THE END", 91 }, { "THE END", 92 }, { "", 0 },
	};
	struct captions_extent *e;
	int n;

	(void)state;
	segment(f, 11, &e, &n);
	assert_int_equal(n, 3);
	assert_int_equal(e[0].start, 1);
	assert_int_equal(e[0].end, 3);
	assert_int_equal(e[0].best, 2);
	assert_string_equal(e[0].text, "HELLO WORLD");
	/* A caption that follows another with no empty frame between them still starts a new one. */
	assert_int_equal(e[1].start, 6);
	assert_int_equal(e[1].end, 7);
	assert_int_equal(e[2].start, 8);
	assert_int_equal(e[2].end, 9);
	assert_string_equal(e[2].text, "THE END");
	free(e);
}

/* One unreadable frame inside a caption does not split it; two do. Stray marks are not captions. */
static void
test_gaps_and_noise(void **state)
{
	const struct captions_frame one_gap[] = { { "GOOD DAY", 90 }, { "", 0 }, { "GOOD DAY", 90 } };
	const struct captions_frame two_gaps[] = { { "GOOD DAY", 90 }, { "", 0 }, { "|", 40 }, { "GOOD DAY", 90 } };
	const struct captions_frame noise[] = { { "|", 50 }, { "-", 50 }, { "i", 30 }, { NULL, 0 } };
	struct captions_extent *e;
	int n;

	(void)state;
	segment(one_gap, 3, &e, &n);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].end, 2);
	free(e);
	segment(two_gaps, 4, &e, &n);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].end, 0);
	assert_int_equal(e[1].start, 3);
	free(e);
	segment(noise, 4, &e, &n);
	assert_int_equal(n, 0);
	free(e);
	segment(NULL, 0, &e, &n);
	assert_int_equal(n, 0);
	assert_null(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_similarity),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_gaps_and_noise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
