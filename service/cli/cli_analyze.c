/* `wiremeter analyze FILE`: every TCP connection of a pcap or pcapng file,
 * through the same dissector, analyser and report as a live run, so that
 * the analysis of a run's pcap reads exactly like the run.
 *
 * The output is written piece by piece as the engine hands it over
 * (wm_engine_analyze_file_each): a packet row is printed and freed before
 * the next is made, so that `--packets` of a 1 GB capture costs no more
 * memory than its summary. The JSON is the document of docs/result.md,
 * indented as json_dumpf would, except that each packet row is one line. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_cli.h"
#include "wm_cli_text.h"
#include "wm_engine.h"
#include "wm_trace.h"

/* Exit statuses: one place, also what the usage text says. */
enum {
    EXIT_DONE = 0,
    EXIT_UNREADABLE = 1,
    EXIT_USAGE = 2,
    EXIT_CUT_SHORT = 3,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wiremeter analyze FILE [--json] [--packets]\n"
            "                         [--max-record-bytes N] "
            "[--max-row-connections N]\n"
            "\n"
            "Analyses every TCP connection of a pcap or pcapng file\n"
            "(Ethernet, Linux cooked, raw IP or BSD loopback; a pcapng's\n"
            "interfaces may each have their own): endpoints, handshake,\n"
            "closure, totals, timing, average packet size. The file is\n"
            "streamed: memory does not grow with its packets.\n"
            "\n"
            "  --json      print the result as JSON (docs/result.md)\n"
            "  --packets   include each connection's packet list\n"
            "  --max-record-bytes N   a longer pcap record or pcapng block\n"
            "              stops reading (%u to %u; default %u;\n"
            "              env WIREMETER_MAX_RECORD_BYTES)\n"
            "  --max-row-connections N   connections whose packet rows are\n"
            "              kept, in temporary files under $TMPDIR (1 to %u;\n"
            "              default %u; about 130 KiB of memory each while\n"
            "              the file is read; env\n"
            "              WIREMETER_MAX_ROW_CONNECTIONS); later connections\n"
            "              are summarised without their rows\n"
            "  -h, --help  this help\n"
            "\n"
            "Exit status: %d done, %d the file could not be read, %d bad "
            "arguments,\n"
            "%d the file is cut short or damaged: the frames before that "
            "point are\n"
            "analysed and printed, \"read_error\" (and stderr) says where "
            "and why\n"
            "reading stopped.\n",
            WM_TRACE_MIN_MAX_RECORD_BYTES, WM_TRACE_MAX_MAX_RECORD_BYTES,
            WM_TRACE_DEFAULT_MAX_RECORD_BYTES, WM_ENGINE_MAX_ROW_CONNECTIONS,
            WM_ENGINE_DEFAULT_ROW_CONNECTIONS, EXIT_DONE, EXIT_UNREADABLE,
            EXIT_USAGE, EXIT_CUT_SHORT);
}

enum {
    OPT_JSON = 256,
    OPT_PACKETS,
    OPT_MAX_RECORD_BYTES,
    OPT_MAX_ROW_CONNECTIONS,
};

static const struct option analyze_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"packets", no_argument, NULL, OPT_PACKETS},
    {"max-record-bytes", required_argument, NULL, OPT_MAX_RECORD_BYTES},
    {"max-row-connections", required_argument, NULL,
     OPT_MAX_ROW_CONNECTIONS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A bounded count from a flag or its variable; false (message printed)
 * when it is not one. */
static bool parse_count(const char *name, const char *value, uint64_t min,
                        uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = value[0] >= '0' && value[0] <= '9'
                               ? strtoull(value, &end, 10) : 0;
    if (!end || errno || *end || n < min || n > max) {
        fprintf(stderr, "wiremeter analyze: %s: '%.64s' is not valid; "
                        "allowed: %" PRIu64 " to %" PRIu64 "\n",
                name, value, min, max);
        return false;
    }
    *out = n;
    return true;
}

static bool set_limit(int code, const char *value,
                      wm_engine_file_limits *limits)
{
    uint64_t n;
    if (code == OPT_MAX_RECORD_BYTES) {
        if (!parse_count("max-record-bytes", value,
                         WM_TRACE_MIN_MAX_RECORD_BYTES,
                         WM_TRACE_MAX_MAX_RECORD_BYTES, &n))
            return false;
        limits->max_record_bytes = (uint32_t)n;
    } else {
        if (!parse_count("max-row-connections", value, 1,
                         WM_ENGINE_MAX_ROW_CONNECTIONS, &n))
            return false;
        limits->max_row_connections = (size_t)n;
    }
    return true;
}

/* The variables first, so that a flag overrides its variable. */
static bool limits_from_env(wm_engine_file_limits *limits)
{
    const char *v = getenv("WIREMETER_MAX_RECORD_BYTES");
    if (v && *v && !set_limit(OPT_MAX_RECORD_BYTES, v, limits))
        return false;
    v = getenv("WIREMETER_MAX_ROW_CONNECTIONS");
    return !(v && *v && !set_limit(OPT_MAX_ROW_CONNECTIONS, v, limits));
}

/* ---- output, piece by piece ---- */

typedef struct writer {
    FILE *out;
    bool json;
    size_t connections;  /* how many the file has */
    size_t index;        /* connections written */
    size_t rows;         /* rows of the current connection written */
    bool open_packets;   /* JSON: a "packets" array is open */
    bool open_object;    /* JSON: a connection object is open */
    bool stopped;        /* reading stopped early: exit EXIT_CUT_SHORT */
    char *row;           /* a packet row's text, reused */
    size_t row_capacity;
} writer;

/* value as json_dumpf with JSON_INDENT(2) would write it `depth` levels
 * deep: its inner lines moved right by 2 * depth. */
static int put_value(FILE *out, const json_t *value, int depth)
{
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (!text)
        return -1;
    for (const char *p = text; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fprintf(out, "%*s", 2 * depth, "");
    }
    free(text);
    return 0;
}

/* The members of an object at depth (its braces aside), each on its own
 * line, comma-separated; first: no comma before the first. */
static int put_members(FILE *out, const json_t *obj, int depth, bool first)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        fprintf(out, "%s\n%*s", first ? "" : ",", 2 * depth, "");
        first = false;
        json_t *name = json_string(key);
        int rc = name ? put_value(out, name, depth) : -1;
        json_decref(name);
        if (rc != 0)
            return -1;
        fputs(": ", out);
        if (put_value(out, value, depth) != 0)
            return -1;
    }
    return 0;
}

static int write_failed(wm_error *err)
{
    return wm_error_set(err, WM_ERR_IO, "writing the output: %s",
                        strerror(errno ? errno : EIO));
}

static int on_file(void *ctx, const json_t *doc, size_t connections,
                   wm_error *err)
{
    writer *w = ctx;
    w->connections = connections;
    const json_t *stop = json_object_get(doc, "read_error");
    if (json_is_object(stop)) {
        w->stopped = true;
        fprintf(stderr, "wiremeter analyze: warning: reading stopped after "
                        "frame %" JSON_INTEGER_FORMAT ": %s\n",
                json_integer_value(json_object_get(stop, "after_frame")),
                json_string_value(json_object_get(stop, "reason")));
    }
    if (!w->json) {
        wm_cli_text_file_head(doc, connections, w->out);
        return 0;
    }
    fputc('{', w->out);
    if (put_members(w->out, doc, 1, true) != 0)
        return write_failed(err);
    fputs(",\n  \"connections\": [", w->out);
    return ferror(w->out) ? write_failed(err) : 0;
}

/* JSON: closes the connection left open. */
static void close_connection(writer *w)
{
    if (w->open_packets)
        fputs(w->rows ? "\n      ]" : "]", w->out);
    if (w->open_object)
        fputs("\n    }", w->out);
    w->open_packets = w->open_object = false;
}

static int on_connection(void *ctx, const json_t *conn, size_t packets,
                         wm_error *err)
{
    writer *w = ctx;
    size_t index = w->index++;
    w->rows = 0;
    if (!w->json) {
        wm_cli_text_file_connection(conn, index, w->connections, w->out);
        if (packets)
            wm_cli_text_packets_head(packets, w->out);
        return ferror(w->out) ? write_failed(err) : 0;
    }
    close_connection(w);
    fprintf(w->out, "%s\n    {", index ? "," : "");
    w->open_object = true;
    if (put_members(w->out, conn, 3, true) != 0)
        return write_failed(err);
    if (packets) {
        fputs(",\n      \"packets\": [", w->out);
        w->open_packets = true;
    }
    return ferror(w->out) ? write_failed(err) : 0;
}

static int on_packet(void *ctx, const json_t *row, wm_error *err)
{
    writer *w = ctx;
    if (!w->json) {
        wm_cli_text_packet_row(row, w->out);
    } else {
        /* into memory first: json_dumpf writes each token with its own
         * fwrite, which was a fifth of the time of `--packets` */
        size_t need = json_dumpb(row, w->row, w->row_capacity, JSON_COMPACT);
        if (need > w->row_capacity) {
            char *bigger = realloc(w->row, need);
            if (!bigger)
                return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
            w->row = bigger;
            w->row_capacity = need;
            need = json_dumpb(row, w->row, w->row_capacity, JSON_COMPACT);
        }
        if (need == 0)
            return write_failed(err);
        fputs(w->rows ? ",\n        " : "\n        ", w->out);
        fwrite(w->row, 1, need, w->out);
    }
    w->rows++;
    return ferror(w->out) ? write_failed(err) : 0;
}

static int finish(writer *w)
{
    if (w->json) {
        close_connection(w);
        fputs(w->index ? "\n  ]\n}\n" : "]\n}\n", w->out);
    }
    if (fflush(w->out) != 0 || ferror(w->out)) {
        fprintf(stderr, "wiremeter analyze: writing the output: %s\n",
                strerror(errno ? errno : EIO));
        return EXIT_UNREADABLE;
    }
    return w->stopped ? EXIT_CUT_SHORT : EXIT_DONE;
}

int wm_cli_analyze(int argc, char **argv)
{
    writer w = {.out = stdout};
    unsigned flags = 0;
    wm_engine_file_limits limits = {0};
    int code;
    optind = 0; /* glibc: a full reset, so a second call parses afresh */
    /* getopt names argv[0] in its messages: make it the command. */
    argv[0] = (char *)"wiremeter analyze";
    if (!limits_from_env(&limits))
        return EXIT_USAGE;
    while ((code = getopt_long(argc, argv, "h", analyze_options, NULL)) != -1) {
        if (code == 'h')
            return usage(stdout), EXIT_DONE;
        if (code == OPT_JSON)
            w.json = true;
        else if (code == OPT_PACKETS)
            flags |= WM_ENGINE_PACKETS;
        else if (code == OPT_MAX_RECORD_BYTES ||
                 code == OPT_MAX_ROW_CONNECTIONS) {
            if (!set_limit(code, optarg, &limits))
                return EXIT_USAGE;
        } else
            return usage(stderr), EXIT_USAGE;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "wiremeter analyze: %s\n",
                argc - optind ? "one FILE at a time" : "FILE is required");
        usage(stderr);
        return EXIT_USAGE;
    }
    const wm_engine_file_sink sink = {.ctx = &w, .file = on_file,
                                      .connection = on_connection,
                                      .packet = on_packet};
    wm_error err = {0};
    static char out_buffer[1 << 16];
    setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
    int rc = wm_engine_analyze_file_each(argv[optind], flags, &limits, &sink,
                                         &err);
    free(w.row);
    if (rc != 0) {
        if (w.index || w.connections)
            fputc('\n', stdout); /* what was written stays readable */
        fflush(stdout);
        fprintf(stderr, "wiremeter analyze: %s\n", err.message);
        return EXIT_UNREADABLE;
    }
    return finish(&w);
}
