/* wm_clock: the two clocks wiremeter reads, in one place.
 *
 * Wall-clock nanoseconds stamp what people read (a run's start, the
 * store's times, pcap timestamps are on the same clock); the monotonic
 * clock times waits and durations, which a wall-clock step must neither
 * stretch nor cut. Condition variables that wait on a deadline from
 * wm_clock_deadline must be set to CLOCK_MONOTONIC. */
#ifndef WM_CLOCK_H
#define WM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* ns since the Unix epoch. */
int64_t wm_clock_wall_ns(void);

/* ns on the monotonic clock (for differences only). */
int64_t wm_clock_monotonic_ns(void);

/* *deadline = now + ms on the monotonic clock, for
 * pthread_cond_timedwait. */
void wm_clock_deadline(struct timespec *deadline, unsigned ms);

#endif
