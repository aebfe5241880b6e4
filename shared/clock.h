/* clock.h: the monotonic clock in milliseconds, for intervals, back-offs and deadlines. */
#ifndef CAPTIONACC_CLOCK_H
#define CAPTIONACC_CLOCK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* How often a long sleep looks whether it should stop. */
#define CLOCK_SLICE_MS 10

long long clock_ms(void);
/* Sleeps ms milliseconds (whole, even when a signal interrupts); nothing for ms <= 0. */
void clock_sleep_ms(long long ms);
/* Sleeps ms milliseconds unless stop(arg) becomes true first (looked at every CLOCK_SLICE_MS; stop may be
 * NULL). Returns true when it slept the whole time, false when it stopped early. */
bool clock_sleep_unless(long long ms, bool (*stop)(void *arg), void *arg);
/* The stop callback of a signal handler's flag: true once *flag is set. arg is CLOCK_FLAG(flag). */
bool clock_flag_set(void *flag);
#define CLOCK_FLAG(flag) ((void *)(uintptr_t)(const volatile sig_atomic_t *)(flag))

#endif
