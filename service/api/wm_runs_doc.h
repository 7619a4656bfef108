/* wm_runs_doc: the JSON the daemon answers about runs — the run document (docs/result.md, "The daemon wraps it") and the
 * newest-first list with its cursor.
 *
 * Kept apart from the handlers so that POST /runs, GET /runs/{id}, GET
 * /runs and the sweeps render a run the same way. */
#ifndef WM_RUNS_DOC_H
#define WM_RUNS_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "wm_handlers.h"
#include "wm_store.h"

/* The run document, malloc'd (NULL when memory runs out). with_result:
 * the whole result; otherwise a "summary" (packets, total_ns,
 * average_packet_size, throughput_bps, payload_bytes) in its place, for
 * lists. Progress of a queued or running run comes from the job pool. */
char *wm_runs_document(wm_app *app, const wm_store_run *run,
                       bool with_result);

/* The same document, with its result, of a run that ended done, from the
 * row its worker stored (has_series: its series was stored too): the
 * store is not read, so the worker that ended the run may render it. */
char *wm_runs_document_done(wm_app *app, const wm_store_run *run,
                            bool has_series);

/* The RFC 3339 text (wm_clock_rfc3339) of an absolute time, for the
 * *_time beside a *_ns; null for 0, the store's "not yet". */
json_t *wm_doc_time(int64_t ns);

/* {"runs": [...], "next_before": N|null, "next": "/runs?..."|null}. */
char *wm_runs_list_document(wm_app *app, const wm_store_run_list *list,
                            size_t limit);

#endif
