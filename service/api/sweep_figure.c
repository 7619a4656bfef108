/* wm_sweep_report: Figure 1 as SVG. See wm_sweep_report.h.
 *
 * Drawn by hand rather than by a charting library: two scatter panels with
 * whiskers need a few dozen lines of SVG, and the daemon stays free of a
 * dependency that the page (Chart.js) does not share anyway. The y axes
 * start at 0 so that the eye compares heights honestly; the x axis is
 * logarithmic because the lab's sizes span six decades (13 B to 1 MB). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_sweep_report.h"

#define FIG_W 800.0
#define FIG_H 360.0
#define PANEL_W (FIG_W / 2)
#define PAD_LEFT 72.0   /* room for the y tick labels and the axis title */
#define PAD_RIGHT 18.0
#define PAD_TOP 44.0    /* the panel's title */
#define PAD_BOTTOM 64.0 /* the x tick labels and the axis title */

/* One row's point: x (bytes) and y's median, min and max. */
typedef struct fig_point {
    double size, median, min, max;
} fig_point;

typedef struct fig_panel {
    const char *title, *y_title;
    fig_point *points;
    size_t count;
    double x0; /* the panel's left edge in the figure */
} fig_panel;

static double number(const json_t *stat, const char *key)
{
    return json_number_value(json_object_get(stat, key));
}

/* A step of 1, 2 or 5 times a power of ten giving about five ticks. */
static double nice_step(double max)
{
    double raw = max / 5.0;
    double mag = pow(10.0, floor(log10(raw)));
    double norm = raw / mag;
    return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

static const char *decade_label(int decade, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int unit = decade / 3;
    if (unit > 4)
        unit = 4;
    snprintf(buf, len, "%.0f %s", pow(10.0, decade - unit * 3), units[unit]);
    return buf;
}

static void draw_panel(FILE *out, const fig_panel *p, int lo, int hi)
{
    double left = p->x0 + PAD_LEFT, right = p->x0 + PANEL_W - PAD_RIGHT;
    double top = PAD_TOP, bottom = FIG_H - PAD_BOTTOM;
    double ymax = 0;
    for (size_t i = 0; i < p->count; i++)
        ymax = fmax(ymax, p->points[i].max);
    double step = nice_step(ymax > 0 ? ymax * 1.1 : 1.0);
    double ytop = ceil((ymax > 0 ? ymax * 1.1 : 1.0) / step) * step;
    /* A fifth of a decade beyond each end: no point sits on the frame. */
#define X(v) (left + (log10(v) - lo + 0.2) / (hi - lo + 0.4) * (right - left))
#define Y(v) (bottom - (v) / ytop * (bottom - top))
    fprintf(out, "<g class=\"panel\">\n<text x=\"%.1f\" y=\"24\" "
                 "class=\"title\">%s</text>\n",
            p->x0 + PANEL_W / 2, p->title);
    for (double v = 0; v <= ytop + step / 2; v += step) {
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/>",
                left, Y(v), right, Y(v));
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"ytick\">%g"
                     "</text>\n", left - 6, Y(v) + 4, v);
    }
    char label[32];
    for (int d = lo; d <= hi; d++) {
        double x = X(pow(10.0, d));
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/>",
                x, top, x, bottom);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"xtick\">%s"
                     "</text>\n", x, bottom + 18,
                decade_label(d, label, sizeof label));
    }
    fprintf(out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" "
                 "width=\"%.1f\" height=\"%.1f\"/>\n",
            left, top, right - left, bottom - top);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\">transfer size "
                 "(bytes, log scale)</text>\n",
            (left + right) / 2, FIG_H - 14);
    fprintf(out, "<text class=\"axis\" transform=\"translate(%.1f %.1f) "
                 "rotate(-90)\">%s</text>\n",
            p->x0 + 18, (top + bottom) / 2, p->y_title);
    for (size_t i = 0; i < p->count; i++) {
        const fig_point *pt = &p->points[i];
        double x = X(pt->size);
        fprintf(out, "<g class=\"point\"><line class=\"whisker\" "
                     "x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                     "<line class=\"whisker\" x1=\"%.1f\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/><line class=\"whisker\" "
                     "x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"/></g>\n",
                x, Y(pt->min), x, Y(pt->max), x - 5, Y(pt->min), x + 5,
                Y(pt->min), x - 5, Y(pt->max), x + 5, Y(pt->max), x,
                Y(pt->median));
    }
    fputs("</g>\n", out);
#undef X
#undef Y
}

/* The unit that keeps the largest total time readable: µs, ms or s. */
static double time_unit(const json_t *table, const char **name)
{
    double max = 0;
    size_t i;
    const json_t *row;
    json_array_foreach(table, i, row)
        max = fmax(max, number(json_object_get(row, "total_ns"), "max"));
    *name = max < 1e6 ? "µs" : max < 1e9 ? "ms" : "s";
    return max < 1e6 ? 1e3 : max < 1e9 ? 1e6 : 1e9;
}

/* The points of both panels; returns how many rows were left out (no
 * sample, or size 0), and the decades the sizes span. */
static size_t collect(const json_t *table, fig_panel *packets,
                      fig_panel *times, int *lo, int *hi)
{
    const char *unit;
    double per = time_unit(table, &unit);
    size_t i, left_out = 0;
    const json_t *row;
    double smin = INFINITY, smax = 0;
    json_array_foreach(table, i, row) {
        double size = number(row, "size");
        const json_t *pk = json_object_get(row, "packets");
        const json_t *t = json_object_get(row, "total_ns");
        if (size <= 0 || !json_is_number(json_object_get(pk, "median"))) {
            left_out++;
            continue;
        }
        smin = fmin(smin, size), smax = fmax(smax, size);
        packets->points[packets->count++] = (fig_point){
            size, number(pk, "median"), number(pk, "min"), number(pk, "max")};
        times->points[times->count++] = (fig_point){
            size, number(t, "median") / per, number(t, "min") / per,
            number(t, "max") / per};
    }
    *lo = smax > 0 ? (int)floor(log10(smin)) : 0;
    *hi = smax > 0 ? (int)ceil(log10(smax)) : 1;
    if (*hi <= *lo)
        *hi = *lo + 1;
    return left_out;
}

static int write_svg(FILE *out, const json_t *sweep)
{
    const json_t *table = json_object_get(sweep, "table");
    size_t n = json_array_size(table);
    fig_point *points = calloc(2 * (n ? n : 1), sizeof *points);
    if (!points)
        return -1;
    const char *unit;
    time_unit(table, &unit);
    char y_time[40];
    snprintf(y_time, sizeof y_time, "total time (%s)", unit);
    fig_panel packets = {"Packets per transfer", "packets", points, 0, 0};
    fig_panel times = {"Total time per transfer", y_time, points + n, 0,
                       PANEL_W};
    int lo, hi;
    size_t left_out = collect(table, &packets, &times, &lo, &hi);
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
            "%.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
            "aria-labelledby=\"fig1-title\" class=\"figure1\">\n"
            "<title id=\"fig1-title\">Figure 1: packets and total time "
            "against transfer size, sweep %lld (median of each size, "
            "whiskers from min to max)</title>\n"
            "<style>text{font-family:sans-serif;font-size:13px;fill:#222}"
            ".title{font-size:15px;font-weight:bold;text-anchor:middle}"
            ".axis{text-anchor:middle}.ytick{text-anchor:end}"
            ".xtick{text-anchor:middle}.note{font-size:12px;fill:#555}"
            ".grid{stroke:#ddd;stroke-width:1}"
            ".frame{fill:none;stroke:#444;stroke-width:1}"
            ".whisker{stroke:#1f5fa8;stroke-width:1.5}"
            ".point circle{fill:#1f5fa8}</style>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
            FIG_W, FIG_H, FIG_W, FIG_H,
            (long long)json_integer_value(json_object_get(sweep, "id")));
    draw_panel(out, &packets, lo, hi);
    draw_panel(out, &times, lo, hi);
    if (left_out)
        fprintf(out, "<text x=\"8\" y=\"%.0f\" class=\"note\">%zu size(s) "
                     "without a finished run or of 0 bytes (no place on a "
                     "log axis) are not drawn.</text>\n",
                FIG_H - 2, left_out);
    fputs("</svg>\n", out);
    free(points);
    return 0;
}

char *wm_sweep_report_svg(const json_t *sweep)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    int rc = write_svg(out, sweep);
    if (fclose(out) != 0 || rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}
