/* wm_cli_text_sweep: see wm_cli_text.h. Every figure is read from the
 * JSON rows, as `sweep --json` prints them, so the text and the JSON of a
 * sweep cannot disagree. */
#include "wm_cli_text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CELL_BYTES 96
#define MAX_COLUMNS 5

typedef struct text_table {
    const char *title;
    const char *header[MAX_COLUMNS];
    size_t columns, rows;
    char (*cells)[CELL_BYTES]; /* rows * columns, row-major */
} text_table;

static char *cell(text_table *t, size_t row, size_t column)
{
    return t->cells[row * t->columns + column];
}

/* One line, columns padded to their width except the last, so that no
 * line ends in blanks. */
static void print_text_line(const char *const *text, const size_t *width,
                            size_t columns, FILE *out)
{
    for (size_t c = 0; c < columns; c++)
        fprintf(out, "  %-*s", c + 1 < columns ? (int)width[c] : 0, text[c]);
    fputc('\n', out);
}

static void print_text_table(text_table *t, FILE *out)
{
    size_t width[MAX_COLUMNS] = {0};
    for (size_t c = 0; c < t->columns; c++) {
        width[c] = strlen(t->header[c]);
        for (size_t r = 0; r < t->rows; r++)
            if (strlen(cell(t, r, c)) > width[c])
                width[c] = strlen(cell(t, r, c));
    }
    fprintf(out, "%s\n", t->title);
    print_text_line(t->header, width, t->columns, out);
    for (size_t r = 0; r < t->rows; r++) {
        const char *line[MAX_COLUMNS];
        for (size_t c = 0; c < t->columns; c++)
            line[c] = cell(t, r, c);
        print_text_line(line, width, t->columns, out);
    }
}

/* How a statistic reads: counts print whole ("24", or "24.5" for an even
 * median), seconds to the microsecond, byte averages to a tenth. */
typedef enum number_kind { NUM_COUNT, NUM_SECONDS, NUM_BYTES } number_kind;

static void format_number(const json_t *value, number_kind kind, char *buf,
                          size_t buflen)
{
    double v = json_number_value(value);
    if (kind == NUM_SECONDS)
        snprintf(buf, buflen, "%.6f", v / 1e9);
    else if (kind == NUM_BYTES)
        snprintf(buf, buflen, "%.1f", v);
    else if (json_is_integer(value))
        snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(value));
    else
        snprintf(buf, buflen, "%.1f", v);
}

/* "24", or "24 [23..25]" over several samples; "-" over none. */
static void format_stat(const json_t *row, const char *column,
                        number_kind kind, char *buf)
{
    const json_t *stat = json_object_get(row, column);
    json_int_t runs = json_integer_value(json_object_get(row, "runs"));
    const json_t *median = json_object_get(stat, "median");
    if (runs == 0 || !json_is_number(median)) {
        snprintf(buf, CELL_BYTES, "-");
        return;
    }
    char mid[24], min[24], max[24];
    format_number(median, kind, mid, sizeof mid);
    format_number(json_object_get(stat, "min"), kind, min, sizeof min);
    format_number(json_object_get(stat, "max"), kind, max, sizeof max);
    if (runs == 1)
        snprintf(buf, CELL_BYTES, "%s", mid);
    else
        snprintf(buf, CELL_BYTES, "%s [%s..%s]", mid, min, max);
}

/* HH:MM:SS.nnnnnnnnn, UTC; "-" when unknown. */
static void format_clock(const json_t *value, char *buf)
{
    int64_t ts_ns = json_is_integer(value) ? json_integer_value(value) : -1;
    time_t seconds = (time_t)(ts_ns / 1000000000);
    struct tm tm;
    if (ts_ns < 0 || !gmtime_r(&seconds, &tm)) {
        snprintf(buf, CELL_BYTES, "-");
        return;
    }
    snprintf(buf, CELL_BYTES, "%02d:%02d:%02d.%09" PRId64, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts_ns % 1000000000);
}

static const char *text_of(const json_t *row, const char *key)
{
    const char *text = json_string_value(json_object_get(row, key));
    return text ? text : "-";
}

static void packets_row(const json_t *row, text_table *t, size_t r)
{
    json_int_t runs = json_integer_value(json_object_get(row, "runs"));
    json_int_t failed = json_integer_value(json_object_get(row, "failed"));
    snprintf(cell(t, r, 0), CELL_BYTES, "%s", text_of(row, "size_text"));
    snprintf(cell(t, r, 1), CELL_BYTES, "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(row, "size")));
    if (failed)
        snprintf(cell(t, r, 2), CELL_BYTES,
                 "%" JSON_INTEGER_FORMAT " (+%" JSON_INTEGER_FORMAT " failed)",
                 runs, failed);
    else
        snprintf(cell(t, r, 2), CELL_BYTES, "%" JSON_INTEGER_FORMAT, runs);
    format_stat(row, "packets", NUM_COUNT, cell(t, r, 3));
    format_stat(row, "average_packet_size", NUM_BYTES, cell(t, r, 4));
}

static void timing_row(const json_t *row, text_table *t, size_t r)
{
    const json_t *median = json_object_get(row, "median_sample");
    const json_t *sample =
        json_is_integer(median)
            ? json_array_get(json_object_get(row, "samples"),
                             (size_t)json_integer_value(median))
            : NULL;
    snprintf(cell(t, r, 0), CELL_BYTES, "%s", text_of(row, "size_text"));
    format_clock(json_object_get(sample, "first_packet_ns"), cell(t, r, 1));
    format_clock(json_object_get(sample, "last_packet_ns"), cell(t, r, 2));
    format_stat(row, "total_ns", NUM_SECONDS, cell(t, r, 3));
}

void wm_cli_text_sweep(const json_t *rows, FILE *out)
{
    size_t count = json_array_size(rows);
    text_table t = {
        .title = "Packets per transfer size",
        .header = {"size", "bytes", "runs", "packets", "avg packet (B)"},
        .columns = 5, .rows = count,
    };
    t.cells = calloc(count ? count * MAX_COLUMNS : 1, CELL_BYTES);
    if (!t.cells) {
        fprintf(out, "(out of memory rendering the sweep table)\n");
        return;
    }
    for (size_t r = 0; r < count; r++)
        packets_row(json_array_get(rows, r), &t, r);
    print_text_table(&t, out);

    text_table times = {
        .title = "\nTime per transfer size (first and last packet, UTC; "
                 "of the median run when repeated)",
        .header = {"size", "start", "end", "total (s)"},
        .columns = 4, .rows = count, .cells = t.cells,
    };
    for (size_t r = 0; r < count; r++)
        timing_row(json_array_get(rows, r), &times, r);
    print_text_table(&times, out);
    free(t.cells);
}
