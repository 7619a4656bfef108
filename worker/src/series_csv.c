/* series_csv: one table of a series document as CSV (wm_series.h), for
 * the daemon's ?format=csv and `wiremeter run --series FILE.csv`: one
 * renderer, so both print the same bytes. The header is the table's JSON
 * field names in the document's order, t_ns first; the rows hold only
 * numbers, booleans and null, so nothing needs quoting. */
#include "wm_series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const wm_series_tables[] = {
    "kernel", "throughput", "goodput", "rtt", "in_flight", "window",
    "segments", "acks", NULL};

/* Each table's columns, in the order series.c writes them. */
static const char *const columns[][15] = {
    {"t_ns", "cwnd", "ssthresh", "mss", "rtt_us", "rttvar_us", "unacked",
     "retrans", "total_retrans", "lost", "delivery_rate_bps",
     "pacing_rate_bps", "bytes_acked", "bytes_sent", NULL},
    {"t_ns", "bytes", "bits_per_second", NULL},
    {"t_ns", "bytes", "bits_per_second", NULL},
    {"t_ns", "frame", "rtt_ns", NULL},
    {"t_ns", "frame", "bytes", NULL},
    {"t_ns", "frame", "bytes", NULL},
    {"t_ns", "frame", "seq", "len", "retransmission", "lost_on_link", NULL},
    {"t_ns", "frame", "ack", NULL},
};
_Static_assert(sizeof columns / sizeof columns[0] ==
                   sizeof wm_series_tables / sizeof wm_series_tables[0] - 1,
               "columns for every table");

int wm_series_table_known(const char *name)
{
    for (size_t i = 0; wm_series_tables[i]; i++)
        if (strcmp(name, wm_series_tables[i]) == 0)
            return (int)i + 1;
    return 0;
}

static void cell(FILE *f, const json_t *v)
{
    if (json_is_integer(v))
        fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        fprintf(f, "%.0f", json_real_value(v));
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "true" : "false", f);
    /* null (an infinite ssthresh): an empty cell */
}

char *wm_series_csv(const json_t *series, const char *table, wm_error *err)
{
    int known = wm_series_table_known(table);
    if (!known) {
        char shown[48];
        return wm_error_param(err, WM_ERR_INVALID, "table",
                              "table: '%s' is not a table of the series; "
                              "allowed: " WM_SERIES_TABLE_NAMES,
                              wm_error_quote(table, 32, shown, sizeof shown)),
               NULL;
    }
    const char *const *cols = columns[known - 1];
    const json_t *rows = known == 1
                             ? json_object_get(json_object_get(series,
                                                               "kernel"),
                                               "samples")
                             : json_object_get(series, table);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        wm_error_set(err, WM_ERR_INTERNAL, "out of memory for the CSV");
        return NULL;
    }
    for (size_t c = 0; cols[c]; c++)
        fprintf(f, "%s%s", c ? "," : "", cols[c]);
    fputc('\n', f);
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) {
        for (size_t c = 0; cols[c]; c++) {
            if (c)
                fputc(',', f);
            cell(f, json_object_get(row, cols[c]));
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0 || !text) {
        free(text);
        wm_error_set(err, WM_ERR_INTERNAL, "out of memory for the CSV");
        return NULL;
    }
    return text;
}
