/* media.h: video facts and frames through Debian's ffprobe and ffmpeg programs (run without a shell, with
 * a time limit and cancellation); no video decoding of our own. */
#ifndef CAPTIONACC_MEDIA_H
#define CAPTIONACC_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

enum media_result {
	MEDIA_OK = 0,
	MEDIA_BAD_INPUT = -1,  /* not a readable video: retrying will not help */
	MEDIA_FAILED = -2      /* the tool could not run, ran out of time or was cancelled: may work later */
};

struct media_info {
	double duration;        /* seconds */
	int width, height;      /* of the first video stream */
	char codec[32];         /* ffprobe's codec_name, e.g. h264 */
	long long bitrate;      /* bits per second (container's, else the stream's; 0 if unknown) */
	double fps;             /* average frame rate (0 if unknown) */
};

/* A region of the frame in pixels. */
struct media_crop {
	int x, y, width, height;
};

struct media_opts {
	long timeout_seconds;            /* per tool run */
	bool (*cancelled)(void *arg);    /* polled while a tool runs; may be NULL */
	void *arg;
};

enum media_result media_probe(const char *path, const struct media_opts *o, struct media_info *out, char *err,
    size_t errlen);
/* Writes frames of path at fps frames per second, cropped when crop is not NULL, to
 * outdir/frame_000000.jpg, frame_000001.jpg, ... (frame i shows time i / fps); *count is how many. */
enum media_result media_frames(const char *path, const struct media_opts *o, double fps,
    const struct media_crop *crop, const char *outdir, int *count, char *err, size_t errlen);
/* A frame of media_decode: YUV 4:2:0 planes of the crop (width x height luma, then the two chroma planes
 * of (width/2) x (height/2)), valid during the call. Returning non-zero stops the decoding, with a reason
 * in err. */
typedef int media_frame_fn(void *arg, int index, const unsigned char *yuv, char *err, size_t errlen);
/* Decodes the crop of path (width, height, x and y even) at fps frames per second, frame i showing time
 * i / fps, and gives each frame to fn in order, with no file written; *count is how many it was given. A
 * stop asked by fn is MEDIA_FAILED with fn's reason. */
enum media_result media_decode(const char *path, const struct media_opts *o, double fps,
    const struct media_crop *crop, media_frame_fn *fn, void *arg, int *count, char *err, size_t errlen);
/* outdir/frame_NNNNNN.jpg for frame i, or -1 if it does not fit. */
int media_frame_path(char *buf, size_t len, const char *outdir, int i) __attribute__((warn_unused_result));

#endif
