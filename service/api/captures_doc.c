/* wm_captures_doc: see wm_captures_doc.h.
 *
 * The analysis is collected whole (the engine hands it over piece by
 * piece): without packet rows a connection is a few kilobytes, and the
 * connections of a capture are bounded by the engine's connection table,
 * so that the document is bounded too. A capture that cannot be analysed
 * at all is removed again: the store keeps only captures with an
 * analysis. */
#include "wm_captures_doc.h"

#include <assert.h>
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

static int analyse(const char *path, int64_t id, uint64_t max_packets,
                   char **json_text, wm_error *err)
{
    collect c = {0};
    wm_engine_file_sink sink = {.ctx = &c, .file = on_file,
                                .connection = on_connection};
    wm_engine_file_limits limits = {0};
    int rc = wm_engine_analyze_file_each(path, 0, &limits, &sink, err);
    json_int_t frames = json_integer_value(json_object_get(c.doc, "frames"));
    if (rc == 0 && (uint64_t)frames > max_packets)
        rc = wm_error_param(err, WM_ERR_TOO_LARGE, "body",
                            "the capture has %" JSON_INTEGER_FORMAT
                            " frames; allowed: up to %" PRIu64
                            " (--max-packets)", frames, max_packets);
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
    char path[4096];
    char *text = NULL;
    if (wm_store_capture_path(store, id, path, sizeof path, err) != 0 ||
        analyse(path, id, max_packets, &text, err) != 0 ||
        wm_store_finish_capture(store, id, text, err) != 0) {
        free(text);
        /* No capture is kept without its analysis. */
        wm_error gone;
        wm_store_fail_capture(store, id, wm_error_code(err->kind),
                              err->message, &gone);
        wm_store_delete_capture(store, id, &gone);
        return -1;
    }
    free(text);
    return 0;
}

static json_t *ns_or_null(int64_t ns)
{
    return ns ? json_integer((json_int_t)ns) : json_null();
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
    json_object_set_new(doc, "status",
                        json_string(wm_store_status_name(c->status)));
    json_object_set_new(doc, "label", json_string(c->label));
    json_object_set_new(doc, "size_bytes",
                        json_integer((json_int_t)c->size_bytes));
    json_object_set_new(doc, "created_ns", ns_or_null(c->created_ns));
    json_object_set_new(doc, "created_time", wm_doc_time(c->created_ns));
    json_object_set_new(doc, "finished_ns", ns_or_null(c->finished_ns));
    json_object_set_new(doc, "finished_time", wm_doc_time(c->finished_ns));
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
    if (status == 201) {
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
