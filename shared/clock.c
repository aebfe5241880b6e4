/* clock.c: CLOCK_MONOTONIC in milliseconds (never jumps with the wall clock). */
#include "shared/clock.h"

#include <errno.h>
#include <time.h>

long long
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
clock_sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool
clock_flag_set(void *flag)
{
	return *(const volatile sig_atomic_t *)flag != 0;
}

bool
clock_sleep_unless(long long ms, bool (*stop)(void *arg), void *arg)
{
	for (long long end = clock_ms() + ms, left = ms; left > 0; left = end - clock_ms()) {
		if (stop != NULL && stop(arg))
			return false;
		clock_sleep_ms(left < CLOCK_SLICE_MS ? left : CLOCK_SLICE_MS);
	}
	return true;
}
