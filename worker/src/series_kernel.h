/* series_kernel: the data sender's TCP_INFO, sampled every interval
 * while the data is sent, by the sending thread itself.
 *
 * The transfer hands the sender's socket over once its connection is
 * established, before the request and the data, and takes it back (fd
 * -1) before closing it (wm_transfer_options.on_sender, whose callback
 * is series_kernel_on_sender); in between it calls series_kernel_tick
 * (on_sender_tick) between its writes and in its waits, whenever the time
 * the last call returned has come. Each hand-over takes a sample itself,
 * so that the first (the handshake's) and the last state are always kept,
 * and a run shorter than one interval costs two samples and nothing
 * else. Why no thread: a sampler thread of its own cost a thread (or a
 * kept helper's hand-over) per run, and a wake-up and a switch for every
 * hand-over and sample, most of a small run's futex calls; the sender's
 * waits are bounded (transfer_socket.c cuts them at the tick's times), so
 * a sender blocked on a slow link is still sampled on time.
 *
 * Samples are stamped on the wall clock, the one pcap timestamps use, so
 * that they align with the capture. Memory is bounded: at most
 * max_samples samples (the run budget's, wm_budget.h); with the interval "auto" (0) the kept
 * rate halves whenever 2 * WM_SERIES_AUTO_SAMPLES are kept (every other
 * sample is dropped and the interval doubles), so a run ends with about
 * WM_SERIES_AUTO_SAMPLES whatever its length, with no need to guess its
 * duration beforehand (a loopback run has no rate to guess it from).
 * Private to the engine. */
#ifndef SERIES_KERNEL_H
#define SERIES_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "wm_error.h"

#define SERIES_NO_SSTHRESH UINT32_MAX /* the kernel's "infinite" */

typedef struct series_sample {
    int64_t t_ns;              /* wall clock, ns since the epoch */
    uint32_t cwnd;             /* segments */
    uint32_t ssthresh;         /* segments; SERIES_NO_SSTHRESH: infinite */
    uint32_t mss;              /* bytes (tcpi_snd_mss) */
    uint32_t rtt_us, rttvar_us;
    uint32_t unacked, retrans, total_retrans, lost; /* segments */
    uint64_t delivery_rate_bps, pacing_rate_bps;    /* bit/s */
    uint64_t bytes_acked, bytes_sent;
} series_sample;

typedef struct series_kernel series_kernel;

/* A sampler; interval_us 0: auto, else WM_SERIES_MIN_INTERVAL_US
 * to WM_SERIES_MAX_INTERVAL_US; max_samples WM_SERIES_MIN_BOUND to
 * WM_SERIES_MAX_SAMPLES. */
int series_kernel_start(uint32_t interval_us, uint32_t max_samples,
                        series_kernel **out, wm_error *err);

/* The transfer's hook: fd >= 0 starts sampling it, -1 ends it. */
void series_kernel_on_sender(void *kernel, int fd);

/* The sender's tick: a sample if its time has come; returns the next
 * time (wm_clock_monotonic_ns), INT64_MAX when no socket is handed. */
int64_t series_kernel_tick(void *kernel);

/* Ends the sampling; what was sampled stays readable. */
void series_kernel_stop(series_kernel *kernel);

/* After series_kernel_stop: the samples in time order, how many, how
 * many the bound dropped, the interval in the end (auto's doubled one),
 * the congestion control's name ("" when no socket came). */
const series_sample *series_kernel_samples(const series_kernel *kernel,
                                           size_t *count);
uint64_t series_kernel_dropped(const series_kernel *kernel);
size_t series_kernel_bound(const series_kernel *kernel); /* max_samples */
int64_t series_kernel_interval_ns(const series_kernel *kernel);
const char *series_kernel_congestion(const series_kernel *kernel);

/* Stops it if need be and frees it. NULL is fine. */
void series_kernel_free(series_kernel *kernel);

/* One sample of fd's TCP_INFO at t_ns: 0, or -1 when it cannot be read. */
int series_kernel_read(int fd, int64_t t_ns, series_sample *out);

#endif
