/* wm_sweeps_doc: the JSON the daemon answers about sweeps — one sweep
 * with its lab table (GET /sweeps/{id}, POST /sweeps) and the
 * newest-first list (GET /sweeps), in the envelope of GET /runs.
 *
 * The table is computed from the stored results on every call (wm_sweep.h)
 * so nothing derived is stored that could disagree with the runs; the
 * report's other formats (wm_sweep_report.h) are drawn from this document
 * alone, so every format shows the same numbers. */
#ifndef WM_SWEEPS_DOC_H
#define WM_SWEEPS_DOC_H

#include <jansson.h>
#include <stddef.h>

#include "wm_handlers.h"
#include "wm_store.h"

/* The formats of a sweep's report (?format=), "json" first; NULL ends. */
extern const char *const wm_sweep_formats[];

/* The sweep's document, or NULL with err set. */
json_t *wm_sweep_document(wm_app *app, const wm_store_sweep *sweep,
                          wm_error *err);

/* {"sweeps": [...], "next_before": N|null, "next": "/sweeps?..."|null};
 * each item has the sweep's head, params, "runs" {done, failed, total}
 * and links. NULL when memory runs out. */
json_t *wm_sweeps_list_document(const wm_store_sweep_list *list,
                                size_t limit);

#endif
