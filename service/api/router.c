/* wm_router: see wm_router.h. */
#include "wm_router.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "wm_guard.h"
#include "wm_handlers.h"
#include "wm_openapi.h"

static const wm_route routes[] = {
    {"POST", "/runs", wm_handle_runs_create,
     "Start a run; answers with its result when it ends within wait"},
    {"GET", "/runs", wm_handle_runs_list, "List runs, newest first"},
    {"GET", "/runs/{id}", wm_handle_run_get, "One run: status and result"},
    {"DELETE", "/runs/{id}", wm_handle_run_delete,
     "Remove a run and its pcap"},
    {"GET", "/runs/{id}/packets", wm_handle_run_packets,
     "A page of the run's packet list"},
    {"GET", "/runs/{id}/pcap", wm_handle_run_pcap, "The run's capture file"},
    {"GET", "/runs/{id}/ends", wm_handle_run_ends,
     "A page of a link run's frames as both ends saw them"},
    {"GET", "/runs/{id}/series", wm_handle_run_series,
     "The run over time: TCP_INFO samples and the capture's tables"},
    {"POST", "/captures", wm_handle_captures_create,
     "Upload a pcap or pcapng file; answers with its analysis"},
    {"GET", "/captures", wm_handle_captures_list,
     "List uploaded captures, newest first"},
    {"GET", "/captures/{id}", wm_handle_capture_get,
     "One capture: every TCP connection, the main one marked"},
    {"DELETE", "/captures/{id}", wm_handle_capture_delete,
     "Remove a capture and its file"},
    {"GET", "/captures/{id}/connections/{n}/packets",
     wm_handle_capture_packets,
     "A page of one connection's packet list"},
    {"GET", "/captures/{id}/pcap", wm_handle_capture_pcap,
     "The uploaded capture file"},
    {"POST", "/sweeps", wm_handle_sweeps_create,
     "Run several sizes, repeated; answers the lab's tables"},
    {"GET", "/sweeps", wm_handle_sweeps_list, "List sweeps, newest first"},
    {"GET", "/sweeps/{id}", wm_handle_sweep_get,
     "One sweep and its tables, as JSON, CSV, SVG or printable HTML"},
    {"GET", "/lab", wm_handle_lab,
     "The lab's tables over the newest finished runs, by settings"},
    {"GET", "/presets", wm_handle_presets,
     "Links with plain names and the settings each sets"},
    {"GET", "/healthz", wm_handle_healthz,
     "Store, capture permission, version, uptime"},
    {"GET", "/metrics", wm_handle_metrics, "Prometheus metrics"},
    {"GET", "/openapi.json", wm_handle_openapi, "This API, in OpenAPI 3.1"},
    {"GET", "/vendor/chart.js", wm_handle_chartjs,
     "Chart.js, from the Debian package"},
    {"GET", "/", wm_handle_static, "The chart page"},
    {"GET", "/{path}", wm_handle_static, "A file of the chart page"},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

const wm_route *wm_router_routes(size_t *count)
{
    *count = N_ROUTES;
    return routes;
}

/* name is one of the items of list (separated by ", "). */
static bool listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strstr(p, ", ");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && !strncmp(p, name, len))
            return true;
        p = end ? end + 2 : p + n;
    }
    return false;
}

int wm_router_check_param(int route, const char *name, wm_error *err)
{
    assert(route >= 0 && (size_t)route < N_ROUTES);
    const wm_route *r = &routes[route];
    const char *allowed = wm_openapi_params(r->method, r->pattern);
    if (allowed && listed(allowed, name))
        return 0;
    /* name is short text: wm_request_params and on_query_name check it. */
    if (!allowed || !allowed[0])
        return wm_error_param(err, WM_ERR_INVALID, name,
                              "unknown parameter '%.32s'; %s %s takes no "
                              "parameters", name, r->method, r->pattern);
    return wm_error_param(err, WM_ERR_INVALID, name,
                          "unknown parameter '%.32s'; allowed: %s", name,
                          allowed);
}

bool wm_router_streams(const char *method, size_t method_len,
                       const char *path, size_t path_len)
{
    static const char upload[] = "/captures";
    return method_len == 4 && !memcmp(method, "POST", 4) &&
           path_len == sizeof upload - 1 && !memcmp(path, upload, path_len);
}

void wm_router_print(FILE *out)
{
    for (size_t i = 0; i < N_ROUTES; i++)
        fprintf(out, "%-6s %-20s %s\n", routes[i].method, routes[i].pattern,
                routes[i].summary);
}

/* Matches path against pattern segment by segment. Captures {id} into
 * req->id_text and a final {path} into req->rest (only on success). */
static bool match(const char *pattern, const char *path, wm_http_request *req)
{
    char id[sizeof req->id_text] = "";
    char n[sizeof req->n_text] = "";
    const char *rest = NULL;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        const char *pend = strchrnul(p, '/');
        const char *send = strchrnul(s, '/');
        size_t plen = (size_t)(pend - p), slen = (size_t)(send - s);
        if (plen == 6 && !strncmp(p, "{path}", 6) && !*pend) {
            rest = s;
            s += strlen(s);
            p = pend;
            break;
        }
        if (plen == 4 && !strncmp(p, "{id}", 4)) {
            if (slen == 0 || slen >= sizeof id) /* never cut an id */
                return false;
            snprintf(id, sizeof id, "%.*s", (int)slen, s);
        } else if (plen == 3 && !strncmp(p, "{n}", 3)) {
            if (slen == 0 || slen >= sizeof n)
                return false;
            snprintf(n, sizeof n, "%.*s", (int)slen, s);
        } else if (plen != slen || strncmp(p, s, plen) != 0) {
            return false;
        }
        p = pend, s = send;
    }
    if (*p || *s)
        return false;
    memcpy(req->id_text, id, sizeof id);
    memcpy(req->n_text, n, sizeof n);
    req->rest = rest;
    return true;
}

static bool method_is(const wm_route *route, const char *method)
{
    return !strcmp(route->method, method) ||
           (!strcmp(method, "HEAD") && !strcmp(route->method, "GET"));
}

/* A pattern ending in {path} matches any GET path: it serves the page's
 * files, and must not hide the API's own routes. */
static bool is_catch_all(const wm_route *route)
{
    return strstr(route->pattern, "{path}") != NULL;
}

/* 405 with the methods of the routes matching the path (only the
 * specific ones when any_route is false), or 404 when none does. */
static int method_not_allowed(wm_http_request *req, bool any_route)
{
    char allow[64] = "";
    for (size_t i = 0; i < N_ROUTES; i++) {
        if ((!any_route && is_catch_all(&routes[i])) ||
            !match(routes[i].pattern, req->path, req) ||
            strstr(allow, routes[i].method))
            continue;
        if (allow[0])
            strcat(allow, ", ");
        strcat(allow, routes[i].method);
        if (!strcmp(routes[i].method, "GET"))
            strcat(allow, ", HEAD");
    }
    if (!allow[0])
        return wm_http_send_error(req, 404, "not_found", NULL,
                                  "no route for %.200s", req->path);
    json_t *doc = json_pack(
        "{s:{s:s, s:s}}", "error", "code", "method_not_allowed", "message",
        "this method is not allowed here; see the Allow header");
    struct MHD_Response *resp = wm_http_json_response(doc);
    if (!resp)
        return -1;
    MHD_add_response_header(resp, "Allow", allow);
    return wm_http_queue(req, 405, resp);
}

/* Health and the page stay open with --protect-reads (wm_guard.h). */
static wm_guard_class guard_class(const wm_route *route)
{
    if (route->handler == wm_handle_healthz)
        return WM_GUARD_HEALTH;
    return route->handler == wm_handle_static ||
                   route->handler == wm_handle_chartjs
               ? WM_GUARD_PAGE : WM_GUARD_API;
}

typedef struct query_check {
    int route;
    wm_error err;
    bool refused;
} query_check;

static enum MHD_Result on_query_name(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    (void)kind, (void)value;
    query_check *q = cls;
    char shown[40];
    if (strlen(key) > WM_ROUTER_PARAM_NAME_MAX || wm_text_valid_prefix(key) != strlen(key)) {
        wm_error_quote(key, WM_ROUTER_PARAM_NAME_MAX, shown, sizeof shown);
        wm_error_param(&q->err, WM_ERR_INVALID, shown,
                       "unknown parameter '%s': no parameter has such a "
                       "name", shown);
        q->refused = true;
    } else if (wm_router_check_param(q->route, key, &q->err) != 0) {
        q->refused = true;
    }
    return q->refused ? MHD_NO : MHD_YES;
}

/* Every route refuses a query parameter it does not take, GET routes
 * too: a misspelt ?limt=5 silently ignored would answer something else
 * than what was asked. Checked before the handler, so that routes that
 * read no parameter at all refuse them the same way. */
static int call(wm_http_request *req, size_t i)
{
    req->route = (int)i;
    int ok = wm_guard_request(req, guard_class(&routes[i]));
    if (ok <= 0)
        return ok;
    query_check q = {.route = (int)i};
    wm_error_clear(&q.err);
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_query_name,
                              &q);
    if (q.refused)
        return wm_http_send_error(req, 400, wm_error_code(q.err.kind),
                                  q.err.parameter, "%s", q.err.message);
    return routes[i].handler(req);
}

/* An encoded NUL or slash in the raw target: libmicrohttpd's decoded
 * path would end at the NUL (/runs/1%00 read as /runs/1) or gain a
 * segment (/runs/1%2fpcap read as /runs/1/pcap). No route has either. */
static bool raw_path_encodes_nul_or_slash(const char *raw)
{
    for (const char *p = raw; *p && *p != '?'; p++)
        if (p[0] == '%' && p[1] && p[2] &&
            ((p[1] == '0' && p[2] == '0') ||
             (p[1] == '2' && (p[2] == 'f' || p[2] == 'F'))))
            return true;
    return false;
}

/* Specific routes first: when one matches the path but not the method,
 * the answer is 405 (GET /sweeps: Allow POST), not the catch-all's "no
 * such file". Only then the catch-all. */
int wm_router_dispatch(wm_http_request *req)
{
    bool path_known = false;
    if (raw_path_encodes_nul_or_slash(req->raw_uri))
        return wm_http_send_error(req, 400, "invalid_path", "path",
                                  "the path holds an encoded NUL (%%00) or "
                                  "slash (%%2F), which no route has");
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (is_catch_all(&routes[i]) ||
            !match(routes[i].pattern, req->path, req))
            continue;
        if (method_is(&routes[i], req->method))
            return call(req, i);
        path_known = true;
    }
    if (path_known)
        return method_not_allowed(req, false);
    for (size_t i = 0; i < N_ROUTES; i++)
        if (is_catch_all(&routes[i]) && method_is(&routes[i], req->method) &&
            match(routes[i].pattern, req->path, req))
            return call(req, i);
    return method_not_allowed(req, true);
}
