/* analyze_rows: a connection's rows wherever they are kept — in memory
 * beside the trace, or in a spool file (rows_spool.h) — read back and
 * patched by the summary with one set of calls, so that the analysis of
 * a file and of a live run are the same code. Private to wm_analyze. */
#ifndef WM_ANALYZE_ROWS_H
#define WM_ANALYZE_ROWS_H

#include "wm_analyze.h"

/* Appends the next row (conn->packet_count grows by one). index: p's
 * place in conn->trace, for rows in memory. */
int analyze_rows_append(wm_connection *conn, size_t *capacity,
                        const wm_packet *p, uint32_t index,
                        const wm_packet_info *info, wm_error *err);

/* Adds marks to rows [first, end). */
int analyze_rows_mark(wm_connection *conn, size_t first, size_t end,
                      uint32_t marks, wm_error *err);

/* Every row's from: the other side. */
int analyze_rows_flip(wm_connection *conn, wm_error *err);

/* Frees the rows. */
void analyze_rows_free(wm_connection *conn);

#endif
