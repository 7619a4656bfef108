/* Operations: /healthz, /metrics and /openapi.json.
 *
 * The OpenAPI document is made from its template and the run parameter
 * table (wm_openapi.h) inside the binary, so that an installed daemon
 * serves the same document the tests compare with the route table, with
 * no file to find at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_handlers.h"
#include "wm_clock.h"
#include "wm_jobs.h"
#include "wm_metrics.h"
#include "wm_openapi.h"
#include "wm_path.h"
#include "wm_public_text.h"
#include "wm_store.h"

int wm_handle_openapi(wm_http_request *req)
{
    size_t len = 0;
    const char *doc = wm_openapi_document(&len);
    if (!doc)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "the OpenAPI document could not be built");
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)doc, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return -1;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    return wm_http_queue(req, 200, resp);
}

/* The store's part of /healthz: whether it takes writes, and why not
 * (no paths). A store that cannot take new runs (read-only, a write that
 * failed, below the free-space reserve) makes the daemon "degraded", 503,
 * so that a health check sees a full or read-only disk. */
static bool add_store_health(wm_app *app, json_t *doc)
{
    wm_store_health h;
    wm_store_health_get(app->store, &h);
    json_t *store = json_object_get(doc, "store");
    uint64_t free_bytes = h.free_bytes > INT64_MAX ? INT64_MAX : h.free_bytes;
    if (store) {
        json_object_set_new(store, "writable", json_boolean(h.writable));
        json_object_set_new(store, "read_only", json_boolean(h.read_only));
        json_object_set_new(store, "reason", h.reason[0]
                                                 ? json_string(h.reason)
                                                 : json_null());
        json_object_set_new(store, "free_bytes",
                            json_integer((json_int_t)free_bytes));
        json_object_set_new(store, "min_free_bytes",
                            json_integer((json_int_t)h.min_free_bytes));
        json_object_set_new(store, "unsaved",
                            json_integer((json_int_t)h.unsaved));
    }
    return !h.writable || h.kind != WM_ERR_NONE;
}

/* One path feature of /healthz: available, or why not. */
static json_t *feature_json(bool available, const char *why)
{
    char reason[sizeof ((wm_path_caps *)0)->link_why];
    wm_public_message(why, reason, sizeof reason);
    return json_pack("{s:b, s:s?}", "available", available, "reason",
                     available ? NULL : reason);
}

/* What paths this host can run (wm_path_capabilities, probed once), and
 * with what right (wm_userns.h). */
static json_t *capabilities_json(const wm_app *app)
{
    const wm_path_caps *c = wm_path_capabilities();
    char why[sizeof app->userns.why];
    wm_public_message(app->userns.why, why, sizeof why);
    return json_pack("{s:o, s:o, s:o, s:{s:s, s:s}}", "link",
                     feature_json(c->link, c->link_why), "loss",
                     feature_json(c->loss, c->loss_why), "netem",
                     feature_json(c->netem, c->netem_why), "rights", "mode",
                     wm_userns_mode_name(app->userns.mode), "reason", why);
}

int wm_handle_healthz(wm_http_request *req)
{
    wm_app *app = req->app;
    bool store_ok = wm_store_ping(app->store);
    wm_jobs_metrics j;
    wm_jobs_metrics_get(app->jobs, &j);
    bool draining = atomic_load(&app->closed);
    int64_t uptime_ns = wm_clock_wall_ns() - app->started_ns;
    char reason[sizeof app->capture_reason]; /* open to all: no paths */
    wm_public_message(app->capture_reason, reason, sizeof reason);
    json_t *doc = json_pack(
        "{s:s, s:s, s:f, s:b, s:{s:b, s:i}, s:{s:b, s:s, s:s?}, "
        "s:{s:i, s:i, s:i, s:i}}",
        "status", !store_ok ? "store_unavailable" : draining ? "draining" : "ok",
        "version", WM_VERSION, "uptime_s", (double)uptime_ns / 1e9,
        "draining", draining, "store", "ok", store_ok, "schema",
        store_ok ? wm_store_schema_version(app->store) : 0, "capture",
        "permitted", app->capture_permitted, "interface",
        app->config->interface, "reason",
        app->capture_permitted ? NULL : reason, "runs",
        "workers", (int)j.workers, "running", (int)j.running, "queued",
        (int)j.queue_depth, "queue_max", (int)j.queue_max);
    if (doc)
        json_object_set_new(doc, "capabilities", capabilities_json(app));
    bool degraded = doc && add_store_health(app, doc);
    if (degraded && store_ok && !draining)
        json_object_set_new(doc, "status", json_string("degraded"));
    return wm_http_send_json(req, store_ok && !degraded ? 200 : 503, doc);
}

int wm_handle_metrics(wm_http_request *req)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    wm_metrics_render(req->app->metrics, req->app, out);
    if (fclose(out) != 0) {
        free(text);
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(size, text, free);
    if (!resp) {
        free(text);
        return -1;
    }
    MHD_add_response_header(resp, "Content-Type",
                            "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return wm_http_queue(req, 200, resp);
}
