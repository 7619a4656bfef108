/* wm_sweep: a sweep — the lab's transfer sizes, each run several times —
 * as the engine defines it: the order its runs execute in, and the lab's
 * tables over their results (for each size, how many packets, when the
 * transfer started and ended, how long it took and the average packet
 * size).
 *
 * Shared by `wiremeter sweep` and the daemon's POST /sweeps so that both
 * run in the same order and return the same rows from the same
 * arithmetic; the page shows the rows the API computed. The table reads
 * only run results (docs/result.md, what wm_engine_run returns), never
 * engine structs, so the daemon can feed it stored results too.
 *
 * Contract:
 * - Rows are keyed by size in bytes, in the order each size was first
 *   added; adding "1MB" then "1000kB" feeds one row (the first text wins).
 * - A run adds one sample. It must carry the integers totals.packets,
 *   timing.first_packet_ns, timing.last_packet_ns, timing.total_ns and the
 *   number average_packet_size.all; otherwise wm_sweep_table_add fails
 *   (WM_ERR_INVALID naming the missing field) and the table is unchanged.
 * - A run that failed is counted with wm_sweep_table_add_failed: it shows
 *   in the row's "failed" count and nowhere else.
 * - Statistics are over a row's samples: median, min, max. The median of an
 *   even count is the mean of the two middle values; for the integer
 *   columns (packets, total_ns) it is a JSON real when that mean is not
 *   whole, an integer otherwise; average_packet_size is always a real.
 *   With no sample they are null.
 * - The "median sample" is the one whose total_ns is the median (for an
 *   even count, the lower of the two middle ones; ties go to the earliest);
 *   its absolute start/end are what the text table shows.
 *
 * JSON (wm_sweep_table_json): an array of rows, in row order:
 *   {"size": 1000000, "size_text": "1MB",
 *    "runs": 3,            samples (successful runs)
 *    "failed": 0,          runs added with wm_sweep_table_add_failed
 *    "packets":             {"median": 125, "min": 124, "max": 127},
 *    "total_ns":            {"median": ..., "min": ..., "max": ...},
 *    "start_ns":            {...}, first packet, absolute: always integers
 *    "start_time":          {...}, the same as RFC 3339 text (wm_clock.h)
 *    "end_ns", "end_time":  {...}, last packet, likewise
 *    "average_packet_size": {"median": ..., "min": ..., "max": ...},
 *    "handout":             {"packets": 125, "total_s": 0.111,
 *                            "average_packet_size": 10000.0} or null
 *    "median_sample": 1,   index into samples, null when none
 *    "samples": [          one per run, in the order added
 *      {"packets": 125, "first_packet_ns": 1764..., "first_packet_time":
 *       "2026-...Z", "last_packet_ns": 1764..., "last_packet_time": "...",
 *       "total_ns": 111000, "average_packet_size": 10012.5}, ...]}
 * The median of start_ns/end_ns over an even count is rounded down to the
 * nanosecond, so that a time is always an integer.
 */
#ifndef WM_SWEEP_H
#define WM_SWEEP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"

/* The order of a sweep's runs: round by round, each size once per round
 * (13B, 2kB, 1MB, 13B, 2kB, 1MB...), one run at a time. Why interleaved
 * rather than each size's runs together: the machine's slow moments (a
 * daemon waking, the CPU's clock changing, another client's run) then
 * spread over every size instead of all landing on the runs of one, which
 * would skew that row's median and make a size look slower than it is.
 * Returns the index, in the sizes given, of the sweep's run_index-th run;
 * its round is run_index / size_count. size_count must not be 0. */
size_t wm_sweep_size_index(size_t run_index, size_t size_count);

/* The lab handout's figure for one size (docs, design: 13 B, 2 kB, 439 kB,
 * 1 MB), to set beside a row. */
typedef struct wm_sweep_handout {
    uint64_t size_bytes;
    uint64_t packets;
    double total_s;             /* seconds, first to last packet */
    double average_packet_size; /* bytes; the handout's one figure */
} wm_sweep_handout;

/* The handout's row for size_bytes, or NULL when it has none. */
const wm_sweep_handout *wm_sweep_handout_for(uint64_t size_bytes);

typedef struct wm_sweep_table wm_sweep_table;

/* An empty table, or NULL when memory runs out. */
wm_sweep_table *wm_sweep_table_new(void);

/* One successful run of size_bytes (size_text is how the user wrote it,
 * copied). run_result is only read; the caller keeps it. */
int wm_sweep_table_add(wm_sweep_table *table, uint64_t size_bytes,
                       const char *size_text, const json_t *run_result,
                       wm_error *err);

/* One failed run of size_bytes. */
int wm_sweep_table_add_failed(wm_sweep_table *table, uint64_t size_bytes,
                              const char *size_text, wm_error *err);

/* The rows as a new JSON array (the caller owns the reference), or NULL
 * when memory runs out. */
json_t *wm_sweep_table_json(const wm_sweep_table *table);

void wm_sweep_table_free(wm_sweep_table *table);

#endif
