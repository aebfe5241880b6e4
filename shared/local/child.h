/* child.h: runs a program as a child process (an argv array looked up in PATH, no shell, stdin from
 * /dev/null) within bounds: a time limit, a cancellation callback and a cap on its standard output. */
#ifndef CAPTIONACC_CHILD_H
#define CAPTIONACC_CHILD_H

#include <stdbool.h>
#include <stddef.h>

enum child_outcome {
	CHILD_EXITED_0,        /* it exited 0 */
	CHILD_EXITED_NONZERO,  /* it exited non-zero or died of a signal */
	CHILD_CANNOT_RUN,      /* no pipe, no memory, or the program could not be started */
	CHILD_TIMED_OUT,       /* killed: still running at timeout_ms */
	CHILD_CANCELLED,       /* killed: cancelled() answered true */
	CHILD_OVERFLOW,        /* killed: it wrote more than stdout_max bytes to stdout */
	CHILD_SINK_STOPPED     /* killed: the sink refused its output */
};

struct child_opts {
	char *const *argv;             /* NULL-terminated; argv[0] is looked up in PATH */
	long long timeout_ms;          /* from the call; 0 or less kills it at once */
	bool (*cancelled)(void *arg);  /* polled about every 100 ms while it runs; may be NULL */
	void *arg;
	size_t stdout_max;             /* bytes of stdout kept when asked for (more kills it) */
	const char *hint;              /* added to "cannot run" messages, e.g. a package to install; may be NULL */
	/* When set, stdout goes to sink as it comes, in chunks (out must be NULL, stdout_max is ignored); a
	 * non-zero return kills the child (CHILD_SINK_STOPPED, with the sink's own message in err). */
	int (*sink)(void *arg, const unsigned char *data, size_t len, char *err, size_t errlen);
	void *sink_arg;
};

/* Runs o->argv and waits for it (a killed child too). With out not NULL, on CHILD_EXITED_0 *out (caller
 * frees) holds its stdout, NUL-terminated, else NULL; with out NULL stdout is read and dropped. Any other
 * outcome leaves one line in err: "cannot run <prog>: <why>[ (<hint>)]", "<prog> ran out of time",
 * "<prog> was cancelled", "<prog>: more than <stdout_max> bytes of output", the sink's message, or "<prog> failed: <the last
 * line it wrote to stderr, or "no message">". */
enum child_outcome child_run(const struct child_opts *o, char **out, char *err, size_t errlen);

#endif
