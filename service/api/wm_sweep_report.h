/* wm_sweep_report: a sweep's report in the formats other than JSON — the
 * table as CSV, Figure 1 as SVG, and a printable HTML page holding both —
 * each drawn from the sweep's JSON document (wm_sweeps_doc.h) and nothing
 * else, so that every format shows the numbers GET /sweeps/{id} answers.
 *
 * CSV: a header line, then one line per size (the table's order), RFC 4180
 * quoting, an empty cell for null. Columns (README, "A sweep's report"):
 *   size, size_text, runs, failed,
 *   packets_median, packets_min, packets_max,
 *   start_median, start_min, start_max       first packet, RFC 3339 UTC
 *   end_median, end_min, end_max             last packet, RFC 3339 UTC
 *   total_s_median, total_s_min, total_s_max seconds, 9 decimals (ns)
 *   average_packet_size_median, _min, _max   bytes on the wire
 *   handout_packets, handout_total_s, handout_average_packet_size
 *
 * SVG: Figure 1 of the lab, two panels side by side — packets against size
 * and total time against size — one point per size at the median with a
 * min–max whisker, the size axis logarithmic (decades), each axis labelled
 * with its unit; 800 × 360 user units, text 12 units or more, so that it
 * stays legible scaled to the width of an A4 page. A size of 0 bytes has
 * no place on a log axis: it is left out and the figure says so.
 *
 * HTML: a standalone page with no script: the sweep's settings, the table
 * and the SVG inline, with a print stylesheet that fits one A4 page. */
#ifndef WM_SWEEP_REPORT_H
#define WM_SWEEP_REPORT_H

#include <jansson.h>

/* Each returns malloc'd NUL-terminated text, or NULL when memory runs out. */
char *wm_sweep_report_csv(const json_t *sweep);
char *wm_sweep_report_svg(const json_t *sweep);
char *wm_sweep_report_html(const json_t *sweep);

#endif
