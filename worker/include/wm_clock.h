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

/* Room for wm_clock_rfc3339's text and its NUL. */
#define WM_CLOCK_RFC3339_SIZE 40

/* ns since the epoch as RFC 3339 in UTC with all 9 fractional digits:
 * "2026-11-30T20:15:37.123456789Z". Why a string beside every absolute
 * *_ns integer: those integers pass 2^53, so JavaScript's numbers and
 * jq 1.6 round their last digits; the text keeps every one. The one
 * formatter of the engine and the daemon, so both write the same text. */
void wm_clock_rfc3339(int64_t ns, char out[WM_CLOCK_RFC3339_SIZE]);

#endif
