/* wm_engine: the measurement engine's whole jobs, each one call — what the
 * daemon and the command line call of it, besides the run parameters
 * (wm_params.h) and sweeps (wm_sweep.h).
 *
 * Why a facade: a run is sink, capture, transfer, dissection, analysis and
 * report, in an order that matters (wm_run.h), and its callers must not
 * each assemble that chain again; the daemon's worker and `wiremeter run`
 * then print the very same document for the same request. What the calls
 * return is JSON in the shapes of docs/result.md, never engine structs, so
 * nothing outside worker/ depends on how the engine holds a trace. */
#ifndef WM_ENGINE_H
#define WM_ENGINE_H

#include <jansson.h>
#include <stddef.h>

#include "wm_error.h"
#include "wm_params.h"
#include "wm_transfer.h"

/* The "schema" field of every document the engine writes, bumped whenever
 * a field changes meaning or disappears. */
#define WM_ENGINE_SCHEMA 1

enum wm_engine_flags {
    WM_ENGINE_PACKETS = 1u << 0, /* include the whole packet list */
};

/* One run of a validated request (wm_params_finish): executed, analysed
 * and rendered — "params" (wm_params_json of the request), the connection,
 * tcp_info, capture, integrity. The capture is also written to
 * request->config.capture.pcap_path when that is set (complete once this
 * returns). progress (may be NULL) is called from the sending thread.
 * NULL with err filled when the run failed; nothing is left to free. */
json_t *wm_engine_run(const wm_run_request *request, wm_progress_fn progress,
                      void *progress_ctx, unsigned flags, wm_error *err);

/* Rows [offset, offset + limit) of a stored run's packet list, read from
 * its pcap and analysed as the run was; result is the run's document
 * (its connection's ports find it among the file's). *total gets the
 * connection's packet count. NULL with err filled otherwise. */
json_t *wm_engine_packets(const char *pcap_path, const json_t *result,
                          size_t offset, size_t limit, size_t *total,
                          wm_error *err);

/* Every TCP connection of a pcap or pcapng file (`wiremeter analyze`):
 * schema, file, frames, malformed, connections[]. */
json_t *wm_engine_analyze_file(const char *path, unsigned flags,
                               wm_error *err);

#endif
