/* report_internal: what the report's two files (report.c: documents and
 * fragments; report_packet.c: packet rows) share. */
#ifndef WM_REPORT_INTERNAL_H
#define WM_REPORT_INTERNAL_H

#include "json_emit.h"
#include "wm_report.h"

/* "client" or "server" (defined with the rows, which name sides too). */
const char *wm_report_side_name(wm_side side);

/* One row of the packet list (docs/result.md, "packet") into e. */
void report_packet_emit(emit *e, const wm_packet *p,
                        const wm_packet_info *info, int64_t first_ts_ns);

/* Row index of conn into e, read from its rows; -1 (e failed) when it
 * cannot be read. */
int report_row_emit(emit *e, const wm_connection *conn, int64_t first_ts_ns,
                    size_t index);

#endif
