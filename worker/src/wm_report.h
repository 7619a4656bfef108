/* wm_report: results as JSON (jansson), in the shape of docs/result.md.
 *
 * One renderer serves the CLI, the daemon and `analyze`, so a live run and
 * the offline analysis of its pcap print the same document (its `schema`
 * is WM_ENGINE_SCHEMA). */
#ifndef WM_REPORT_H
#define WM_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "wm_analyze.h"
#include "wm_engine.h"
#include "wm_run.h"
#include "wm_trace.h"

#define WM_REPORT_SCHEMA WM_ENGINE_SCHEMA

enum wm_report_flags {
    WM_REPORT_PACKETS = 1u << 0, /* include the whole packet list */
};

/* connection, handshake, closure, totals, timing, average_packet_size
 * of one connection (no schema field: a fragment). */
json_t *wm_report_connection(const wm_trace *trace,
                             const wm_analysis *analysis,
                             const wm_connection *conn, unsigned flags);

/* One row of the packet list (docs/result.md, "packet"). */
json_t *wm_report_packet(const wm_trace *trace, const wm_analysis *analysis,
                         const wm_connection *conn, size_t index);

/* The same row from its two records alone (the rows file keeps them,
 * rows.h): what a row shows is read from nothing else. first_ts_ns is
 * the analysis's (the zero of the Time column). */
json_t *wm_report_packet_row(const wm_packet *packet,
                             const wm_packet_info *info, int64_t first_ts_ns);

/* docs/result.md's name of one enum wm_mark bit, NULL for the bits
 * that are no Wireshark mark (handshake, closure). */
const char *wm_report_mark_name(uint32_t mark);

/* Rows [offset, offset + limit) of the packet list. */
json_t *wm_report_packets(const wm_trace *trace, const wm_analysis *analysis,
                          const wm_connection *conn, size_t offset,
                          size_t limit);

/* A whole run: schema, params (wm_params_json), the connection fragment, tcp_info, capture,
 * integrity. */
json_t *wm_report_run(const wm_run_request *request,
                      const wm_run_result *result, unsigned flags);

/* The same document as compact JSON text, the very bytes wm_json_text
 * writes of wm_report_run's tree, without making the tree: what the
 * daemon stores. malloc'd, NUL-terminated, its length into *len when len
 * is not NULL; NULL when out of memory. */
char *wm_report_run_text(const wm_run_request *request,
                         const wm_run_result *result, unsigned flags,
                         size_t *len);

/* `wiremeter analyze`: schema, file, frames, malformed, connections[]. */
json_t *wm_report_file(const char *path, const wm_trace *trace,
                       const wm_analysis *analysis, unsigned flags);

#endif
