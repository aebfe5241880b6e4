/* read-captions.c: the local backend's caption reader (shared/local/subtitles.c) on a video file, for the
 * caption tests and benchmark. Prints one line per caption, "START<TAB>END<TAB>TEXT" (seconds), and on
 * stderr one line of counts: frames decoded, samples, OCR runs, and the CPU seconds of this process and of
 * its children (ffmpeg).
 *   read-captions [--decode-only] [--band TOP] [--colours RRGGBB,...] [--sample-fps F] [--min-ms MS] [--min-confidence C]
 *                 VIDEO
 * --band: the band's top as a fraction of the height (default 0.7: the bottom 30 %, as the demo).
 * --decode-only: decodes the band as the reader does and nothing else (the benchmark's ceiling).
 * --dump DIR: writes each caption's combined frames (DIR/N-combined.pgm) and the clean image OCR read
 * (DIR/N-clean.pgm, N from 1), and on stderr "dump N START END TEXT" (frames): to see why a caption misreads. */
#include "shared/local/media.h"
#include "shared/local/ocr.h"
#include "shared/local/subtitles.h"
#include "shared/str.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double
cpu_seconds(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	    ru.ru_stime.tv_usec / 1e6;
}

static int
drop_frame(void *arg, int index, const unsigned char *yuv, char *err, size_t errlen)
{
	(void)arg;
	(void)index;
	(void)yuv;
	(void)err;
	(void)errlen;
	return 0;
}

/* Decodes the band at the video's rate, as subtitles_read does, and reports the cost. */
static int
decode_only(const char *path, const struct media_opts *mo, const struct media_info *info, struct media_crop crop)
{
	char err[512];
	int n;

	crop.y &= ~1;
	crop.height &= ~1;
	crop.width &= ~1;
	if (media_decode(path, mo, info->fps > 0 && info->fps <= 240 ? info->fps : 25, &crop, drop_frame, NULL, &n, err,
	    sizeof(err)) != MEDIA_OK) {
		fprintf(stderr, "read-captions: %s\n", err);
		return 1;
	}
	fprintf(stderr, "frames %d samples 0 ocr 0 cpu %.3f children %.3f duration %.3f\n", n, cpu_seconds(RUSAGE_SELF),
	    cpu_seconds(RUSAGE_CHILDREN), info->duration);
	return 0;
}

struct dump {
	const char *dir;
	int n;
};

static void
write_pgm(const struct dump *d, const char *what, const uint8_t *pixels, int width, int height)
{
	char path[4096];
	FILE *f;

	if (str_fmt(path, sizeof(path), "%s/%d-%s.pgm", d->dir, d->n, what) != 0 || (f = fopen(path, "wb")) == NULL)
		return;
	fprintf(f, "P5\n%d %d\n255\n", width, height);
	(void)fwrite(pixels, 1, (size_t)width * (size_t)height, f);
	(void)fclose(f);
}

static void
dump_image(void *arg, const struct captions_found *c, const uint8_t *clean, int width, int height, const char *text)
{
	struct dump *d = arg;

	d->n++;
	write_pgm(d, "combined", c->combined, c->width, c->height);
	write_pgm(d, "clean", clean, width, height);
	fprintf(stderr, "dump %d %d %d %s\n", d->n, c->start, c->end, text);
}

static int
colours_of(const char *list, uint32_t *out, int max)
{
	int n = 0;

	for (const char *p = list; *p != '\0' && n < max;) {
		char *end;
		unsigned long v = strtoul(p, &end, 16);

		if (end - p != 6)
			return -1;
		out[n++] = (uint32_t)v;
		p = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return -1;
	}
	return n;
}

int
main(int argc, char **argv)
{
	uint32_t colours[TEXTMASK_COLOURS_MAX] = { 0xFFFFFF, 0xFFFF00 };
	struct subtitles_opts o = { .colours = colours, .ncolours = 2, .sample_fps = 4, .min_ms = 500,
		.min_confidence = 30 };
	struct media_opts mo = { .timeout_seconds = 600 };
	struct media_info info;
	struct media_crop crop;
	struct subtitles subs;
	struct ocr *ocr;
	double band = 0.7;
	char err[512];
	bool decode = false;
	struct dump dump = { NULL, 0 };
	int i;

	for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--decode-only") == 0) {
			decode = true;
			i--;
		} else if (strcmp(argv[i], "--dump") == 0) {
			dump.dir = argv[i + 1];
			o.on_image = dump_image;
			o.image_arg = &dump;
		} else if (strcmp(argv[i], "--band") == 0)
			band = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--colours") == 0) {
			if ((o.ncolours = colours_of(argv[i + 1], colours, TEXTMASK_COLOURS_MAX)) < 1) {
				fprintf(stderr, "read-captions: --colours RRGGBB[,RRGGBB...]\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--sample-fps") == 0)
			o.sample_fps = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--min-ms") == 0)
			o.min_ms = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--min-confidence") == 0)
			o.min_confidence = atoi(argv[i + 1]);
		else
			break;
	}
	if (i + 1 != argc || !(band >= 0 && band < 1)) {
		fprintf(stderr, "usage: read-captions [--decode-only] [--dump DIR] [--band TOP] [--colours RRGGBB,...] [--sample-fps F]"
		    " [--min-ms MS] [--min-confidence C] VIDEO\n");
		return 2;
	}
	if (media_probe(argv[i], &mo, &info, err, sizeof(err)) != MEDIA_OK) {
		fprintf(stderr, "read-captions: %s\n", err);
		return 1;
	}
	crop = (struct media_crop){ 0, (int)(band * info.height), info.width, info.height - (int)(band * info.height) };
	if (decode)
		return decode_only(argv[i], &mo, &info, crop);
	if ((ocr = ocr_new("eng", err, sizeof(err))) == NULL) {
		fprintf(stderr, "read-captions: %s\n", err);
		return 1;
	}
	if (subtitles_read(argv[i], &mo, &info, &crop, &o, ocr, NULL, NULL, &subs, err, sizeof(err)) != MEDIA_OK) {
		fprintf(stderr, "read-captions: %s\n", err);
		ocr_free(ocr);
		return 1;
	}
	for (int k = 0; k < subs.n; k++)
		printf("%.3f\t%.3f\t%s\n", subs.items[k].start_time, subs.items[k].end_time, subs.items[k].text);
	fprintf(stderr, "frames %d samples %d ocr %d cpu %.3f children %.3f duration %.3f\n", subs.frames, subs.samples,
	    subs.read, cpu_seconds(RUSAGE_SELF), cpu_seconds(RUSAGE_CHILDREN), info.duration);
	subtitles_free(&subs);
	ocr_free(ocr);
	return 0;
}
