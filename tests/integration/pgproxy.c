/* pgproxy.c: the PostgreSQL proxy that loses an INSERT's answer (see pgproxy.h). One client at a time. */
#include "tests/integration/pgproxy.h"

#include "shared/clock.h"

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static char upstream[108], dir[64];
static int listen_fd = -1;
static pthread_t thread;
static atomic_bool stopping, lose_next;
static atomic_long refuse_ms;
static atomic_llong refuse_until;
static atomic_int lost;

static int
unix_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	return snprintf(a->sun_path, sizeof(a->sun_path), "%s", path) < (int)sizeof(a->sun_path) ? 0 : -1;
}

static bool
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Forwards the server's complete messages in buf[0..*have) to c, unless an INSERT's answer is being lost.
 * Returns false once that answer's ReadyForQuery has come (the caller closes both ends). */
static bool
from_server(int c, unsigned char *buf, size_t *have, bool *dropping)
{
	size_t off = 0;

	while (*have - off >= 5) {
		uint32_t len = (uint32_t)buf[off + 1] << 24 | (uint32_t)buf[off + 2] << 16 | (uint32_t)buf[off + 3] << 8 |
		    buf[off + 4];

		if (*have - off < 1 + (size_t)len)
			break;
		if (!*dropping && buf[off] == 'C' && len >= 10 && memcmp(buf + off + 5, "INSERT", 6) == 0 &&
		    atomic_exchange(&lose_next, false))
			*dropping = true;
		if (*dropping && buf[off] == 'Z') {
			atomic_fetch_add(&lost, 1);
			atomic_store(&refuse_until, clock_ms() + atomic_load(&refuse_ms));
			return false;
		}
		if (!*dropping && !write_all(c, buf + off, 1 + (size_t)len))
			return false;
		off += 1 + (size_t)len;
	}
	memmove(buf, buf + off, *have - off);
	*have -= off;
	return true;
}

static void
relay(int c, int u)
{
	static unsigned char buf[1 << 20];
	unsigned char tmp[8192];
	struct pollfd p[2] = { { c, POLLIN, 0 }, { u, POLLIN, 0 } };
	size_t have = 0;
	bool dropping = false;
	ssize_t n;

	while (!atomic_load(&stopping)) {
		if (poll(p, 2, 100) < 0)
			break;
		if (p[0].revents != 0 && ((n = read(c, tmp, sizeof(tmp))) <= 0 || !write_all(u, tmp, (size_t)n)))
			break;
		if (p[1].revents != 0) {
			if (have == sizeof(buf) || (n = read(u, buf + have, sizeof(buf) - have)) <= 0)
				break;
			have += (size_t)n;
			if (!from_server(c, buf, &have, &dropping))
				break;
		}
	}
}

static void *
serve(void *arg)
{
	struct sockaddr_un a;
	struct pollfd p = { listen_fd, POLLIN, 0 };

	(void)arg;
	while (!atomic_load(&stopping)) {
		int c, u;

		if (poll(&p, 1, 100) <= 0 || (c = accept(listen_fd, NULL, NULL)) < 0)
			continue;
		if (clock_ms() < atomic_load(&refuse_until)) { /* the database is away: the session ends at once */
			close(c);
			continue;
		}
		if ((u = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0 && unix_addr(upstream, &a) == 0 &&
		    connect(u, (struct sockaddr *)&a, sizeof(a)) == 0)
			relay(c, u);
		if (u >= 0)
			close(u);
		close(c);
	}
	return NULL;
}

/* The server's socket file in socket directory sdir: its name (.s.PGSQL.<port>) into name. */
static void
find_socket(const char *sdir, char *name, size_t len)
{
	DIR *d = opendir(sdir);
	struct dirent *e;

	assert_non_null(d);
	name[0] = '\0';
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, ".s.PGSQL.", 9) == 0 && strstr(e->d_name, ".lock") == NULL)
			assert_true(snprintf(name, len, "%s", e->d_name) < (int)len);
	closedir(d);
	assert_true(name[0] != '\0');
}

void
pgproxy_start(const char *conninfo, char *out, size_t outlen)
{
	const char *h = strstr(conninfo, "host=");
	char sdir[80], name[32], path[128];
	struct sockaddr_un a;
	size_t n;

	assert_non_null(h);
	h += 5;
	n = strcspn(h, " ");
	assert_true(n < sizeof(sdir));
	memcpy(sdir, h, n);
	sdir[n] = '\0';
	find_socket(sdir, name, sizeof(name));
	assert_true(snprintf(upstream, sizeof(upstream), "%s/%s", sdir, name) < (int)sizeof(upstream));
	assert_true(snprintf(dir, sizeof(dir), "/tmp/pgproxy.XXXXXX") < (int)sizeof(dir));
	assert_non_null(mkdtemp(dir));
	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path));
	assert_true((listen_fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(unix_addr(path, &a), 0);
	assert_int_equal(bind(listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(listen_fd, 8), 0);
	/* Later keywords win: the same database and user, through the proxy's socket. */
	assert_true(snprintf(out, outlen, "%s host=%s port=%s", conninfo, dir, name + 9) < (int)outlen);
	atomic_store(&stopping, false);
	assert_int_equal(pthread_create(&thread, NULL, serve, NULL), 0);
}

void
pgproxy_lose_next_insert(long ms)
{
	atomic_store(&refuse_ms, ms);
	atomic_store(&lose_next, true);
}

int
pgproxy_lost(void)
{
	return atomic_load(&lost);
}

void
pgproxy_stop(void)
{
	char path[128];

	atomic_store(&stopping, true);
	pthread_join(thread, NULL);
	close(listen_fd);
	listen_fd = -1;
	if (snprintf(path, sizeof(path), "%s/%s", dir, strrchr(upstream, '/') + 1) < (int)sizeof(path))
		unlink(path);
	rmdir(dir);
}
