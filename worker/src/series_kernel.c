/* series_kernel: see series_kernel.h. */
#include "series_kernel.h"

#include <assert.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "wm_clock.h"
#include "wm_series.h"

/* The kernel's TCP_INFINITE_SSTHRESH (include/net/tcp.h), not exported
 * to user space. */
#define KERNEL_INFINITE_SSTHRESH 0x7fffffffu

struct series_kernel {
    bool stopped;              /* series_kernel_stop was called */
    pthread_mutex_t lock;      /* guards everything below */
    int fd;                    /* the sender's socket, -1: none (yet) */
    bool automatic;            /* interval "auto" */
    int64_t interval_ns;
    int64_t next_ns;           /* monotonic: the next sample's time */
    series_sample *samples;    /* room for capacity, grown on demand */
    size_t count, capacity, max_samples;
    uint64_t dropped;
    char congestion[16];
};

int series_kernel_read(int fd, int64_t t_ns, series_sample *out)
{
    struct tcp_info info;
    socklen_t len = sizeof info;
    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
        return -1;
    *out = (series_sample){
        .t_ns = t_ns,
        .cwnd = info.tcpi_snd_cwnd,
        .ssthresh = info.tcpi_snd_ssthresh >= KERNEL_INFINITE_SSTHRESH
                        ? SERIES_NO_SSTHRESH : info.tcpi_snd_ssthresh,
        .mss = info.tcpi_snd_mss,
        .rtt_us = info.tcpi_rtt,
        .rttvar_us = info.tcpi_rttvar,
        .unacked = info.tcpi_unacked,
        .retrans = info.tcpi_retrans,
        .total_retrans = info.tcpi_total_retrans,
        .lost = info.tcpi_lost,
        /* The kernel gives both rates in bytes per second. */
        .delivery_rate_bps = info.tcpi_delivery_rate * 8,
        .pacing_rate_bps = info.tcpi_pacing_rate == UINT64_MAX
                               ? 0 : info.tcpi_pacing_rate * 8,
        .bytes_acked = info.tcpi_bytes_acked,
        .bytes_sent = info.tcpi_bytes_sent,
    };
    return 0;
}

/* Auto's bound reached: every other sample goes, the interval doubles,
 * so the samples kept stay evenly spaced. */
static void halve(series_kernel *k)
{
    size_t kept = 0;
    for (size_t i = 0; i < k->count; i += 2)
        k->samples[kept++] = k->samples[i];
    k->count = kept;
    k->interval_ns *= 2;
}

/* Room for the samples a short run takes, grown (doubled) as a longer
 * one needs, rather than the whole bound (4096 samples, 0.4 MB) at each
 * run's start for a small run's two. 8 samples stay under glibc's 1 KiB
 * line, past which a request first consolidates the fast bins: perf put
 * 28 us of a 13 B run there. (The consolidation then falls on the run's
 * next request that large: it moves, it does not go; see bench/README.) */
#define INITIAL_CAPACITY 8u

/* Room for one more sample, within max_samples; false when out of
 * memory (the sample is then dropped, as past the bound). */
static bool make_room(series_kernel *k)
{
    if (k->count < k->capacity)
        return true;
    size_t capacity = k->capacity * 2 < k->max_samples ? k->capacity * 2
                                                       : k->max_samples;
    assert(capacity > k->count);
    series_sample *grown = realloc(k->samples, capacity * sizeof *grown);
    if (!grown)
        return false;
    k->samples = grown;
    k->capacity = capacity;
    return true;
}

/* One sample of the socket, under the lock. */
static void sample_locked(series_kernel *k)
{
    assert(k->fd >= 0);
    /* Auto halves at its own mark or at a smaller bound, whichever
     * comes first: either way it keeps samples over the whole run. */
    size_t room = k->automatic && 2 * WM_SERIES_AUTO_SAMPLES < k->max_samples
                      ? 2 * WM_SERIES_AUTO_SAMPLES
                      : k->max_samples;
    _Static_assert(2 * WM_SERIES_AUTO_SAMPLES <= WM_SERIES_MAX_SAMPLES,
                   "auto keeps within the default bound");
    if (k->count == room && k->automatic)
        halve(k);
    if (k->count == room || !make_room(k)) {
        k->dropped++;
        return;
    }
    if (series_kernel_read(k->fd, wm_clock_wall_ns(),
                           &k->samples[k->count]) == 0)
        k->count++;
}

int64_t series_kernel_tick(void *kernel)
{
    series_kernel *k = kernel;
    pthread_mutex_lock(&k->lock);
    int64_t now = wm_clock_monotonic_ns();
    if (k->fd >= 0 && now >= k->next_ns) {
        sample_locked(k);
        k->next_ns += k->interval_ns;
        /* A late call does not make a burst of samples. */
        if (k->next_ns < now)
            k->next_ns = now + k->interval_ns;
    }
    int64_t next = k->fd >= 0 ? k->next_ns : INT64_MAX;
    pthread_mutex_unlock(&k->lock);
    return next;
}

int series_kernel_start(uint32_t interval_us, uint32_t max_samples,
                        series_kernel **out, wm_error *err)
{
    assert(interval_us == 0 || (interval_us >= WM_SERIES_MIN_INTERVAL_US &&
                                interval_us <= WM_SERIES_MAX_INTERVAL_US));
    assert(max_samples >= WM_SERIES_MIN_BOUND &&
           max_samples <= WM_SERIES_MAX_SAMPLES);
    *out = NULL;
    series_kernel *k = calloc(1, sizeof *k);
    size_t capacity = INITIAL_CAPACITY < max_samples ? INITIAL_CAPACITY
                                                     : max_samples;
    if (k)
        k->samples = malloc(capacity * sizeof *k->samples);
    if (!k || !k->samples) {
        if (k)
            free(k);
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "out of memory for the kernel's samples");
    }
    k->fd = -1;
    k->capacity = capacity;
    k->max_samples = max_samples;
    k->automatic = interval_us == 0;
    k->interval_ns = (int64_t)(interval_us ? interval_us
                                           : WM_SERIES_MIN_INTERVAL_US) * 1000;
    pthread_mutex_init(&k->lock, NULL);
    *out = k;
    return 0;
}

void series_kernel_on_sender(void *kernel, int fd)
{
    series_kernel *k = kernel;
    pthread_mutex_lock(&k->lock);
    if (fd >= 0) {
        k->fd = fd;
        socklen_t len = sizeof k->congestion;
        if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, k->congestion,
                       &len) != 0)
            k->congestion[0] = '\0';
        k->congestion[sizeof k->congestion - 1] = '\0';
        sample_locked(k);
        k->next_ns = wm_clock_monotonic_ns() + k->interval_ns;
    } else if (k->fd >= 0) {
        sample_locked(k);
        k->fd = -1;
    }
    pthread_mutex_unlock(&k->lock);
}

void series_kernel_stop(series_kernel *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stopped = true;
    k->fd = -1;
    pthread_mutex_unlock(&k->lock);
}

const series_sample *series_kernel_samples(const series_kernel *k,
                                           size_t *count)
{
    assert(k->stopped);
    *count = k->count;
    return k->samples;
}

size_t series_kernel_bound(const series_kernel *kernel)
{
    return kernel->max_samples;
}

uint64_t series_kernel_dropped(const series_kernel *k)
{
    return k->dropped;
}

int64_t series_kernel_interval_ns(const series_kernel *k)
{
    return k->interval_ns;
}

const char *series_kernel_congestion(const series_kernel *k)
{
    return k->congestion;
}

void series_kernel_free(series_kernel *k)
{
    if (!k)
        return;
    pthread_mutex_destroy(&k->lock);
    free(k->samples);
    free(k);
}
