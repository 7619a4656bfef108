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
#include <stdint.h>

#include "wm_blob.h"
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
 * returns), and the packet rows to request->config.rows_path when that is
 * set (wm_engine_packets reads them); with request->config.inline_max
 * and inline_out, the small ones are handed back in memory instead
 * (wm_blob.h: the caller frees them; nothing held when this fails). It
 * stays within
 * request->config.capture.budget (wm_budget.h): a run over it fails with
 * WM_ERR_BUDGET. progress (may be NULL) is called from the sending thread.
 * request->config.cancel (wm_cancel.h), when fired from any thread, stops
 * the transfer and the capture at once: the run fails, WM_ERR_CANCELLED.
 * NULL with err filled when the run failed; nothing is left to free. */
json_t *wm_engine_run(const wm_run_request *request, wm_progress_fn progress,
                      void *progress_ctx, unsigned flags, wm_error *err);

/* The same run, its document as compact JSON text: the very bytes
 * wm_json_text writes of wm_engine_run's, written without making the
 * JSON tree (a small run's rendering in a fraction of the CPU): what the
 * daemon stores. malloc'd, NUL-terminated, its length into *len when len
 * is not NULL; *received_bytes (may be NULL) gets its
 * integrity.received_bytes. NULL with err filled when the run failed. */
char *wm_engine_run_text(const wm_run_request *request,
                         wm_progress_fn progress, void *progress_ctx,
                         unsigned flags, size_t *len,
                         uint64_t *received_bytes, wm_error *err);

/* Rows [offset, offset + limit) of a stored run's packet list, from its
 * rows file (written by the run when request->config.rows_path was set,
 * or by wm_engine_index_pcap): a few preads, whatever the run's size, and
 * the same bytes as the live rows. *total gets the connection's packet
 * count. WM_ERR_NOT_FOUND when the file is missing or was written by
 * another layout: make it again with wm_engine_index_pcap. */
json_t *wm_engine_packets(const char *rows_path, size_t offset, size_t limit,
                          size_t *total, wm_error *err);

/* The same from a rows file's len bytes held in memory (a run's
 * inline_out->rows, wm_blob.h). */
json_t *wm_engine_packets_held(const void *rows, size_t len, size_t offset,
                               size_t limit, size_t *total, wm_error *err);

/* Rows [offset, offset + limit) of a link run's both-ends table (written
 * when request->config.ends_path was set): every frame sent, each
 * direction in the order sent, with where it arrived and its one-way
 * transit, or null where it was lost on the link. *total gets the rows.
 * WM_ERR_NOT_FOUND when the run has none. */
#define WM_ENGINE_ENDS_PAGE_MAX 10000u /* limit's largest */
json_t *wm_engine_ends(const char *ends_path, size_t offset, size_t limit,
                       size_t *total, wm_error *err);

/* Writes a stored run's rows file from its pcap, analysed as the run was
 * (for runs stored before rows files existed, or whose file went): result
 * is the run's document, whose connection's ports find it among the
 * file's. The capture is streamed through the analysis (constant memory),
 * but reading it costs time per frame and its rows disk, so a file of
 * more than max_packets frames (0: no bound) is refused with
 * WM_ERR_TOO_LARGE before it is read whole. On failure nothing is left at
 * rows_path. */
int wm_engine_index_pcap(const char *pcap_path, const json_t *result,
                         const char *rows_path, uint64_t max_packets,
                         wm_error *err);

/* What analysing a file may cost (`wiremeter analyze`'s flags). */
typedef struct wm_engine_file_limits {
    uint32_t max_record_bytes;  /* a longer record or pcapng block stops
                                   reading (wm_trace.h); 0: the default */
    size_t max_row_connections; /* connections whose rows are kept (in
                                   temporary files, about 130 KiB of
                                   memory each while the file is read);
                                   0: WM_ENGINE_DEFAULT_ROW_CONNECTIONS */
    uint64_t max_frames;        /* more frames stop reading with
                                   WM_ERR_TOO_LARGE as the one past it is
                                   read, not after; 0: no limit */
} wm_engine_file_limits;

#define WM_ENGINE_DEFAULT_ROW_CONNECTIONS 256u
#define WM_ENGINE_MAX_ROW_CONNECTIONS 8192u

/* Where the analysis of a file goes, piece by piece, so that neither the
 * engine nor the caller holds the whole document: file() once with the
 * document's own fields (everything but "connections"), then
 * connection() for each connection (a fragment without "packets") and,
 * with WM_ENGINE_PACKETS, packet() for each of its rows in order. A
 * callback returning nonzero stops (err filled by it). */
typedef struct wm_engine_file_sink {
    void *ctx;
    int (*file)(void *ctx, const json_t *doc, size_t connections,
                wm_error *err);
    int (*connection)(void *ctx, const json_t *conn, size_t packets,
                      wm_error *err);
    int (*packet)(void *ctx, const json_t *row, wm_error *err);
} wm_engine_file_sink;

/* Every TCP connection of a pcap or pcapng file, streamed: each frame is
 * read, dissected and analysed as it comes, each connection's rows go to
 * a temporary file (not memory), and the document is handed to sink once
 * the file is read. A file damaged or cut short after some frames is
 * analysed up to the damage ("read_error" says where and why). */
int wm_engine_analyze_file_each(const char *path, unsigned flags,
                                const wm_engine_file_limits *limits,
                                const wm_engine_file_sink *sink,
                                wm_error *err);


#endif
