/* test_ocr.c: shared/local/ocr.c with Debian's tesseract: a prepared image in memory (dark text on white,
 * two lines, punctuation; a blank one; bad sizes) read as one block, and image files read word by word
 * (dark on light, light on a dark caption box inverted first, word boxes inside the image, a file that is
 * not an image). */
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

/* The words of dir/name.png (each with a box inside the 480x90 image). */
struct boxes {
	int n, bad;
	char text[256];
};

static void
check_box(void *arg, const struct ocr_word *w)
{
	struct boxes *b = arg;

	b->n++;
	if (w->x < 0 || w->y < 0 || w->width <= 0 || w->height <= 0 || w->x + w->width > 480 || w->y + w->height > 90)
		b->bad++;
	snprintf(b->text + strlen(b->text), sizeof(b->text) - strlen(b->text), "%s%s", b->text[0] ? " " : "", w->text);
}

static void
words_of(const char *name, const char *want)
{
	char path[128], err[256];
	struct boxes b = { 0, 0, "" };
	int w, h;

	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	assert_int_equal(ocr_words(engine, path, OCR_PAGE, 30, check_box, &b, &w, &h, err, sizeof(err)), 3);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.bad, 0);
	assert_string_equal(b.text, want);
	assert_int_equal(w, 480);
	assert_int_equal(h, 90);
}

static void
test_words_dark_on_light(void **state)
{
	(void)state;
	render("dark", "white", "black", "OCR TEST 123");
	words_of("dark", "OCR TEST 123");
}

static void
test_words_light_on_dark(void **state)
{
	(void)state;
	render("light", "black", "white", "WHITE ON BLACK");
	words_of("light", "WHITE ON BLACK");
}

static void
test_words_not_an_image(void **state)
{
	char path[128], err[256];
	struct boxes b = { 0, 0, "" };
	FILE *f;
	int w, h;

	(void)state;
	snprintf(path, sizeof(path), "%s/not-an-image.png", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("plain text", f);
	fclose(f);
	assert_int_equal(ocr_words(engine, path, OCR_PAGE, 0, check_box, &b, &w, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read image"));
	assert_int_equal(b.n, 0);
}

/* Two lines of dark text on white as the clean image of a caption (ffmpeg draws them; 8-bit grey). */
static unsigned char *
prepared(const char *line1, const char *line2, int *w, int *h)
{
	char cmd[1024], path[128];
	unsigned char *px = malloc(600 * 120);
	FILE *f;

	*w = 600;
	*h = 120;
	snprintf(path, sizeof(path), "%s/prepared.gray", dir);
	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -v error -y -f lavfi -i color=c=white:s=600x120 -vf \"drawtext=fontfile="
	    FONT ":text='%s':fontsize=32:fontcolor=black:x=20:y=14,drawtext=fontfile=" FONT ":text='%s':fontsize=32:"
	    "fontcolor=black:x=20:y=66\" -frames:v 1 -f rawvideo -pix_fmt gray %s", line1, line2, path);
	assert_int_equal(system(cmd), 0);
	assert_non_null(px);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(px, 1, 600 * 120, f), 600 * 120);
	fclose(f);
	return px;
}

static void
test_grey_two_lines(void **state)
{
	char text[256], err[256];
	unsigned char *px;
	float conf;
	int w, h;

	(void)state;
	px = prepared("Where were you?", "It costs 14.99, Sam!", &w, &h);
	assert_int_equal(ocr_grey(engine, px, w, h, 30, text, sizeof(text), &conf, err, sizeof(err)), 7);
	assert_string_equal(text, "Where were you? It costs 14.99, Sam!");
	assert_true(conf > 60);
	/* Words below the floor are dropped: at 101 none is left. */
	assert_int_equal(ocr_grey(engine, px, w, h, 101, text, sizeof(text), &conf, err, sizeof(err)), 0);
	assert_string_equal(text, "");
	assert_true(conf == 0);
	/* A text longer than the buffer is cut at a word, never overflows. */
	assert_int_equal(ocr_grey(engine, px, w, h, 30, text, 12, &conf, err, sizeof(err)), 2);
	assert_string_equal(text, "Where were");
	free(px);
}

static void
test_grey_blank_and_bad_sizes(void **state)
{
	unsigned char white[64 * 32];
	char text[64], err[256];
	float conf = 5;

	(void)state;
	memset(white, 255, sizeof(white));
	assert_int_equal(ocr_grey(engine, white, 64, 32, 30, text, sizeof(text), &conf, err, sizeof(err)), 0);
	assert_string_equal(text, "");
	assert_int_equal(ocr_grey(engine, white, 0, 32, 30, text, sizeof(text), &conf, err, sizeof(err)), -1);
	assert_int_equal(ocr_grey(engine, white, 64, -1, 30, text, sizeof(text), &conf, err, sizeof(err)), -1);
	assert_int_equal(ocr_grey(engine, white, 64, 32, 30, text, 0, &conf, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_dark_on_light),
		cmocka_unit_test(test_words_light_on_dark),
		cmocka_unit_test(test_words_not_an_image),
		cmocka_unit_test(test_grey_two_lines),
		cmocka_unit_test(test_grey_blank_and_bad_sizes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
