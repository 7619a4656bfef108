/* wm_series: a run drawn over time — the data sender's TCP_INFO sampled
 * during the transfer, and tables made from the sender's capture
 * (throughput, goodput, ACK round trips, bytes in flight, the advertised
 * window, the segments and the acks), on one time axis.
 *
 * The document is docs/result.md's "series" (GET /runs/{id}/series);
 * the engine writes it beside the run's pcap when the run's config names
 * a series_path. Every table is bounded: the kernel's samples by
 * WM_SERIES_MAX_SAMPLES, each capture table by WM_SERIES_MAX_POINTS, so a
 * series costs the same memory and disk whatever the run's length. The
 * bounds live here, once; the parameter table and the document quote
 * them. */
#ifndef WM_SERIES_H
#define WM_SERIES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"

/* The sampling interval (the run parameter "interval"), microseconds. */
#define WM_SERIES_MIN_INTERVAL_US 100u       /* a getsockopt every 100 µs
                                                costs a core about 1 % */
#define WM_SERIES_MAX_INTERVAL_US 10000000u  /* 10 s */
/* "auto" (interval 0): sampling starts at the finest interval and halves
 * the rate each time 2 * WM_SERIES_AUTO_SAMPLES are kept, so that any run
 * longer than that many finest intervals (0.1 s) ends with between
 * WM_SERIES_AUTO_SAMPLES and twice that. */
#define WM_SERIES_AUTO_SAMPLES 500u
#define WM_SERIES_MAX_SAMPLES 4096u          /* kernel samples kept */
#define WM_SERIES_MAX_POINTS 200000u         /* rows of each other table */

/* The tables ?table= and the CSV can name, NULL-ended, in the document's
 * order. */
extern const char *const wm_series_tables[];
#define WM_SERIES_TABLE_NAMES \
    "kernel, throughput, goodput, rtt, in_flight, window, segments or acks"

/* Whether name is one of wm_series_tables. */
int wm_series_table_known(const char *name);

/* One table of a series document as CSV: a header line of the JSON field
 * names (t_ns first), then a line per row; null is an empty cell. A
 * malloc'd string, NULL with err filled (WM_ERR_INVALID naming "table"
 * when the table is unknown). */
char *wm_series_csv(const json_t *series, const char *table, wm_error *err);

#endif
