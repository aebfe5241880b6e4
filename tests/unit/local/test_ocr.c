/* test_ocr.c: shared/ocr.c with Debian's tesseract: dark text on light, light text on a dark caption box,
 * word boxes inside the image, an image without text, and a file that is not an image. */
#include "shared/local/ocr.h"
#include "shared/local/scratch.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

static char dir[64];
static struct ocr *engine;

/* Renders text (letters, digits, spaces) into dir/name.png with ffmpeg's drawtext. */
static void
render(const char *name, const char *bg, const char *fg, const char *text)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -f lavfi -i color=c=%s:s=480x90 -vf \"drawtext=fontfile=" FONT
	    ":text='%s':fontsize=40:fontcolor=%s:x=(w-text_w)/2:y=(h-text_h)/2\" -frames:v 1 %s/%s.png", bg, text, fg, dir,
	    name);
	assert_int_equal(system(cmd), 0);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	if (scratch_make(dir, sizeof(dir), "/tmp", "test_ocr") != 0 || (engine = ocr_new("eng", err, sizeof(err))) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ocr_free(engine);
	return scratch_remove(dir);
}

static void
read_back(const char *name, const char *want)
{
	char path[128], text[256], err[256];
	float conf;

	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	assert_int_equal(ocr_line(engine, path, 30, text, sizeof(text), &conf, err, sizeof(err)), 3);
	assert_string_equal(text, want);
	assert_true(conf > 60);
}

static void
test_dark_on_light(void **state)
{
	(void)state;
	render("dark", "white", "black", "OCR TEST 123");
	read_back("dark", "OCR TEST 123");
}

static void
test_light_on_dark(void **state)
{
	(void)state;
	render("light", "black", "white", "WHITE ON BLACK");
	read_back("light", "WHITE ON BLACK");
}

struct boxes {
	int n, bad;
};

static void
check_box(void *arg, const struct ocr_word *w)
{
	struct boxes *b = arg;

	b->n++;
	if (w->x < 0 || w->y < 0 || w->width <= 0 || w->height <= 0 || w->x + w->width > 480 || w->y + w->height > 90)
		b->bad++;
}

static void
test_words_and_blank(void **state)
{
	char path[128], err[256], text[64];
	struct boxes b = { 0, 0 };
	float conf;
	int w, h;

	(void)state;
	snprintf(path, sizeof(path), "%s/dark.png", dir);
	assert_int_equal(ocr_words(engine, path, OCR_PAGE, 0, check_box, &b, &w, &h, err, sizeof(err)), 3);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.bad, 0);
	assert_int_equal(w, 480);
	assert_int_equal(h, 90);
	render("blank", "gray", "gray", "X");
	snprintf(path, sizeof(path), "%s/blank.png", dir);
	assert_int_equal(ocr_line(engine, path, 30, text, sizeof(text), &conf, err, sizeof(err)), 0);
	assert_string_equal(text, "");
	snprintf(path, sizeof(path), "%s/not-an-image.png", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("plain text", f);
	fclose(f);
	assert_int_equal(ocr_line(engine, path, 30, text, sizeof(text), &conf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read image"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dark_on_light),
		cmocka_unit_test(test_light_on_dark),
		cmocka_unit_test(test_words_and_blank),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
