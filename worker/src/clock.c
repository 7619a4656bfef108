/* wm_clock: see wm_clock.h. */
#include "wm_clock.h"

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
