/* clock.h: the monotonic clock in milliseconds, for intervals, back-offs and deadlines. */
#ifndef CAPTIONACC_CLOCK_H
#define CAPTIONACC_CLOCK_H

long long clock_ms(void);

#endif
