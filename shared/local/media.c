/* media.c: runs ffprobe and ffmpeg as child processes (shared/local/child.c: argv arrays, no shell, output
 * within bounds) and reads ffprobe's JSON with json-c. */
#include "shared/local/media.h"

#include "shared/json.h"
#include "shared/local/child.h"
#include "shared/str.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PROBE_OUTPUT_MAX (256 * 1024)

/* What each way a tool run ends means for the video. */
static const enum media_result from_child[] = {
	[CHILD_EXITED_0] = MEDIA_OK,
	[CHILD_EXITED_NONZERO] = MEDIA_BAD_INPUT,
	[CHILD_CANNOT_RUN] = MEDIA_FAILED,
	[CHILD_TIMED_OUT] = MEDIA_FAILED,
	[CHILD_CANCELLED] = MEDIA_FAILED,
	[CHILD_OVERFLOW] = MEDIA_FAILED,
	[CHILD_SINK_STOPPED] = MEDIA_FAILED,
};

/* Runs argv; stdout goes to *out (up to outmax bytes, NUL-terminated, caller frees; NULL: discarded).
 * Returns MEDIA_OK when it exits 0, MEDIA_BAD_INPUT when it exits non-zero, MEDIA_FAILED when it cannot
 * run, overflows, times out or is cancelled (then it is killed). */
static enum media_result
run(char *const argv[], const struct media_opts *o, char **out, size_t outmax, char *err, size_t errlen)
{
	const struct child_opts co = {
		.argv = argv,
		.timeout_ms = o->timeout_seconds * 1000LL,
		.cancelled = o->cancelled,
		.arg = o->arg,
		.stdout_max = outmax,
		.hint = "install the Debian package ffmpeg",
	};

	return from_child[child_run(&co, out, err, errlen)];
}

/* ffprobe gives most numbers as decimal strings. */
static bool
number_of(json_object *obj, const char *key, double *out)
{
	json_object *v = NULL;
	const char *s;
	char *end;

	if (!json_object_object_get_ex(obj, key, &v))
		return false;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
		*out = json_object_get_double(v);
		return isfinite(*out);
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && isfinite(*out);
}

/* "30000/1001" -> 29.97; "0/0" -> 0. */
static double
rate_of(json_object *stream)
{
	json_object *v = NULL;
	long long num, den;
	char *end;
	const char *s;

	if (!json_object_object_get_ex(stream, "avg_frame_rate", &v) || !json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	num = strtoll(s, &end, 10);
	if (end == s || *end != '/')
		return 0;
	s = end + 1;
	den = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || den <= 0 || num <= 0)
		return 0;
	return (double)num / (double)den;
}

enum media_result
media_probe(const char *path, const struct media_opts *o, struct media_info *out, char *err, size_t errlen)
{
	char *argv[] = { "ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
		"-select_streams", "v:0", (char *)path, NULL };
	json_object *root = NULL, *streams = NULL, *stream, *format = NULL, *codec = NULL;
	enum media_result r;
	char *text = NULL, jerr[160];
	double d, w = 0, h = 0;

	memset(out, 0, sizeof(*out));
	if ((r = run(argv, o, &text, PROBE_OUTPUT_MAX, err, errlen)) != MEDIA_OK)
		return r;
	r = MEDIA_BAD_INPUT;
	if ((root = json_parse(text, strlen(text), jerr, sizeof(jerr))) == NULL) {
		(void)str_fmt(err, errlen, "ffprobe answered something that is not JSON: %s", jerr);
		goto out;
	}
	if (!json_object_object_get_ex(root, "streams", &streams) || !json_object_is_type(streams, json_type_array) ||
	    json_object_array_length(streams) < 1) {
		(void)str_fmt(err, errlen, "%s has no video stream", "the file");
		goto out;
	}
	stream = json_object_array_get_idx(streams, 0);
	if (!number_of(stream, "width", &w) || !number_of(stream, "height", &h) || w < 1 || h < 1 || w > 16384 ||
	    h > 16384) {
		(void)str_fmt(err, errlen, "the video stream has no usable frame size");
		goto out;
	}
	out->width = (int)w;
	out->height = (int)h;
	if (json_object_object_get_ex(stream, "codec_name", &codec) && json_object_is_type(codec, json_type_string))
		(void)str_fmt(out->codec, sizeof(out->codec), "%s", json_object_get_string(codec));
	out->fps = rate_of(stream);
	(void)json_object_object_get_ex(root, "format", &format);
	if ((format != NULL && number_of(format, "duration", &d) && d > 0) || (number_of(stream, "duration", &d) && d > 0))
		out->duration = d;
	else {
		(void)str_fmt(err, errlen, "the video has no duration");
		goto out;
	}
	if ((format != NULL && number_of(format, "bit_rate", &d) && d > 0) || (number_of(stream, "bit_rate", &d) && d > 0))
		out->bitrate = (long long)d;
	r = MEDIA_OK;
out:
	json_object_put(root);
	free(text);
	return r;
}

int
media_frame_path(char *buf, size_t len, const char *outdir, int i)
{
	return str_fmt(buf, len, "%s/frame_%06d.jpg", outdir, i);
}

enum media_result
media_frames(const char *path, const struct media_opts *o, double fps, const struct media_crop *crop,
    const char *outdir, int *count, char *err, size_t errlen)
{
	char filter[160], pattern[4096], frame[4096];
	char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", (char *)path, "-vf", filter, "-q:v", "2",
		"-start_number", "0", pattern, NULL };
	enum media_result r;
	struct stat sb;

	*count = 0;
	if (!(fps > 0 && fps <= 120)) {
		(void)str_fmt(err, errlen, "frame rate %g is outside (0, 120]", fps);
		return MEDIA_BAD_INPUT;
	}
	if ((crop != NULL ? str_fmt(filter, sizeof(filter), "fps=%.6f,crop=%d:%d:%d:%d", fps, crop->width,
	    crop->height, crop->x, crop->y) : str_fmt(filter, sizeof(filter), "fps=%.6f", fps)) != 0 ||
	    str_fmt(pattern, sizeof(pattern), "%s/frame_%%06d.jpg", outdir) != 0) {
		(void)str_fmt(err, errlen, "frame output path too long");
		return MEDIA_BAD_INPUT;
	}
	if (mkdir(outdir, 0700) != 0 && errno != EEXIST) {
		(void)str_fmt(err, errlen, "cannot create %s: %s", outdir, strerror(errno));
		return MEDIA_FAILED;
	}
	if ((r = run(argv, o, NULL, 0, err, errlen)) != MEDIA_OK)
		return r;
	while (media_frame_path(frame, sizeof(frame), outdir, *count) == 0 && stat(frame, &sb) == 0)
		(*count)++;
	return MEDIA_OK;
}

/* Raw frames from ffmpeg's stdout, cut at frame boundaries, for media_decode's callback. */
struct decoder {
	media_frame_fn *fn;
	void *arg;
	unsigned char *frame;   /* size bytes; owned by media_decode */
	size_t size, have;
	int count;
};

static int
take_frames(void *arg, const unsigned char *data, size_t len, char *err, size_t errlen)
{
	struct decoder *d = arg;

	while (len > 0) {
		size_t n = d->size - d->have < len ? d->size - d->have : len;

		memcpy(d->frame + d->have, data, n);
		d->have += n;
		data += n;
		len -= n;
		if (d->have == d->size) {
			d->have = 0;
			if (d->fn(d->arg, d->count, d->frame, err, errlen) != 0)
				return -1;
			d->count++;
		}
	}
	return 0;
}

enum media_result
media_decode(const char *path, const struct media_opts *o, double fps, const struct media_crop *crop,
    media_frame_fn *fn, void *arg, int *count, char *err, size_t errlen)
{
	char filter[160];
	char *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-i", (char *)path, "-an", "-sn", "-dn", "-vf", filter,
		"-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1", NULL };
	struct decoder d = { .fn = fn, .arg = arg };
	struct child_opts co = {
		.argv = argv, .timeout_ms = o->timeout_seconds * 1000LL, .cancelled = o->cancelled, .arg = o->arg,
		.hint = "install the Debian package ffmpeg", .sink = take_frames, .sink_arg = &d,
	};
	enum media_result r;

	*count = 0;
	if (!(fps > 0 && fps <= 240) || crop->width < 2 || crop->height < 2 || crop->width % 2 || crop->height % 2 ||
	    crop->x % 2 || crop->y % 2 || crop->x < 0 || crop->y < 0 || crop->width > 16384 || crop->height > 16384) {
		(void)str_fmt(err, errlen, "cannot decode %dx%d+%d+%d at %g fps", crop->width, crop->height, crop->x,
		    crop->y, fps);
		return MEDIA_BAD_INPUT;
	}
	if (str_fmt(filter, sizeof(filter), "crop=%d:%d:%d:%d,fps=%.6f", crop->width, crop->height, crop->x, crop->y,
	    fps) != 0)
		return MEDIA_BAD_INPUT;
	d.size = (size_t)crop->width * (size_t)crop->height * 3 / 2;
	if ((d.frame = malloc(d.size)) == NULL) {
		(void)str_fmt(err, errlen, "out of memory");
		return MEDIA_FAILED;
	}
	r = from_child[child_run(&co, NULL, err, errlen)];
	*count = d.count;
	free(d.frame);
	return r;
}
