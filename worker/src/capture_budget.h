/* capture_budget: the run's budget (wm_budget.h) as the capture keeps it —
 * frames and pcap bytes counted before each frame is kept, the clock read
 * on each wake-up of the reader.
 *
 * Why in the capture: it is the one place that sees every frame as it
 * arrives, so it can stop keeping them the moment the budget is spent —
 * the trace, the analysis and the pcap then never grow past it, which is
 * what bounds a run's memory and disk — and tell the run to stop its
 * transfer (the over hook), which would otherwise go on making packets
 * nobody keeps. Private to the engine; apart from capture.c, which is
 * long enough. */
#ifndef WM_CAPTURE_BUDGET_H
#define WM_CAPTURE_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "wm_capture.h"
#include "wm_error.h"

typedef struct capture_budget {
    wm_budget limits;
    uint64_t frames;          /* kept so far */
    uint64_t pcap_bytes;      /* the pcap file these make, header included */
    int64_t started_ns;       /* monotonic */
    bool over;                /* spent: nothing more is kept */
    void (*over_fn)(void *ctx);
    void *over_ctx;
} capture_budget;

/* From the options, the clock starting now. */
void capture_budget_start(capture_budget *b, const wm_capture_options *opts);

/* Whether one more frame of caplen captured bytes fits: 0 when it does
 * (and it is counted), else -1 with err (WM_ERR_BUDGET, naming the limit)
 * and the over hook called, once. */
int capture_budget_frame(capture_budget *b, uint32_t caplen, wm_error *err);

/* The same for the time spent so far. */
int capture_budget_clock(capture_budget *b, wm_error *err);

#endif
