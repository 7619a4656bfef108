/* wm_sweep: see wm_sweep.h.
 *
 * A sample keeps only the five numbers the tables need, copied out of the
 * run's JSON when it is added, so the caller may free its results at once
 * and the table never depends on how long a stored document lives.
 * Statistics sort a copy of one column at a time: rows hold a handful of
 * samples, so simplicity beats any incremental scheme. */
#include "wm_sweep.h"

#include <assert.h>

#include "wm_clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lab handout's figures (another machine, another program): the only
 * copy; the API serves it with each row and the page reads it there. The
 * handout gives one average packet size, about 10 kB, for all sizes. */
static const wm_sweep_handout handout[] = {
    {13, 24, 0.082, 10000},
    {2000, 24, 0.082, 10000},
    {439000, 73, 0.094, 10000},
    {1000000, 125, 0.111, 10000},
};

const wm_sweep_handout *wm_sweep_handout_for(uint64_t size_bytes)
{
    for (size_t i = 0; i < sizeof handout / sizeof handout[0]; i++)
        if (handout[i].size_bytes == size_bytes)
            return &handout[i];
    return NULL;
}

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
    COL_PACKETS, COL_TOTAL_NS, COL_AVERAGE_SIZE, COL_START_NS, COL_END_NS,
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
    switch (column) {
    case COL_PACKETS: return s->packets;
    case COL_TOTAL_NS: return s->total_ns;
    case COL_START_NS: return s->first_packet_ns;
    case COL_END_NS: return s->last_packet_ns;
    case COL_AVERAGE_SIZE: break;
    }
    assert(!"not an integer column");
    return 0;
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

static json_t *time_json(int64_t ns)
{
    char text[WM_CLOCK_RFC3339_SIZE];
    wm_clock_rfc3339(ns, text);
    return json_string(text);
}

/* An absolute time's statistics: integers always (the median of an even
 * count rounded down to the nanosecond: a time has no half nanosecond),
 * and beside them the same three as RFC 3339 text (*as_text). */
static json_t *time_stat_json(const sweep_row *row, sweep_column column,
                              json_t **as_text)
{
    sweep_stat s;
    *as_text = NULL;
    if (row_stat(row, column, &s))
        return NULL;
    if (row->count == 0) {
        *as_text = json_pack("{s:n,s:n,s:n}", "median", "min", "max");
        return json_pack("{s:n,s:n,s:n}", "median", "min", "max");
    }
    int64_t median = s.median_int; /* lo + (hi - lo) / 2: floored */
    *as_text = json_pack("{s:o,s:o,s:o}", "median", time_json(median), "min",
                         time_json(s.min_int), "max", time_json(s.max_int));
    return json_pack("{s:I,s:I,s:I}", "median", (json_int_t)median, "min",
                     (json_int_t)s.min_int, "max", (json_int_t)s.max_int);
}

static json_t *handout_json(uint64_t size_bytes)
{
    const wm_sweep_handout *h = wm_sweep_handout_for(size_bytes);
    if (!h)
        return json_null();
    return json_pack("{s:I,s:f,s:f}", "packets", (json_int_t)h->packets,
                     "total_s", h->total_s, "average_packet_size",
                     h->average_packet_size);
}

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
    return json_pack("{s:I,s:I,s:o,s:I,s:o,s:I,s:f}", "packets",
                     (json_int_t)s->packets, "first_packet_ns",
                     (json_int_t)s->first_packet_ns, "first_packet_time",
                     time_json(s->first_packet_ns), "last_packet_ns",
                     (json_int_t)s->last_packet_ns, "last_packet_time",
                     time_json(s->last_packet_ns), "total_ns",
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
    json_t *start_time, *end_time;
    json_t *start = time_stat_json(row, COL_START_NS, &start_time);
    json_t *end = time_stat_json(row, COL_END_NS, &end_time);
    json_t *hand = handout_json(row->size_bytes);
    if (!samples || !median || !packets || !total || !average || !start ||
        !start_time || !end || !end_time || !hand) {
        json_decref(samples), json_decref(median), json_decref(packets);
        json_decref(total), json_decref(average), json_decref(start);
        json_decref(start_time), json_decref(end), json_decref(end_time);
        json_decref(hand);
        return NULL;
    }
    return json_pack("{s:I,s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
                     "s:o,s:o}",
                     "size", (json_int_t)row->size_bytes, "size_text",
                     row->size_text, "runs", (json_int_t)row->count, "failed",
                     (json_int_t)row->failed, "packets", packets, "total_ns",
                     total, "start_ns", start, "start_time", start_time,
                     "end_ns", end, "end_time", end_time,
                     "average_packet_size", average, "handout", hand,
                     "median_sample", median, "samples", samples);
}

json_t *wm_sweep_table_json(const wm_sweep_table *table)
{
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < table->count; i++)
        if (json_array_append_new(rows, row_json(&table->rows[i])))
            return json_decref(rows), NULL;
    return rows;
}

size_t wm_sweep_size_index(size_t run_index, size_t size_count)
{
    assert(size_count > 0);
    return run_index % size_count;
}
