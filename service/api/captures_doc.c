/* wm_captures_doc: see wm_captures_doc.h.
 *
 * The analysis is collected whole (the engine hands it over piece by
 * piece): without packet rows a connection is a few kilobytes, and the
 * connections of a capture are bounded by the engine's connection table,
 * so that the document is bounded too. A capture that cannot be analysed
 * at all is stored failed with why, and its file removed. */
#include "wm_captures_doc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_engine.h"
#include "wm_public_text.h"
#include "wm_runs_doc.h"

typedef struct collect {
    json_t *doc;   /* the file's fields, then "connections" */
    json_t *conns;
    FILE *rows;    /* every packet row, one JSON line each, in order */
    FILE *index;   /* the byte offset of each row, 8 bytes little-endian */
    uint64_t rows_bytes;
} collect;

static int on_file(void *ctx, const json_t *doc, size_t connections,
                   wm_error *err)
{
    (void)connections;
    collect *c = ctx;
    c->doc = json_deep_copy(doc);
    c->conns = json_array();
    if (!c->doc || !c->conns)
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    return 0;
}

static int on_packet(void *ctx, const json_t *row, wm_error *err)
{
    collect *c = ctx;
    char *line = json_dumps(row, JSON_COMPACT);
    if (!line)
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    unsigned char at[8];
    for (int i = 0; i < 8; i++)
        at[i] = (unsigned char)(c->rows_bytes >> (8 * i));
    size_t len = strlen(line);
    int rc = fwrite(at, 1, 8, c->index) == 8 &&
                     fwrite(line, 1, len, c->rows) == len &&
                     fputc('\n', c->rows) != EOF
                 ? 0 : wm_error_set(err, WM_ERR_IO,
                                    "storing the packet rows: %s",
                                    strerror(errno));
    c->rows_bytes += len + 1;
    free(line);
    return rc;
}

static int on_connection(void *ctx, const json_t *conn, size_t packets,
                         wm_error *err)
{
    (void)packets;
    collect *c = ctx;
    assert(c->conns); /* file() comes first */
    if (json_array_append_new(c->conns, json_deep_copy(conn)) != 0)
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    return 0;
}

/* The main transfer is the connection with the most payload; the first
 * of equals, so that the mark does not depend on anything but the file. */
static void mark_main(json_t *conns)
{
    size_t best = 0, i;
    json_int_t most = -1;
    json_t *conn;
    json_array_foreach(conns, i, conn) {
        json_int_t bytes = json_integer_value(json_object_get(
            json_object_get(conn, "totals"), "payload_bytes"));
        if (bytes > most)
            most = bytes, best = i;
    }
    json_array_foreach(conns, i, conn)
        json_object_set_new(conn, "main", json_boolean(i == best));
}

/* The reader names the file it read in read_error's reason; a capture is
 * named by its stored name, never by where the data directory is. */
static void name_in_reason(json_t *doc, const char *path, const char *name)
{
    json_t *stop = json_object_get(doc, "read_error");
    const char *reason = json_string_value(json_object_get(stop, "reason"));
    size_t n = strlen(path);
    if (!reason || strncmp(reason, path, n))
        return;
    char *text = NULL;
    if (asprintf(&text, "%s%s", name, reason + n) < 0)
        return;
    json_object_set_new(stop, "reason", json_string(text));
    free(text);
}

static int analyse(const char *path, const char *rows_path,
                   const char *index_path, int64_t id, uint64_t max_packets,
                   char **json_text, wm_error *err)
{
    collect c = {.rows = fopen(rows_path, "wbe"),
                 .index = fopen(index_path, "wbe")};
    wm_engine_file_sink sink = {.ctx = &c, .file = on_file,
                                .connection = on_connection,
                                .packet = on_packet};
    /* The budget stops the read at the frame past it: a capture of a
     * billion frames costs what max_packets + 1 frames cost. */
    wm_engine_file_limits limits = {.max_frames = max_packets};
    int rc = c.rows && c.index
                 ? wm_engine_analyze_file_each(path, WM_ENGINE_PACKETS,
                                               &limits, &sink, err)
                 : wm_error_set(err, WM_ERR_IO, "storing the packet rows: %s",
                                strerror(errno));
    if (c.rows && fclose(c.rows) != 0 && rc == 0)
        rc = wm_error_set(err, WM_ERR_IO, "storing the packet rows: %s",
                          strerror(errno));
    if (c.index && fclose(c.index) != 0 && rc == 0)
        rc = wm_error_set(err, WM_ERR_IO, "storing the packet rows: %s",
                          strerror(errno));
    assert(rc != 0 || json_integer_value(json_object_get(c.doc, "frames")) <=
                          (json_int_t)max_packets);
    if (rc != 0 && err->kind == WM_ERR_TOO_LARGE)
        rc = wm_error_param(err, WM_ERR_TOO_LARGE, "body",
                            "the capture has more than %" PRIu64 " frames "
                            "(reading stopped there); allowed: up to %" PRIu64
                            " (--max-packets)", max_packets, max_packets);
    if (rc == 0) {
        char name[48];
        snprintf(name, sizeof name, "%" PRId64 ".pcap", id);
        json_object_set_new(c.doc, "file", json_string(name));
        name_in_reason(c.doc, path, name);
        mark_main(c.conns);
        json_object_set(c.doc, "connections", c.conns);
        *json_text = json_dumps(c.doc, JSON_COMPACT);
        if (!*json_text)
            rc = wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    }
    json_decref(c.doc);
    json_decref(c.conns);
    return rc;
}

int wm_captures_analyse(wm_store *store, int64_t id, uint64_t max_packets,
                        wm_error *err)
{
    char path[4096], rows[4096], index[4096];
    char *text = NULL;
    if (wm_store_capture_path(store, id, path, sizeof path, err) != 0 ||
        wm_store_capture_file(store, id, ".rows", rows, sizeof rows,
                              err) != 0 ||
        wm_store_capture_file(store, id, ".index", index, sizeof index,
                              err) != 0 ||
        analyse(path, rows, index, id, max_packets, &text, err) != 0 ||
        wm_store_finish_capture(store, id, text, err) != 0) {
        free(text);
        /* The row says why; POST removes it when it can still answer
         * with the error itself. When even this cannot be stored, the
         * row stays running and the next start analyses it again. */
        wm_error local;
        if (wm_store_fail_capture(store, id, wm_error_code(err->kind),
                                  err->message, &local) != 0)
            fprintf(stderr, "wiremeter: capture %" PRId64 ": storing its "
                    "failure: %s\n", id, local.message);
        return -1;
    }
    free(text);
    return 0;
}

static json_t *ns_or_null(int64_t ns)
{
    return ns ? json_integer((json_int_t)ns) : json_null();
}

/* The store's "running" is, for a capture, its analysis under way: the
 * word the page shows. */
static const char *status_name(wm_store_status status)
{
    return status == WM_STORE_RUNNING ? "analysing"
                                      : wm_store_status_name(status);
}

/* The capture document; with_analysis false for lists. */
static json_t *capture_doc(const wm_store_capture *c, bool with_analysis)
{
    char self[48], pcap[64];
    snprintf(self, sizeof self, "/captures/%" PRId64, c->id);
    snprintf(pcap, sizeof pcap, "/captures/%" PRId64 "/pcap", c->id);
    json_t *doc = json_object();
    if (!doc)
        return NULL;
    json_object_set_new(doc, "id", json_integer((json_int_t)c->id));
    json_object_set_new(doc, "status", json_string(status_name(c->status)));
    json_object_set_new(doc, "label", json_string(c->label));
    json_object_set_new(doc, "size_bytes",
                        json_integer((json_int_t)c->size_bytes));
    json_object_set_new(doc, "created_ns", ns_or_null(c->created_ns));
    json_object_set_new(doc, "created_time", wm_doc_time(c->created_ns));
    json_object_set_new(doc, "finished_ns", ns_or_null(c->finished_ns));
    json_object_set_new(doc, "finished_time", wm_doc_time(c->finished_ns));
    /* The store keeps the engine's message, paths and all, for the
     * operator; a client sees it with the paths replaced. */
    char message[sizeof c->error_message];
    json_object_set_new(
        doc, "error",
        c->status == WM_STORE_FAILED
            ? json_pack("{s:s, s:s}", "code", c->error_code, "message",
                        wm_public_message(c->error_message, message,
                                          sizeof message))
            : json_null());
    if (with_analysis) {
        json_t *analysis = c->analysis_json
                               ? json_loads(c->analysis_json, 0, NULL)
                               : NULL;
        json_object_set_new(doc, "analysis",
                            analysis ? analysis : json_null());
    }
    json_t *links = json_pack("{ss ss}", "self", self, "pcap", pcap);
    json_object_set_new(doc, "links", links ? links : json_null());
    return doc;
}

int wm_captures_respond(wm_http_request *req, int64_t id, unsigned status)
{
    wm_store_capture c;
    wm_error err;
    if (wm_store_get_capture(req->app->store, id, &c, &err) != 0)
        return wm_api_send_error(req, &err);
    json_t *doc = capture_doc(&c, true);
    wm_store_capture_free(&c);
    if (!doc)
        return -1;
    struct MHD_Response *resp = wm_http_json_response(doc);
    if (!resp)
        return -1;
    if (status == 201 || status == 202) {
        char location[48];
        snprintf(location, sizeof location, "/captures/%" PRId64, id);
        MHD_add_response_header(resp, "Location", location);
    }
    return wm_http_queue(req, status, resp);
}

json_t *wm_captures_list_doc(const wm_store_capture_list *list,
                             uint64_t limit)
{
    json_t *items = json_array();
    if (!items)
        return NULL;
    for (size_t i = 0; i < list->count; i++)
        json_array_append_new(items, capture_doc(&list->captures[i], false));
    json_t *next = json_null();
    if (list->next_before) {
        char text[80];
        snprintf(text, sizeof text, "/captures?limit=%" PRIu64
                 "&before=%" PRId64, limit, list->next_before);
        next = json_string(text);
    }
    return json_pack("{so so so}", "captures", items, "next_before",
                     list->next_before ? json_integer(list->next_before)
                                       : json_null(),
                     "next", next);
}

/* Where connection n's rows begin among the capture's rows and how many it
 * has: the rows come connection after connection, each connection's
 * totals.packets of them when its rows were kept, none otherwise. */
static int rows_span(const json_t *analysis, size_t n, uint64_t *first,
                     uint64_t *count)
{
    const json_t *conns = json_object_get(analysis, "connections");
    if (n >= json_array_size(conns))
        return -1;
    *first = 0;
    for (size_t i = 0; i <= n; i++) {
        const json_t *c = json_array_get(conns, i);
        uint64_t rows = json_is_true(json_object_get(c, "rows_kept"))
                            ? (uint64_t)json_integer_value(json_object_get(
                                  json_object_get(c, "totals"), "packets"))
                            : 0;
        if (i < n)
            *first += rows;
        else
            *count = rows;
    }
    return 0;
}

static int read_at(int fd, void *buf, size_t len, uint64_t at)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, (char *)buf + done, len - done,
                          (off_t)(at + done));
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static uint64_t index_entry(const unsigned char *at)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | at[i];
    return v;
}

/* Rows [first, first + count) of the capture's rows: the byte range the
 * index gives, read at once, one JSON document a line. */
static json_t *read_rows(const char *rows_path, const char *index_path,
                         uint64_t first, uint64_t count, wm_error *err)
{
    json_t *rows = json_array();
    int rfd = open(rows_path, O_RDONLY | O_CLOEXEC);
    int ifd = open(index_path, O_RDONLY | O_CLOEXEC);
    struct stat rst, ist;
    unsigned char *at = malloc(8 * (count + 1));
    char *text = NULL;
    int rc = rows && at && rfd >= 0 && ifd >= 0 && fstat(rfd, &rst) == 0 &&
                     fstat(ifd, &ist) == 0
                 ? 0 : -1;
    uint64_t entries = rc == 0 ? (uint64_t)ist.st_size / 8 : 0;
    if (rc == 0 && first + count > entries)
        rc = -1;
    /* The end of the last row: the next row's start, or the file's end. */
    bool last = first + count == entries;
    if (rc == 0 && count > 0)
        rc = read_at(ifd, at, 8 * (count + !last), 8 * first);
    uint64_t begin = count ? index_entry(at) : 0;
    uint64_t end = count == 0 ? 0
                   : last     ? (uint64_t)rst.st_size
                              : index_entry(at + 8 * count);
    if (rc == 0 && (end < begin || end > (uint64_t)rst.st_size))
        rc = -1;
    if (rc == 0 && count > 0 && !(text = malloc(end - begin + 1)))
        rc = -1;
    if (rc == 0 && count > 0)
        rc = read_at(rfd, text, end - begin, begin);
    for (uint64_t i = 0; rc == 0 && i < count; i++) {
        uint64_t from = index_entry(at + 8 * i) - begin;
        uint64_t to = i + 1 < count ? index_entry(at + 8 * (i + 1)) - begin
                                    : end - begin;
        json_t *row = to > from && to <= end - begin
                          ? json_loadb(text + from, to - from, 0, NULL)
                          : NULL;
        rc = row ? json_array_append_new(rows, row) : -1;
    }
    free(text);
    free(at);
    if (rfd >= 0)
        close(rfd);
    if (ifd >= 0)
        close(ifd);
    if (rc != 0) {
        json_decref(rows);
        wm_error_set(err, WM_ERR_IO, "the capture's packet rows cannot be "
                     "read");
        return NULL;
    }
    return rows;
}

int wm_captures_packets_respond(wm_http_request *req, int64_t id, size_t n,
                                uint64_t offset, uint64_t limit)
{
    wm_store_capture c;
    wm_error err;
    wm_error_clear(&err);
    if (wm_store_get_capture(req->app->store, id, &c, &err) != 0)
        return wm_api_send_error(req, &err);
    json_t *analysis = c.analysis_json ? json_loads(c.analysis_json, 0, NULL)
                                       : NULL;
    bool running = c.status == WM_STORE_RUNNING;
    wm_store_capture_free(&c);
    uint64_t first = 0, total = 0;
    if (!analysis) {
        return running ? wm_http_send_error(req, 409, "not_ready", "id",
                                            "capture %" PRId64 " is being "
                                            "analysed", id)
                       : wm_http_send_error(req, 404, "not_found", "id",
                                            "capture %" PRId64 " has no "
                                            "analysis", id);
    }
    size_t conns = json_array_size(json_object_get(analysis, "connections"));
    if (rows_span(analysis, n, &first, &total) != 0) {
        json_decref(analysis);
        return wm_http_send_error(req, 404, "not_found", "n",
                                  "capture %" PRId64 " has %zu TCP "
                                  "connection(s); n is their index, 0 to "
                                  "%zu", id, conns, conns ? conns - 1 : 0);
    }
    json_decref(analysis);
    uint64_t count = offset < total ? total - offset : 0;
    if (count > limit)
        count = limit;
    char rows[4096], index[4096];
    json_t *packets = NULL;
    if (wm_store_capture_file(req->app->store, id, ".rows", rows, sizeof rows,
                              &err) == 0 &&
        wm_store_capture_file(req->app->store, id, ".index", index,
                              sizeof index, &err) == 0)
        packets = read_rows(rows, index, first + offset, count, &err);
    if (!packets)
        return wm_api_send_error(req, &err);
    json_t *next = json_null();
    if (offset + limit < total) {
        char url[160];
        snprintf(url, sizeof url,
                 "/captures/%" PRId64 "/connections/%zu/packets?offset=%"
                 PRIu64 "&limit=%" PRIu64, id, n, offset + limit, limit);
        next = json_string(url);
    }
    json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "capture",
                            (json_int_t)id, "connection", (json_int_t)n,
                            "offset", (json_int_t)offset, "limit",
                            (json_int_t)limit, "total", (json_int_t)total,
                            "packets", packets, "next", next);
    return doc ? wm_http_send_json(req, 200, doc) : -1;
}
