/* wm_clock: see wm_clock.h. */
#include "wm_clock.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static int64_t read_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t wm_clock_wall_ns(void)
{
    return read_ns(CLOCK_REALTIME);
}

int64_t wm_clock_monotonic_ns(void)
{
    return read_ns(CLOCK_MONOTONIC);
}

void wm_clock_deadline(struct timespec *deadline, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, deadline);
    deadline->tv_sec += ms / 1000;
    deadline->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
}

void wm_clock_rfc3339(int64_t ns, char out[WM_CLOCK_RFC3339_SIZE])
{
    /* Floor division: a time before the epoch still has a fraction in
     * [0, 1e9), as RFC 3339 writes it. */
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0)
        sec--, frac += 1000000000;
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, WM_CLOCK_RFC3339_SIZE, "1970-01-01T00:00:00.000000000Z");
        return;
    }
    /* Room for any int the compiler imagines in tm; an int64 of ns ends
     * in 2262, so the text is always 30 bytes. */
    char text[128];
    int n = snprintf(text, sizeof text,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (long long)frac);
    assert(n > 0 && n < WM_CLOCK_RFC3339_SIZE);
    memcpy(out, text, (size_t)n + 1);
}
