/* analyze_rows: see analyze_rows.h. Rows in memory are wm_packet_infos
 * whose packet indexes the trace (what the tests and `analyze` read);
 * rows in a spool are its records. */
#include "analyze_rows.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rows_spool.h"

bool wm_connection_has_rows(const wm_connection *conn)
{
    return conn->spool || (conn->trace && conn->packets);
}

int wm_connection_row(const wm_connection *conn, size_t i, wm_packet *p,
                      wm_packet_info *info, wm_error *err)
{
    assert(i < conn->packet_count);
    if (conn->spool)
        return rows_spool_get(conn->spool, i, p, info, err);
    if (!wm_connection_has_rows(conn))
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "analysis: the connection's rows were not kept");
    *info = conn->packets[i];
    *p = conn->trace->packets[info->packet];
    return 0;
}

int analyze_rows_append(wm_connection *conn, size_t *capacity,
                        const wm_packet *p, uint32_t index,
                        const wm_packet_info *info, wm_error *err)
{
    if (conn->spool) {
        if (rows_spool_append(conn->spool, p, info, err) != 0)
            return -1;
    } else if (conn->trace) {
        if (conn->packet_count == *capacity) {
            size_t cap = *capacity ? *capacity * 2 : 16;
            wm_packet_info *infos = realloc(conn->packets,
                                            cap * sizeof *infos);
            if (!infos)
                return wm_error_set(err, WM_ERR_INTERNAL,
                                    "analysis: out of memory");
            conn->packets = infos;
            *capacity = cap;
        }
        conn->packets[conn->packet_count] = *info;
        conn->packets[conn->packet_count].packet = index;
    }
    conn->packet_count++;
    return 0;
}

int analyze_rows_mark(wm_connection *conn, size_t first, size_t end,
                      uint32_t marks, wm_error *err)
{
    assert(first <= end && end <= conn->packet_count);
    if (conn->spool)
        return rows_spool_mark(conn->spool, first, end, marks, err);
    for (size_t i = first; conn->packets && i < end; i++)
        conn->packets[i].marks |= marks;
    return 0;
}

int analyze_rows_flip(wm_connection *conn, wm_error *err)
{
    if (conn->spool)
        return rows_spool_flip(conn->spool, err);
    for (size_t i = 0; conn->packets && i < conn->packet_count; i++)
        conn->packets[i].from = conn->packets[i].from == WM_SIDE_CLIENT
                                    ? WM_SIDE_SERVER : WM_SIDE_CLIENT;
    return 0;
}

void analyze_rows_free(wm_connection *conn)
{
    free(conn->packets);
    rows_spool_free(conn->spool);
    conn->packets = NULL;
    conn->spool = NULL;
}
