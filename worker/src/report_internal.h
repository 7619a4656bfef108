/* report_internal: what the report's files (report.c: the connection
 * fragment and `analyze`'s document; report_run.c: a run's document;
 * report_packet.c: packet rows) share. */
#ifndef WM_REPORT_INTERNAL_H
#define WM_REPORT_INTERNAL_H

#include "json_emit.h"
#include "wm_report.h"

/* "client" or "server" (defined with the rows, which name sides too). */
const char *wm_report_side_name(wm_side side);

/* report.c's pieces that report_run.c writes too. */
/* value when known, else null */
void report_int_if(emit *e, const char *key, bool known, json_int_t value);
/* the RFC 3339 text of an absolute time, written beside its *_ns */
void report_time(emit *e, const char *key, int64_t ns);
/* the trace's IP fragment counts, "fragments" */
void report_fragments(emit *e, const wm_trace *trace);
/* the connection fragment's fields, into the object open */
void report_connection_fields(emit *e, const wm_analysis *analysis,
                              const wm_connection *conn, unsigned flags);

/* One row of the packet list (docs/result.md, "packet") into e. */
void report_packet_emit(emit *e, const wm_packet *p,
                        const wm_packet_info *info, int64_t first_ts_ns);

/* Row index of conn into e, read from its rows; -1 (e failed) when it
 * cannot be read. */
int report_row_emit(emit *e, const wm_connection *conn, int64_t first_ts_ns,
                    size_t index);

#endif
