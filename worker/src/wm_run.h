/* wm_run: one measurement — sink, capture, transfer, analysis — as one
 * call, for the command line and the daemon's workers alike.
 *
 * Order matters and is the point of this module: the sink is bound first
 * (its port names the capture filter), the capture is active before the
 * client connects, and it is finished only after the transfer returned, so
 * that the trace holds the whole connection from SYN to the last ACK. */
#ifndef WM_RUN_H
#define WM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "path_ends.h"
#include "wm_analyze.h"
#include "wm_capture.h"
#include "wm_error.h"
#include "wm_params.h"
#include "wm_path.h"
#include "wm_trace.h"
#include "wm_transfer.h"

/* The transfer's and the capture's defaults (wm_params_init gives the
 * same, within a request). */
void wm_run_config_default(wm_run_config *config);

typedef struct wm_run_result {
    int64_t started_ns, finished_ns; /* wall clock, ns since the epoch */
    wm_transfer_result transfer;
    wm_capture_stats capture;
    wm_trace trace;                  /* counts only: no packets kept */
    wm_analysis analysis;            /* rows in spool files */
    const wm_connection *connection; /* the run's own, within analysis,
                                        its rows kept */
    bool has_ends;                   /* captured at both ends of a link */
    wm_ends ends;                    /* what the link did, when has_ends */
    bool has_sender_capture;         /* the sender's end captured too */
    wm_capture_stats sender_capture; /* its drops, when has_sender_capture */
    wm_trace sender_trace;           /* its counts, when has_sender_capture */
    bool has_link;                   /* crossed a link (path=link) */
    int64_t link_setup_ns;           /* making it took, when has_link */
    wm_path_loss link_loss[2];       /* its loss filter toward each
                                        wm_path_side, when has_link */
} wm_run_result;

/* Runs it all. On failure nothing needs freeing; on success the result is
 * released with wm_run_result_free. */
int wm_run_execute(const wm_run_config *config, wm_progress_fn progress,
                   void *progress_ctx, wm_run_result *result, wm_error *err);

void wm_run_result_free(wm_run_result *result);

#endif
