/* media.c: runs ffprobe and ffmpeg as child processes (argv arrays, no shell), collects their output within
 * bounds, and reads ffprobe's JSON with json-c. */
#define _GNU_SOURCE /* pipe2 */
#include "shared/local/media.h"

#include "shared/clock.h"
#include "shared/json.h"
#include "shared/str.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PROBE_OUTPUT_MAX (256 * 1024)
#define STDERR_TAIL 400

/* Keeps the last STDERR_TAIL bytes of the tool's error output, for the message. */
struct tail {
	char buf[STDERR_TAIL + 1];
	size_t len;
};

static void
tail_add(struct tail *t, const char *p, size_t n)
{
	if (n >= STDERR_TAIL) {
		memcpy(t->buf, p + n - STDERR_TAIL, STDERR_TAIL);
		t->len = STDERR_TAIL;
	} else {
		if (t->len + n > STDERR_TAIL) {
			size_t drop = t->len + n - STDERR_TAIL;

			memmove(t->buf, t->buf + drop, t->len - drop);
			t->len -= drop;
		}
		memcpy(t->buf + t->len, p, n);
		t->len += n;
	}
	t->buf[t->len] = '\0';
}

/* The last line of what the tool said, for one-line error messages. */
static const char *
last_line(struct tail *t)
{
	char *p;

	while (t->len > 0 && (t->buf[t->len - 1] == '\n' || t->buf[t->len - 1] == '\r'))
		t->buf[--t->len] = '\0';
	for (p = t->buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = ' ';
	p = strrchr(t->buf, '\n');
	return p ? p + 1 : t->buf;
}

/* Runs argv; stdout goes to *out (up to outmax bytes, NUL-terminated; NULL: discarded). Returns MEDIA_OK
 * when it exits 0, MEDIA_BAD_INPUT when it exits non-zero, MEDIA_FAILED when it cannot run, overflows,
 * times out or is cancelled (then it is killed). */
static enum media_result
run(char *const argv[], const struct media_opts *o, char **out, size_t outmax, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	int pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, status = 0, rc;
	long long deadline = clock_ms() + o->timeout_seconds * 1000;
	enum media_result r = MEDIA_FAILED;
	struct tail tail = { "", 0 };
	size_t len = 0;
	bool open_out, open_err, killed = false;
	char *buf = NULL;
	pid_t pid = -1;

	if (out != NULL) {
		*out = NULL;
		if ((buf = malloc(outmax + 1)) == NULL) {
			(void)str_fmt(err, errlen, "%s: out of memory", argv[0]);
			return MEDIA_FAILED;
		}
	}
	if (pipe2(pout, O_CLOEXEC) != 0 || pipe2(perr, O_CLOEXEC) != 0) {
		(void)str_fmt(err, errlen, "%s: pipe: %s", argv[0], strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pout[1]);
	close(perr[1]);
	pout[1] = perr[1] = -1;
	if (rc != 0) {
		pid = -1;
		(void)str_fmt(err, errlen, "cannot run %s: %s (install the Debian package ffmpeg)", argv[0], strerror(rc));
		goto out;
	}
	open_out = open_err = true;
	while (open_out || open_err) {
		struct pollfd p[2] = { { pout[0], POLLIN, 0 }, { perr[0], POLLIN, 0 } };
		char chunk[4096];
		ssize_t n;

		if (!open_out)
			p[0].fd = -1;
		if (!open_err)
			p[1].fd = -1;
		if (clock_ms() >= deadline || (o->cancelled != NULL && o->cancelled(o->arg))) {
			kill(pid, SIGKILL);
			killed = true;
			(void)str_fmt(err, errlen, "%s %s", argv[0],
			    clock_ms() >= deadline ? "ran out of time" : "was cancelled");
			break;
		}
		if (poll(p, 2, 100) < 0 && errno != EINTR)
			break;
		if (open_out && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(pout[0], chunk, sizeof(chunk));
			if (n <= 0)
				open_out = false;
			else if (buf != NULL) {
				if (len + (size_t)n > outmax) {
					kill(pid, SIGKILL);
					killed = true;
					(void)str_fmt(err, errlen, "%s: more than %zu bytes of output", argv[0], outmax);
					break;
				}
				memcpy(buf + len, chunk, (size_t)n);
				len += (size_t)n;
			}
		}
		if (open_err && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(perr[0], chunk, sizeof(chunk));
			if (n <= 0)
				open_err = false;
			else
				tail_add(&tail, chunk, (size_t)n);
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (killed)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r = MEDIA_OK;
		if (buf != NULL) {
			buf[len] = '\0';
			*out = buf;
			buf = NULL;
		}
	} else {
		r = MEDIA_BAD_INPUT;
		(void)str_fmt(err, errlen, "%s failed: %s", argv[0], tail.len ? last_line(&tail) : "no message");
	}
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	free(buf);
	return r;
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
