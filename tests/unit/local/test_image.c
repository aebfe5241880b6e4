/* test_image.c: shared/image.c, when two frames count as the same picture: identical files, the same
 * picture with decoding noise, a caption that appears or changes by one letter-sized mark, another size,
 * colour against grey, and files that are not images. Images are drawn with leptonica. */
#include "shared/local/image.h"
#include "shared/local/scratch.h"

#include <leptonica/allheaders.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define TOLERANCE 32

static char dir[64];

/* A w x h caption band: a flat background, a dark box, and, if mark, a white 6x10 "letter" at x. */
static PIX *
band(int w, int h, int mark_x, int noise)
{
	PIX *p = pixCreate(w, h, 8);

	assert_non_null(p);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int v = (y > h / 4 && y < 3 * h / 4) ? 20 : 140;

			if (mark_x >= 0 && x >= mark_x && x < mark_x + 6 && y >= h / 2 - 5 && y < h / 2 + 5)
				v = 250;
			if (noise)
				v += ((x * 7 + y * 13) % (2 * noise + 1)) - noise; /* deterministic +-noise */
			pixSetPixel(p, x, y, (l_uint32)(v < 0 ? 0 : v > 255 ? 255 : v));
		}
	return p;
}

static const char *
save(PIX *p, const char *name, l_int32 format)
{
	static char paths[8][128];
	static int next;
	char *path = paths[next++ % 8];

	snprintf(path, 128, "%s/%s", dir, name);
	assert_int_equal(pixWrite(path, p, format), 0);
	pixDestroy(&p);
	return path;
}

static enum image_cmp
cmp(const char *a, const char *b)
{
	char err[256] = "";

	return image_compare(a, b, TOLERANCE, err, sizeof(err));
}

static void
test_identical_files_are_the_same(void **state)
{
	const char *a = save(band(320, 60, 100, 0), "a.png", IFF_PNG);
	const char *b = save(band(320, 60, 100, 0), "b.png", IFF_PNG);

	(void)state;
	assert_int_equal(cmp(a, a), IMAGE_SAME);
	assert_int_equal(cmp(a, b), IMAGE_SAME);
}

static void
test_decoding_noise_is_the_same(void **state)
{
	const char *a = save(band(320, 60, 100, 0), "clean.png", IFF_PNG);
	const char *b = save(band(320, 60, 100, 12), "noisy.png", IFF_PNG);
	const char *j1 = save(band(320, 60, 100, 0), "c1.jpg", IFF_JFIF_JPEG);
	const char *j2 = save(band(320, 60, 100, 0), "c2.jpg", IFF_JFIF_JPEG);

	(void)state;
	assert_int_equal(cmp(a, b), IMAGE_SAME);
	assert_int_equal(cmp(j1, j2), IMAGE_SAME);
}

static void
test_a_caption_change_is_different(void **state)
{
	const char *empty = save(band(320, 60, -1, 0), "empty.png", IFF_PNG);
	const char *one = save(band(320, 60, 100, 0), "one.png", IFF_PNG);
	const char *moved = save(band(320, 60, 108, 0), "moved.png", IFF_PNG);
	const char *noisy = save(band(320, 60, 108, 12), "moved-noisy.jpg", IFF_JFIF_JPEG);

	(void)state;
	assert_int_equal(cmp(empty, one), IMAGE_DIFFERENT); /* a caption appears */
	assert_int_equal(cmp(one, empty), IMAGE_DIFFERENT); /* and goes */
	assert_int_equal(cmp(one, moved), IMAGE_DIFFERENT); /* one letter-sized mark differs */
	assert_int_equal(cmp(one, noisy), IMAGE_DIFFERENT); /* even through noise and JPEG */
}

static void
test_another_size_is_different(void **state)
{
	const char *a = save(band(320, 60, 100, 0), "wide.png", IFF_PNG);
	const char *b = save(band(320, 61, 100, 0), "taller.png", IFF_PNG);

	(void)state;
	assert_int_equal(cmp(a, b), IMAGE_DIFFERENT);
}

static void
test_colour_is_compared_as_grey(void **state)
{
	PIX *g = band(320, 60, 100, 0);
	PIX *rgb = pixConvertTo32(g);
	const char *grey = save(g, "grey.png", IFF_PNG);
	const char *colour = save(rgb, "colour.png", IFF_PNG);

	(void)state;
	assert_int_equal(cmp(grey, colour), IMAGE_SAME);
}

static void
test_not_an_image(void **state)
{
	const char *a = save(band(320, 60, 100, 0), "real.png", IFF_PNG);
	char text[128], err[256] = "";
	FILE *f;

	(void)state;
	snprintf(text, sizeof(text), "%s/text.png", dir);
	assert_non_null(f = fopen(text, "w"));
	fputs("not a picture\n", f);
	fclose(f);
	assert_int_equal(image_compare(a, text, TOLERANCE, err, sizeof(err)), IMAGE_UNREADABLE);
	assert_non_null(strstr(err, "text.png"));
	assert_int_equal(image_compare("/nonexistent/x.png", a, TOLERANCE, err, sizeof(err)), IMAGE_UNREADABLE);
	assert_non_null(strstr(err, "/nonexistent/x.png"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_files_are_the_same),
		cmocka_unit_test(test_decoding_noise_is_the_same),
		cmocka_unit_test(test_a_caption_change_is_different),
		cmocka_unit_test(test_another_size_is_different),
		cmocka_unit_test(test_colour_is_compared_as_grey),
		cmocka_unit_test(test_not_an_image),
	};
	int rc;

	setMsgSeverity(L_SEVERITY_NONE); /* the unreadable-file cases would print leptonica's complaints */
	if (scratch_make(dir, sizeof(dir), getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", "test_image") != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (scratch_remove(dir) != 0)
		rc = rc ? rc : 1;
	return rc;
}
