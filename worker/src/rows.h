/* rows: a run's analysed packet list as a file of fixed-size records, so
 * that a page of it costs a page.
 *
 * Why: the list of a stored run used to be made by reading and analysing
 * its whole pcap again on every request — 10.8 s and 1.9 GB for an
 * 18.8 M-packet run. Each row depends on two records alone: the packet's
 * (wm_packet) and its analysis's (wm_packet_info), final once the
 * connection's summary patched the handshake and closure marks in. So the
 * run writes those, one fixed-size record per row — as its packets come,
 * to a spool (rows_spool.h) that becomes this file — and a page is one
 * pread at offset * record size, rendered by the very function that
 * renders a live row (wm_report_packet_row): the rows are the same bytes
 * either way.
 *
 * Layout: a header (magic, layout version, record size, row count, the
 * zero of the Time column, the connection's two endpoints) then the
 * records in packet-list order. Native byte order and this build's layout:
 * the file is a cache of the pcap, written and read by the same binary; a
 * file whose header does not match (another layout, cut short) reads as
 * WM_ERR_NOT_FOUND, and the caller makes it again from the pcap. */
#ifndef WM_ROWS_H
#define WM_ROWS_H

#include <jansson.h>
#include <stddef.h>

#include "wm_analyze.h"
#include "wm_blob.h"
#include "wm_error.h"
#include "wm_trace.h"

/* Writes conn's rows to path (created or replaced): from memory, or by
 * committing the spool a run wrote them to as they came. On failure
 * nothing is left at path. */
int wm_rows_write(const char *path, const wm_trace *trace,
                  const wm_analysis *analysis, const wm_connection *conn,
                  wm_error *err);

/* wm_rows_write, but a run's rows file of at most inline_max bytes whose
 * rows never left memory goes to *held (wm_blob.h) and path is left
 * alone; held NULL or inline_max 0: always the file. */
int wm_rows_write_held(const char *path, const wm_trace *trace,
                       const wm_analysis *analysis,
                       const wm_connection *conn, size_t inline_max,
                       wm_blob *held, wm_error *err);

/* Rows [offset, offset + limit) as a JSON array; *total gets the count.
 * WM_ERR_NOT_FOUND when the file is missing or not of this layout. */
json_t *wm_rows_page(const char *path, size_t offset, size_t limit,
                     size_t *total, wm_error *err);

/* The same from the bytes of a rows file held in memory (len bytes). */
json_t *wm_rows_page_held(const void *data, size_t len, size_t offset,
                          size_t limit, size_t *total, wm_error *err);

#endif
