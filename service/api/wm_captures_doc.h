/* wm_captures_doc: a capture's analysis (made once, when it is uploaded)
 * and the JSON the daemon answers about captures (docs/result.md, "An
 * uploaded capture").
 *
 * Apart from the handlers so that the analysis, which runs off the HTTP
 * threads, and the three routes that render a capture share one shape. */
#ifndef WM_CAPTURES_DOC_H
#define WM_CAPTURES_DOC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_http.h"
#include "wm_store.h"

/* Analyses stored capture id (running) with the engine of `wiremeter
 * analyze`, marks the connection with the most payload "main", and stores
 * the document (done). When there is none (not readable at all, or more
 * frames than max_packets, the packet budget), the capture is stored
 * failed with err's code and message (its file removed) and err says
 * why. */
int wm_captures_analyse(wm_store *store, int64_t id, uint64_t max_packets,
                        wm_error *err);

/* Answers the capture document of id with status (201 and 202 add
 * Location). */
int wm_captures_respond(wm_http_request *req, int64_t id, unsigned status);

/* A page of connection n's packet list (n its index in the analysis'
 * "connections"): rows [offset, offset + limit), read from the rows the
 * analysis kept beside the capture, so that a page costs a page. */
int wm_captures_packets_respond(wm_http_request *req, int64_t id, size_t n,
                                uint64_t offset, uint64_t limit);

/* {"captures": [...], "next_before": N|null, "next": "..."|null}, each
 * item the document without its analysis; NULL when out of memory. */
json_t *wm_captures_list_doc(const wm_store_capture_list *list,
                             uint64_t limit);

#endif
