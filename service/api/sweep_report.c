/* wm_sweep_report: the table as CSV and the printable HTML page. See
 * wm_sweep_report.h; Figure 1 is in sweep_figure.c.
 *
 * The columns are one table (columns[] below) read by both the CSV and
 * the HTML writers, so the two never disagree on what a column is. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_sweep_report.h"

/* How a cell is written from a row's value. */
typedef enum cell_kind {
    CELL_NUMBER,  /* as JSON writes it */
    CELL_TEXT,    /* a string, quoted when needed */
    CELL_SECONDS, /* ns written as seconds with 9 decimals */
} cell_kind;

typedef struct column {
    const char *name;   /* the CSV header */
    const char *object; /* the row's member, NULL for the row itself */
    const char *key;
    cell_kind kind;
} column;

static const column columns[] = {
    {"size", NULL, "size", CELL_NUMBER},
    {"size_text", NULL, "size_text", CELL_TEXT},
    {"runs", NULL, "runs", CELL_NUMBER},
    {"failed", NULL, "failed", CELL_NUMBER},
    {"packets_median", "packets", "median", CELL_NUMBER},
    {"packets_min", "packets", "min", CELL_NUMBER},
    {"packets_max", "packets", "max", CELL_NUMBER},
    {"start_median", "start_time", "median", CELL_TEXT},
    {"start_min", "start_time", "min", CELL_TEXT},
    {"start_max", "start_time", "max", CELL_TEXT},
    {"end_median", "end_time", "median", CELL_TEXT},
    {"end_min", "end_time", "min", CELL_TEXT},
    {"end_max", "end_time", "max", CELL_TEXT},
    {"total_s_median", "total_ns", "median", CELL_SECONDS},
    {"total_s_min", "total_ns", "min", CELL_SECONDS},
    {"total_s_max", "total_ns", "max", CELL_SECONDS},
    {"average_packet_size_median", "average_packet_size", "median",
     CELL_NUMBER},
    {"average_packet_size_min", "average_packet_size", "min", CELL_NUMBER},
    {"average_packet_size_max", "average_packet_size", "max", CELL_NUMBER},
    {"handout_packets", "handout", "packets", CELL_NUMBER},
    {"handout_total_s", "handout", "total_s", CELL_NUMBER},
    {"handout_average_packet_size", "handout", "average_packet_size",
     CELL_NUMBER},
};

#define N_COLUMNS (sizeof columns / sizeof columns[0])

static const json_t *cell_value(const json_t *row, const column *c)
{
    const json_t *from = c->object ? json_object_get(row, c->object) : row;
    return json_object_get(from, c->key);
}

/* The cell's text into buf: "" for null or missing. */
static const char *cell_text(const json_t *value, cell_kind kind, char *buf,
                             size_t len)
{
    buf[0] = '\0';
    if (json_is_string(value))
        return json_string_value(value);
    if (!json_is_number(value))
        return buf;
    if (kind == CELL_SECONDS) {
        /* An integer ns is exact as seconds with 9 decimals; an even
         * count's median may end in half a nanosecond, rounded. */
        double ns = json_number_value(value);
        if (json_is_integer(value)) {
            json_int_t n = json_integer_value(value);
            snprintf(buf, len, "%s%" JSON_INTEGER_FORMAT ".%09" JSON_INTEGER_FORMAT,
                     n < 0 ? "-" : "", (n < 0 ? -n : n) / 1000000000,
                     (n < 0 ? -n : n) % 1000000000);
        } else {
            snprintf(buf, len, "%.9f", ns / 1e9);
        }
        return buf;
    }
    if (json_is_integer(value)) {
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return buf;
    }
    /* The shortest text that reads back as the same double: 0.082, not
     * 0.082000000000000003. */
    double real = json_real_value(value);
    if (real > -1e15 && real < 1e15 && real == (double)(long long)real) {
        snprintf(buf, len, "%lld", (long long)real); /* 10000, not 1e+04 */
        return buf;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, real);
        if (strtod(buf, NULL) == real)
            break;
    }
    return buf;
}

/* RFC 4180: a field with a comma, quote or line break is quoted, its
 * quotes doubled. */
static void csv_field(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static void write_csv(FILE *out, const json_t *sweep)
{
    for (size_t c = 0; c < N_COLUMNS; c++)
        fprintf(out, "%s%s", c ? "," : "", columns[c].name);
    fputs("\r\n", out);
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(sweep, "table"), i, row) {
        for (size_t c = 0; c < N_COLUMNS; c++) {
            char buf[64];
            if (c)
                fputc(',', out);
            csv_field(out, cell_text(cell_value(row, &columns[c]),
                                     columns[c].kind, buf, sizeof buf));
        }
        fputs("\r\n", out);
    }
}

typedef void (*writer_fn)(FILE *out, const json_t *sweep);

static char *render(writer_fn fn, const json_t *sweep)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    fn(out, sweep);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *wm_sweep_report_csv(const json_t *sweep)
{
    return render(write_csv, sweep);
}

/* ---- HTML ---- */

static void html_text(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++)
        switch (*p) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*p, out);
        }
}

/* How the page shows a value: the CSV's text, shortened for people. */
typedef enum html_kind {
    HTML_AS_CSV,
    HTML_CLOCK, /* an RFC 3339 time of day on the report's date */
    HTML_BYTES, /* a mean in bytes, to a tenth */
} html_kind;

/* The report's date (of created_time): a time on it shows only its time
 * of day, the date being in the column's head; any other keeps it. */
typedef struct html_ctx {
    char date[16]; /* "2026-11-30" */
} html_ctx;

static const char *html_value(const html_ctx *h, const json_t *value,
                              cell_kind kind, html_kind shown, char *buf,
                              size_t len)
{
    const char *text = cell_text(value, kind, buf, len);
    if (shown == HTML_BYTES && json_is_number(value)) {
        snprintf(buf, len, "%.1f", json_number_value(value));
        return buf;
    }
    size_t date_len = strlen(h->date);
    if (shown == HTML_CLOCK && date_len && !strncmp(text, h->date, date_len) &&
        text[date_len] == 'T') {
        snprintf(buf, len, "%.*s", (int)strcspn(text + date_len + 1, "Z"),
                 text + date_len + 1);
        return buf;
    }
    return text;
}

/* "median (min–max)" of a row's statistic, or "–" without one. */
static void html_stat(FILE *out, const html_ctx *h, const json_t *row,
                      const char *object, cell_kind kind, html_kind shown)
{
    const json_t *stat = json_object_get(row, object);
    char a[64], b[64], c[64];
    const char *median = html_value(h, json_object_get(stat, "median"), kind,
                                    shown, a, sizeof a);
    if (!median[0]) {
        fputs("<td>–</td>", out);
        return;
    }
    const char *min = html_value(h, json_object_get(stat, "min"), kind, shown,
                                 b, sizeof b);
    const char *max = html_value(h, json_object_get(stat, "max"), kind, shown,
                                 c, sizeof c);
    fputs("<td>", out);
    html_text(out, median);
    fputs("<br><small>", out);
    html_text(out, min);
    fputs(" –</small> <small>", out);
    html_text(out, max);
    fputs("</small></td>", out);
}

static void html_handout(FILE *out, const json_t *row)
{
    const json_t *h = json_object_get(row, "handout");
    if (!json_is_object(h)) {
        fputs("<td>–</td>", out);
        return;
    }
    fprintf(out, "<td>%" JSON_INTEGER_FORMAT "<br>%.3f s<br><small>≈ %.0f "
                 "B</small></td>",
            json_integer_value(json_object_get(h, "packets")),
            json_number_value(json_object_get(h, "total_s")),
            json_number_value(json_object_get(h, "average_packet_size")));
}

static void html_table(FILE *out, const json_t *sweep)
{
    html_ctx h = {.date = ""};
    const char *created =
        json_string_value(json_object_get(sweep, "created_time"));
    if (created && strlen(created) > 10)
        snprintf(h.date, sizeof h.date, "%.10s", created);
    fputs("<table><thead><tr><th>size</th><th>runs</th><th>packets</th>"
          "<th>start: first packet<br><small>UTC", out);
    fprintf(out, "%s%s", h.date[0] ? ", " : "", h.date);
    fputs("</small></th><th>end: last packet<br><small>UTC", out);
    fprintf(out, "%s%s", h.date[0] ? ", " : "", h.date);
    fputs("</small></th><th>total time (s)</th>"
          "<th>average packet (bytes)</th>"
          "<th>handout<br><small>packets, time, average</small></th>"
          "</tr></thead>\n<tbody>\n", out);
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(sweep, "table"), i, row) {
        fputs("<tr><td>", out);
        html_text(out, json_string_value(json_object_get(row, "size_text")));
        fprintf(out, "<br><small>%" JSON_INTEGER_FORMAT " B</small></td>"
                     "<td>%" JSON_INTEGER_FORMAT,
                json_integer_value(json_object_get(row, "size")),
                json_integer_value(json_object_get(row, "runs")));
        json_int_t failed = json_integer_value(json_object_get(row, "failed"));
        if (failed)
            fprintf(out, "<br><small>%" JSON_INTEGER_FORMAT " failed</small>",
                    failed);
        fputs("</td>", out);
        html_stat(out, &h, row, "packets", CELL_NUMBER, HTML_AS_CSV);
        html_stat(out, &h, row, "start_time", CELL_TEXT, HTML_CLOCK);
        html_stat(out, &h, row, "end_time", CELL_TEXT, HTML_CLOCK);
        html_stat(out, &h, row, "total_ns", CELL_SECONDS, HTML_AS_CSV);
        html_stat(out, &h, row, "average_packet_size", CELL_NUMBER,
                  HTML_BYTES);
        html_handout(out, row);
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* The settings every run of the sweep shared, as "name value" pairs. */
static void html_settings(FILE *out, const json_t *sweep)
{
    const json_t *params = json_object_get(sweep, "params");
    const char *key;
    const json_t *value;
    fputs("<p class=\"settings\">", out);
    bool first = true;
    json_object_foreach((json_t *)params, key, value) {
        char buf[64];
        const char *text = cell_text(value, CELL_NUMBER, buf, sizeof buf);
        if (json_is_boolean(value))
            text = json_is_true(value) ? "true" : "false";
        else if (json_is_array(value))
            continue; /* sizes: the table's rows */
        fputs(first ? "" : " · ", out);
        first = false;
        html_text(out, key);
        fputs(" <b>", out);
        html_text(out, text[0] ? text : "(default)");
        fputs("</b>", out);
    }
    fputs("</p>\n", out);
}

static const char html_style[] =
    "<style>\n"
    "body{font-family:sans-serif;color:#222;margin:2em auto;max-width:60em;"
    "padding:0 1em}\n"
    "h1{font-size:1.4em;margin:0 0 .2em}\n"
    ".settings{font-size:.85em;color:#444}\n"
    "table{border-collapse:collapse;width:100%;font-size:.85em}\n"
    "th,td{border:1px solid #bbb;padding:.25em .4em;text-align:right;"
    "vertical-align:top}\n"
    "th{background:#eee;text-align:center}\n"
    "td:first-child{text-align:left}\n"
    "small{display:inline-block}\n"
    "small{color:#555}\n"
    "figure{margin:1em 0}\n"
    "figure svg{width:100%;height:auto}\n"
    "figcaption{font-size:.85em;color:#444}\n"
    "@page{size:A4 portrait;margin:12mm}\n"
    "@media print{body{margin:0;max-width:none;padding:0;font-size:9pt}"
    "table{font-size:8pt}th,td{padding:1pt 3pt}"
    "figure{margin:4mm 0 0;break-inside:avoid}"
    "figure svg{width:100%;max-height:95mm}"
    "tr{break-inside:avoid}}\n"
    "</style>\n";

static void write_html(FILE *out, const json_t *sweep)
{
    long long id = (long long)json_integer_value(json_object_get(sweep, "id"));
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                 "<meta charset=\"utf-8\">\n<title>wiremeter sweep %lld: "
                 "the lab report</title>\n%s</head><body>\n"
                 "<h1>TCP transfers by size: sweep %lld</h1>\n",
            id, html_style, id);
    fputs("<p class=\"settings\">", out);
    html_text(out, json_string_value(json_object_get(sweep, "status")));
    fputs(", created ", out);
    html_text(out, json_string_value(json_object_get(sweep, "created_time")));
    fprintf(out, ", each size run %" JSON_INTEGER_FORMAT " time(s); "
                 "medians with min – max below them.</p>\n",
            json_integer_value(
                json_object_get(json_object_get(sweep, "params"), "repeat")));
    html_settings(out, sweep);
    html_table(out, sweep);
    char *svg = wm_sweep_report_svg(sweep);
    fputs("<figure>\n", out);
    if (svg)
        fputs(svg, out);
    free(svg);
    fputs("<figcaption>Figure 1: packets and total time against transfer "
          "size, from this sweep alone; each point is a size's median, its "
          "whisker runs from min to max.</figcaption>\n</figure>\n"
          "</body></html>\n", out);
}

char *wm_sweep_report_html(const json_t *sweep)
{
    return render(write_html, sweep);
}
