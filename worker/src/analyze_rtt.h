/* analyze_rtt: the distribution of a connection's ACK round-trip times
 * (Wireshark's tcp.analysis.ack_rtt) in constant memory, so that a
 * connection of a billion ACKs costs what one of ten does.
 *
 * Samples go into a log-linear histogram: values below 32 ns exactly,
 * above that 16 buckets per power of two, up to 2^48 ns (about three
 * days; longer samples land in the last bucket). A percentile is its
 * bucket's midpoint, clamped to the exact minimum and maximum: within
 * 1/32 (3.2 %) of the true value. Count, minimum, maximum and mean are
 * exact. Private to wm_analyze. */
#ifndef WM_ANALYZE_RTT_H
#define WM_ANALYZE_RTT_H

#include <stdbool.h>
#include <stdint.h>

#include "wm_analyze.h"

typedef struct wm_rtt_hist {
    uint64_t count;
    int64_t min_ns, max_ns;
    int64_t sum_ns;
    uint32_t *buckets; /* allocated with the first sample; NULL before */
    bool dropped;      /* a sample found no memory for the buckets */
} wm_rtt_hist;

/* Counts one sample; a negative one (the clock stepped back) counts in
 * the lowest bucket. */
void wm_rtt_add(wm_rtt_hist *h, int64_t ns);

/* Count, min, mean, p50, p99, max into out. */
void wm_rtt_summarize(const wm_rtt_hist *h, wm_rtt_summary *out);

void wm_rtt_free(wm_rtt_hist *h);

#endif
