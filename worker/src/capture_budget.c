/* capture_budget: see capture_budget.h. The reader thread alone calls
 * these, so the counters need no lock. */
#include "capture_budget.h"

#include <assert.h>
#include <inttypes.h>

#include "wm_clock.h"
#include "wm_size.h"

void capture_budget_start(capture_budget *b, const wm_capture_options *opts)
{
    *b = (capture_budget){
        .limits = opts->budget,
        .pcap_bytes = WM_BUDGET_PCAP_HEADER_BYTES,
        .started_ns = wm_clock_monotonic_ns(),
        .over_fn = opts->over_budget,
        .over_ctx = opts->over_budget_ctx,
    };
}

/* Spent: what stops the run, once; later frames are refused silently. */
static int spent(capture_budget *b)
{
    if (!b->over) {
        b->over = true;
        if (b->over_fn)
            b->over_fn(b->over_ctx);
    }
    return -1;
}

int capture_budget_frame(capture_budget *b, uint32_t caplen, wm_error *err)
{
    if (b->over)
        return -1;
    const wm_budget *l = &b->limits;
    if (l->max_packets && b->frames >= l->max_packets) {
        wm_error_param(err, WM_ERR_BUDGET, "max-packets",
                       "the run was stopped at %" PRIu64 " packets, its "
                       "limit (--max-packets); fewer packets need larger "
                       "writes (chunk) or a smaller size", l->max_packets);
        return spent(b);
    }
    uint64_t bytes = b->pcap_bytes + WM_BUDGET_PCAP_RECORD_BYTES + caplen;
    if (l->max_pcap_bytes && bytes > l->max_pcap_bytes) {
        char limit[32];
        wm_size_format(l->max_pcap_bytes, limit, sizeof limit);
        wm_error_param(err, WM_ERR_BUDGET, "max-pcap",
                       "the run was stopped when its pcap reached %" PRIu64
                       " bytes: the next packet would pass its limit, %s "
                       "(--max-pcap)", b->pcap_bytes, limit);
        return spent(b);
    }
    b->frames++;
    b->pcap_bytes = bytes;
    return 0;
}

int capture_budget_clock(capture_budget *b, wm_error *err)
{
    if (b->over)
        return -1;
    uint32_t max_ms = b->limits.max_duration_ms;
    int64_t elapsed_ns = wm_clock_monotonic_ns() - b->started_ns;
    assert(elapsed_ns >= 0);
    if (!max_ms || elapsed_ns <= (int64_t)max_ms * 1000000)
        return 0;
    wm_error_param(err, WM_ERR_BUDGET, "max-duration",
                   "the run was stopped after %u.%03u s, its limit "
                   "(--max-duration), with %" PRIu64 " packets captured",
                   max_ms / 1000, max_ms % 1000, b->frames);
    return spent(b);
}
