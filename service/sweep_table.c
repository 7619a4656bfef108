/* wm_sweep_table: see wm_sweep_table.h.
 *
 * A sample keeps only the five numbers the tables need, copied out of the
 * run's JSON when it is added, so the caller may free its results at once
 * and the table never depends on how long a stored document lives.
 * Statistics sort a copy of one column at a time: rows hold a handful of
 * samples, so simplicity beats any incremental scheme. */
#include "wm_sweep_table.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sweep_sample {
    int64_t packets;
    int64_t first_packet_ns, last_packet_ns; /* absolute, ns since epoch */
    int64_t total_ns;
    double average_packet_size;               /* frame bytes */
} sweep_sample;

typedef struct sweep_row {
    uint64_t size_bytes;
    char size_text[32];
    sweep_sample *samples;
    size_t count, capacity;
    uint64_t failed;
} sweep_row;

struct wm_sweep_table {
    sweep_row *rows;
    size_t count, capacity;
};

wm_sweep_table *wm_sweep_table_new(void)
{
    return calloc(1, sizeof(wm_sweep_table));
}

void wm_sweep_table_free(wm_sweep_table *table)
{
    if (!table)
        return;
    for (size_t i = 0; i < table->count; i++)
        free(table->rows[i].samples);
    free(table->rows);
    free(table);
}

/* Doubles *capacity (from 4) and reallocates; -1 when memory runs out. */
static int grow(void **items, size_t *capacity, size_t item_size)
{
    size_t wanted = *capacity ? *capacity * 2 : 4;
    void *bigger = realloc(*items, wanted * item_size);
    if (!bigger)
        return -1;
    *items = bigger;
    *capacity = wanted;
    return 0;
}

/* The row of size_bytes, created at the end when new; NULL on OOM. */
static sweep_row *row_for(wm_sweep_table *table, uint64_t size_bytes,
                          const char *size_text)
{
    for (size_t i = 0; i < table->count; i++)
        if (table->rows[i].size_bytes == size_bytes)
            return &table->rows[i];
    if (table->count == table->capacity &&
        grow((void **)&table->rows, &table->capacity, sizeof(sweep_row)))
        return NULL;
    sweep_row *row = &table->rows[table->count++];
    memset(row, 0, sizeof *row);
    row->size_bytes = size_bytes;
    snprintf(row->size_text, sizeof row->size_text, "%s",
             size_text ? size_text : "");
    return row;
}

/* The integer at object.key, or an error naming "object.key". */
static int get_int(const json_t *run, const char *object, const char *key,
                   int64_t *out, wm_error *err)
{
    const json_t *value = json_object_get(json_object_get(run, object), key);
    if (!json_is_integer(value))
        return wm_error_param(err, WM_ERR_INVALID, "result",
                              "run result has no integer %s.%s", object,
                              key);
    *out = (int64_t)json_integer_value(value);
    return 0;
}

static int read_sample(const json_t *run, sweep_sample *s, wm_error *err)
{
    if (get_int(run, "totals", "packets", &s->packets, err) ||
        get_int(run, "timing", "first_packet_ns", &s->first_packet_ns, err) ||
        get_int(run, "timing", "last_packet_ns", &s->last_packet_ns, err) ||
        get_int(run, "timing", "total_ns", &s->total_ns, err))
        return -1;
    const json_t *avg =
        json_object_get(json_object_get(run, "average_packet_size"), "all");
    if (!json_is_number(avg))
        return wm_error_param(err, WM_ERR_INVALID, "result",
                              "run result has no number "
                              "average_packet_size.all");
    s->average_packet_size = json_number_value(avg);
    return 0;
}

int wm_sweep_table_add(wm_sweep_table *table, uint64_t size_bytes,
                       const char *size_text, const json_t *run_result,
                       wm_error *err)
{
    sweep_sample sample;
    if (read_sample(run_result, &sample, err))
        return -1;
    sweep_row *row = row_for(table, size_bytes, size_text);
    if (!row || (row->count == row->capacity &&
                 grow((void **)&row->samples, &row->capacity,
                      sizeof(sweep_sample))))
        return wm_error_set(err, WM_ERR_INTERNAL, "sweep table: out of memory");
    row->samples[row->count++] = sample;
    return 0;
}

int wm_sweep_table_add_failed(wm_sweep_table *table, uint64_t size_bytes,
                              const char *size_text, wm_error *err)
{
    sweep_row *row = row_for(table, size_bytes, size_text);
    if (!row)
        return wm_error_set(err, WM_ERR_INTERNAL, "sweep table: out of memory");
    row->failed++;
    return 0;
}

/* ---- statistics ---- */

/* Which column of a sample a statistic reads. */
typedef enum sweep_column {
    COL_PACKETS, COL_TOTAL_NS, COL_AVERAGE_SIZE,
} sweep_column;

typedef struct sweep_stat {
    double median, min, max;
    int64_t median_int, min_int, max_int; /* integer columns only */
    int median_whole;                     /* median_int is exact */
} sweep_stat;

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int64_t column_int(const sweep_sample *s, sweep_column column)
{
    return column == COL_PACKETS ? s->packets : s->total_ns;
}

/* Statistics of an integer column; -1 when memory runs out. */
static int stat_int(const sweep_row *row, sweep_column column,
                    sweep_stat *stat)
{
    int64_t *values = malloc(row->count * sizeof *values);
    if (!values)
        return -1;
    for (size_t i = 0; i < row->count; i++)
        values[i] = column_int(&row->samples[i], column);
    qsort(values, row->count, sizeof *values, cmp_int64);
    size_t n = row->count;
    int64_t lo = values[(n - 1) / 2], hi = values[n / 2];
    /* lo + (hi - lo) / 2 cannot overflow where (lo + hi) / 2 could. */
    stat->median_int = lo + (hi - lo) / 2;
    stat->median_whole = (hi - lo) % 2 == 0;
    stat->median = (double)lo + (double)(hi - lo) / 2.0;
    stat->min_int = values[0];
    stat->max_int = values[n - 1];
    stat->min = (double)values[0];
    stat->max = (double)values[n - 1];
    free(values);
    return 0;
}

static int stat_double(const sweep_row *row, sweep_stat *stat)
{
    double *values = malloc(row->count * sizeof *values);
    if (!values)
        return -1;
    for (size_t i = 0; i < row->count; i++)
        values[i] = row->samples[i].average_packet_size;
    qsort(values, row->count, sizeof *values, cmp_double);
    size_t n = row->count;
    stat->median = (values[(n - 1) / 2] + values[n / 2]) / 2.0;
    stat->min = values[0];
    stat->max = values[n - 1];
    stat->median_whole = 0;
    free(values);
    return 0;
}

static int row_stat(const sweep_row *row, sweep_column column,
                    sweep_stat *stat)
{
    memset(stat, 0, sizeof *stat);
    if (row->count == 0)
        return 0;
    return column == COL_AVERAGE_SIZE ? stat_double(row, stat)
                                      : stat_int(row, column, stat);
}

/* The sample at the lower-middle rank of total_ns, earliest on ties. */
static size_t median_sample(const sweep_row *row)
{
    size_t want = (row->count - 1) / 2;
    for (size_t i = 0; i < row->count; i++) {
        size_t below = 0;
        for (size_t j = 0; j < row->count; j++) {
            int64_t a = row->samples[j].total_ns, b = row->samples[i].total_ns;
            below += a < b || (a == b && j < i);
        }
        if (below == want)
            return i;
    }
    return 0;
}

/* ---- JSON ---- */

static json_t *stat_json(const sweep_row *row, sweep_column column)
{
    sweep_stat s;
    if (row_stat(row, column, &s))
        return NULL;
    if (row->count == 0)
        return json_pack("{s:n,s:n,s:n}", "median", "min", "max");
    if (column == COL_AVERAGE_SIZE)
        return json_pack("{s:f,s:f,s:f}", "median", s.median, "min", s.min,
                         "max", s.max);
    json_t *median = s.median_whole ? json_integer(s.median_int)
                                    : json_real(s.median);
    return json_pack("{s:o,s:I,s:I}", "median", median, "min",
                     (json_int_t)s.min_int, "max", (json_int_t)s.max_int);
}

static json_t *sample_json(const sweep_sample *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:f}", "packets",
                     (json_int_t)s->packets, "first_packet_ns",
                     (json_int_t)s->first_packet_ns, "last_packet_ns",
                     (json_int_t)s->last_packet_ns, "total_ns",
                     (json_int_t)s->total_ns, "average_packet_size",
                     s->average_packet_size);
}

static json_t *row_json(const sweep_row *row)
{
    json_t *samples = json_array();
    for (size_t i = 0; samples && i < row->count; i++)
        if (json_array_append_new(samples, sample_json(&row->samples[i])))
            return json_decref(samples), NULL;
    json_t *median = row->count ? json_integer((json_int_t)median_sample(row))
                                : json_null();
    /* "o?" would keep going on a NULL statistic; a NULL must fail the row. */
    json_t *packets = stat_json(row, COL_PACKETS);
    json_t *total = stat_json(row, COL_TOTAL_NS);
    json_t *average = stat_json(row, COL_AVERAGE_SIZE);
    if (!samples || !median || !packets || !total || !average) {
        json_decref(samples), json_decref(median), json_decref(packets);
        json_decref(total), json_decref(average);
        return NULL;
    }
    return json_pack("{s:I,s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "size",
                     (json_int_t)row->size_bytes, "size_text", row->size_text,
                     "runs", (json_int_t)row->count, "failed",
                     (json_int_t)row->failed, "packets", packets, "total_ns",
                     total, "average_packet_size", average, "median_sample",
                     median, "samples", samples);
}

json_t *wm_sweep_table_json(const wm_sweep_table *table)
{
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < table->count; i++)
        if (json_array_append_new(rows, row_json(&table->rows[i])))
            return json_decref(rows), NULL;
    return rows;
}

/* ---- text ---- */

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

static void format_number(double value, number_kind kind, char *buf,
                          size_t buflen)
{
    if (kind == NUM_SECONDS)
        snprintf(buf, buflen, "%.6f", value / 1e9);
    else if (kind == NUM_BYTES)
        snprintf(buf, buflen, "%.1f", value);
    else if ((double)(int64_t)value == value)
        snprintf(buf, buflen, "%" PRId64, (int64_t)value);
    else
        snprintf(buf, buflen, "%.1f", value);
}

/* "24", or "24 [23..25]" over several samples; "-" over none. */
static void format_stat(const sweep_row *row, sweep_column column,
                        number_kind kind, char *buf)
{
    sweep_stat s;
    if (row->count == 0 || row_stat(row, column, &s)) {
        snprintf(buf, CELL_BYTES, "-");
        return;
    }
    char median[24], min[24], max[24];
    format_number(s.median, kind, median, sizeof median);
    format_number(s.min, kind, min, sizeof min);
    format_number(s.max, kind, max, sizeof max);
    if (row->count == 1)
        snprintf(buf, CELL_BYTES, "%s", median);
    else
        snprintf(buf, CELL_BYTES, "%s [%s..%s]", median, min, max);
}

/* HH:MM:SS.nnnnnnnnn, UTC. */
static void format_clock(int64_t ts_ns, char *buf)
{
    time_t seconds = (time_t)(ts_ns / 1000000000);
    struct tm tm;
    if (ts_ns < 0 || !gmtime_r(&seconds, &tm)) {
        snprintf(buf, CELL_BYTES, "-");
        return;
    }
    snprintf(buf, CELL_BYTES, "%02d:%02d:%02d.%09" PRId64, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts_ns % 1000000000);
}

static void packets_row(const sweep_row *row, text_table *t, size_t r)
{
    snprintf(cell(t, r, 0), CELL_BYTES, "%s", row->size_text);
    snprintf(cell(t, r, 1), CELL_BYTES, "%" PRIu64, row->size_bytes);
    if (row->failed)
        snprintf(cell(t, r, 2), CELL_BYTES, "%zu (+%" PRIu64 " failed)",
                 row->count, row->failed);
    else
        snprintf(cell(t, r, 2), CELL_BYTES, "%zu", row->count);
    format_stat(row, COL_PACKETS, NUM_COUNT, cell(t, r, 3));
    format_stat(row, COL_AVERAGE_SIZE, NUM_BYTES, cell(t, r, 4));
}

static void timing_row(const sweep_row *row, text_table *t, size_t r)
{
    snprintf(cell(t, r, 0), CELL_BYTES, "%s", row->size_text);
    if (row->count == 0) {
        snprintf(cell(t, r, 1), CELL_BYTES, "-");
        snprintf(cell(t, r, 2), CELL_BYTES, "-");
    } else {
        const sweep_sample *s = &row->samples[median_sample(row)];
        format_clock(s->first_packet_ns, cell(t, r, 1));
        format_clock(s->last_packet_ns, cell(t, r, 2));
    }
    format_stat(row, COL_TOTAL_NS, NUM_SECONDS, cell(t, r, 3));
}

void wm_sweep_table_print(const wm_sweep_table *table, FILE *out)
{
    text_table t = {
        .title = "Packets per transfer size",
        .header = {"size", "bytes", "runs", "packets", "avg packet (B)"},
        .columns = 5, .rows = table->count,
    };
    t.cells = calloc(table->count ? table->count * MAX_COLUMNS : 1,
                     CELL_BYTES);
    if (!t.cells) {
        fprintf(out, "(out of memory rendering the sweep table)\n");
        return;
    }
    for (size_t r = 0; r < table->count; r++)
        packets_row(&table->rows[r], &t, r);
    print_text_table(&t, out);

    text_table times = {
        .title = "\nTime per transfer size (first and last packet, UTC; "
                 "of the median run when repeated)",
        .header = {"size", "start", "end", "total (s)"},
        .columns = 4, .rows = table->count, .cells = t.cells,
    };
    for (size_t r = 0; r < table->count; r++)
        timing_row(&table->rows[r], &times, r);
    print_text_table(&times, out);
    free(t.cells);
}
