/* wm_packet_pages: GET /runs/{id}/packets once the run is known to be
 * done — a page of its packet list read from the rows file the run wrote
 * beside its pcap (<data>/pcaps/<id>.rows), so that a page costs a page.
 *
 * A run stored before rows files existed (or whose file a crash lost)
 * has none: its rows are made once, from its pcap, on a thread of their
 * own (wm_http_wait_then) — never on an HTTP polling thread — and at most
 * one such build runs at a time in the process, since one costs the
 * memory of a whole run; a request that finds it taken is answered 429
 * with Retry-After. A capture that holds more frames than --max-packets
 * is not analysed again at all (409): only its pcap is served. */
#ifndef WM_PACKET_PAGES_H
#define WM_PACKET_PAGES_H

#include <stdint.h>

#include "wm_handlers.h"
#include "wm_store.h"

/* Answers the request for rows [offset, offset + limit) of run (done). */
int wm_packet_pages_respond(wm_http_request *req, const wm_store_run *run,
                            uint64_t offset, uint64_t limit);

#endif
