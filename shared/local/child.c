/* child.c: see child.h. posix_spawnp with stdout and stderr on two pipes read with poll until both close,
 * then waitpid; the time limit and the cancellation callback are looked at between polls. */
#define _GNU_SOURCE /* pipe2 */
#include "shared/local/child.h"

#include "shared/clock.h"
#include "shared/str.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define STDERR_TAIL 400
#define POLL_MS 100
#define READY (POLLIN | POLLHUP | POLLERR)

/* Keeps the last STDERR_TAIL bytes of the child's error output, for the message. */
struct tail {
	char buf[STDERR_TAIL + 1];
	size_t len;
};

/* One child: its pid, the read ends of its pipes (-1 once closed) and what it wrote. */
struct proc {
	const struct child_opts *o;
	long long deadline;
	pid_t pid;
	int out, err;
	char *buf;       /* stdout_max + 1 bytes when stdout is kept, else NULL; freed by child_run */
	size_t len;
	struct tail tail;
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

/* The last line of what the child said, for one-line error messages. */
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

static void
cannot_run(const struct child_opts *o, int rc, char *err, size_t errlen)
{
	if (o->hint != NULL)
		(void)str_fmt(err, errlen, "cannot run %s: %s (%s)", o->argv[0], strerror(rc), o->hint);
	else
		(void)str_fmt(err, errlen, "cannot run %s: %s", o->argv[0], strerror(rc));
}

/* The program's file as execvp would find it (a name with '/' as it is, else the first executable of
 * that name in PATH), so that a missing program is reported the same way everywhere (posix_spawnp reports
 * it only when the C library spawns with vfork semantics; under valgrind the child just exits 127).
 * 0, or an errno. */
static int
find_program(const char *name, char *path, size_t len)
{
	const char *dirs = getenv("PATH"), *d;

	if (strchr(name, '/') != NULL)
		return str_copy(path, len, name) != 0 ? ENAMETOOLONG : access(path, X_OK) == 0 ? 0 : errno;
	for (d = dirs ? dirs : "/usr/local/bin:/usr/bin:/bin"; ; d += strcspn(d, ":") + 1) {
		size_t n = strcspn(d, ":");

		if (str_fmt(path, len, "%.*s/%s", (int)n, n ? d : ".", name) == 0 && access(path, X_OK) == 0)
			return 0;
		if (d[n] == '\0')
			return ENOENT;
	}
}


/* Makes the pipes and starts the child. Returns 0, or -1 with err (p->pid stays -1). */
static int
start(struct proc *p, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	char path[PATH_MAX];
	int pout[2], perr[2], rc;

	if ((rc = find_program(p->o->argv[0], path, sizeof(path))) != 0) {
		cannot_run(p->o, rc, err, errlen);
		return -1;
	}
	if (pipe2(pout, O_CLOEXEC) != 0) {
		(void)str_fmt(err, errlen, "%s: pipe: %s", p->o->argv[0], strerror(errno));
		return -1;
	}
	if (pipe2(perr, O_CLOEXEC) != 0) {
		(void)str_fmt(err, errlen, "%s: pipe: %s", p->o->argv[0], strerror(errno));
		close(pout[0]);
		close(pout[1]);
		return -1;
	}
	p->out = pout[0];
	p->err = perr[0];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	rc = posix_spawn(&p->pid, path, &fa, NULL, p->o->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pout[1]);
	close(perr[1]);
	if (rc != 0) {
		p->pid = -1;
		cannot_run(p->o, rc, err, errlen);
		return -1;
	}
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Reads one chunk of stdout: kept when asked for, or given to the sink. Returns -1 when keeping it would
 * pass stdout_max, -2 when the sink refused it (its message in err). */
static int
read_out(struct proc *p, char *err, size_t errlen)
{
	static __thread unsigned char chunk[65536];
	ssize_t n = read(p->out, chunk, sizeof(chunk));

	if (n <= 0)
		close_fd(&p->out);
	else if (p->o->sink != NULL) {
		if (p->o->sink(p->o->sink_arg, chunk, (size_t)n, err, errlen) != 0)
			return -2;
	} else if (p->buf != NULL) {
		if (p->len + (size_t)n > p->o->stdout_max)
			return -1;
		memcpy(p->buf + p->len, chunk, (size_t)n);
		p->len += (size_t)n;
	}
	return 0;
}

static void
read_err(struct proc *p)
{
	char chunk[4096];
	ssize_t n = read(p->err, chunk, sizeof(chunk));

	if (n <= 0)
		close_fd(&p->err);
	else
		tail_add(&p->tail, chunk, (size_t)n);
}

/* Why the child must be killed now (time, cancellation), with the message; CHILD_EXITED_0 if it need not. */
static enum child_outcome
must_stop(const struct proc *p, char *err, size_t errlen)
{
	const struct child_opts *o = p->o;

	if (clock_ms() >= p->deadline) {
		(void)str_fmt(err, errlen, "%s ran out of time", o->argv[0]);
		return CHILD_TIMED_OUT;
	}
	if (o->cancelled != NULL && o->cancelled(o->arg)) {
		(void)str_fmt(err, errlen, "%s was cancelled", o->argv[0]);
		return CHILD_CANCELLED;
	}
	return CHILD_EXITED_0;
}

/* Reads both pipes until they close (returns CHILD_EXITED_0: the child is then waited for) or until the
 * child must be killed: it is, and the reason is returned with the message in err. */
static enum child_outcome
pump(struct proc *p, char *err, size_t errlen)
{
	enum child_outcome k = CHILD_EXITED_0;
	int rc;

	while (p->out >= 0 || p->err >= 0) {
		struct pollfd fds[2] = { { p->out, POLLIN, 0 }, { p->err, POLLIN, 0 } };

		if ((k = must_stop(p, err, errlen)) != CHILD_EXITED_0)
			break;
		if (poll(fds, 2, POLL_MS) < 0 && errno != EINTR)
			break;
		if (p->out >= 0 && (fds[0].revents & READY) && (rc = read_out(p, err, errlen)) != 0) {
			if (rc == -1)
				(void)str_fmt(err, errlen, "%s: more than %zu bytes of output", p->o->argv[0],
				    p->o->stdout_max);
			k = rc == -1 ? CHILD_OVERFLOW : CHILD_SINK_STOPPED;
			break;
		}
		if (p->err >= 0 && (fds[1].revents & READY))
			read_err(p);
	}
	if (k != CHILD_EXITED_0)
		kill(p->pid, SIGKILL);
	return k;
}

static int
wait_for(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

enum child_outcome
child_run(const struct child_opts *o, char **out, char *err, size_t errlen)
{
	struct proc p = { .o = o, .deadline = clock_ms() + o->timeout_ms, .pid = -1, .out = -1, .err = -1 };
	enum child_outcome k = CHILD_CANNOT_RUN;
	int status;

	if (out != NULL)
		*out = NULL;
	if (out != NULL && o->sink == NULL) {
		if ((p.buf = malloc(o->stdout_max + 1)) == NULL) {
			(void)str_fmt(err, errlen, "%s: out of memory", o->argv[0]);
			goto out;
		}
	}
	if (start(&p, err, errlen) != 0)
		goto out;
	k = pump(&p, err, errlen);
	status = wait_for(p.pid);
	if (k != CHILD_EXITED_0)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		k = CHILD_EXITED_NONZERO;
		(void)str_fmt(err, errlen, "%s failed: %s", o->argv[0], p.tail.len ? last_line(&p.tail) : "no message");
	} else if (out != NULL && p.buf != NULL) {
		p.buf[p.len] = '\0';
		*out = p.buf;
		p.buf = NULL;
	}
out:
	close_fd(&p.out);
	close_fd(&p.err);
	free(p.buf);
	return k;
}
