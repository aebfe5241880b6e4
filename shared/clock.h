/* clock.h: the monotonic clock in milliseconds, for intervals, back-offs and deadlines. */
#ifndef CAPTIONACC_CLOCK_H
#define CAPTIONACC_CLOCK_H

long long clock_ms(void);
/* Sleeps ms milliseconds (whole, even when a signal interrupts); nothing for ms <= 0. */
void clock_sleep_ms(long long ms);

#endif
