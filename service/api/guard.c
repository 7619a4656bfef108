/* wm_guard: see wm_guard.h. Messages quote the headers they refuse, made
 * safe (wm_error_quote): they are the client's bytes. */
#include "wm_guard.h"

#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "wm_handlers.h"

static bool is_read(const wm_http_request *req)
{
    return !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
}

/* No Host at all is HTTP/1.0 (the HTTP layer refuses an HTTP/1.1
 * request without one); a browser always sends it. */
static int check_host(wm_http_request *req)
{
    const wm_app *app = req->app;
    const char *host = wm_http_header(req, "Host");
    if (!host || wm_config_host_allowed(app->config, atomic_load(&app->port),
                                        host, 80))
        return 1;
    char shown[96];
    return wm_http_send_error(req, 421, "misdirected_request", "Host",
                              "this server does not answer to the host '%s'; "
                              "it serves localhost, 127.0.0.1, [::1] and its "
                              "--listen host on its port, and the names of "
                              "--allowed-hosts (WIREMETER_ALLOWED_HOSTS)",
                              wm_error_quote(host, 64, shown, sizeof shown))
                   == 0 ? 0 : -1;
}

/* "http://host[:port]" or "https://host[:port]" naming a served host. */
static bool origin_allowed(const wm_app *app, const char *origin)
{
    unsigned port = atomic_load(&app->port);
    if (!strncasecmp(origin, "http://", 7))
        return wm_config_host_allowed(app->config, port, origin + 7, 80);
    if (!strncasecmp(origin, "https://", 8))
        return wm_config_host_allowed(app->config, port, origin + 8, 443);
    return false; /* "null" (a sandboxed frame, a file) and the rest */
}

static int check_origin(wm_http_request *req)
{
    const char *origin = wm_http_header(req, "Origin");
    if (is_read(req) || !origin || origin_allowed(req->app, origin))
        return 1;
    char shown[96];
    return wm_http_send_error(req, 403, "forbidden_origin", "Origin",
                              "a page of another site ('%s') may not %s "
                              "here; use the page this server serves, or a "
                              "client that is not a browser",
                              wm_error_quote(origin, 64, shown, sizeof shown),
                              !strcmp(req->method, "DELETE") ? "delete runs"
                                                             : "start runs")
                   == 0 ? 0 : -1;
}

static int check_token(wm_http_request *req, bool public_read)
{
    const wm_config *cfg = req->app->config;
    const char *token = cfg->token;
    bool needed = token[0] && (!is_read(req) ||
                               (cfg->protect_reads && !public_read));
    if (!needed)
        return 1;
    const char *auth = wm_http_header(req, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
        json_t *doc = json_pack(
            "{s:{s:s, s:s, s:s}}", "error", "code", "unauthorized",
            "message", cfg->protect_reads
                           ? "this server needs `Authorization: Bearer "
                             "<token>` for everything but /healthz and the "
                             "page"
                           : "this server needs `Authorization: Bearer "
                             "<token>` for POST and DELETE",
            "parameter", "Authorization");
        struct MHD_Response *resp = wm_http_json_response(doc);
        if (!resp)
            return -1;
        MHD_add_response_header(resp, "WWW-Authenticate",
                                "Bearer realm=\"wiremeter\"");
        return wm_http_queue(req, 401, resp) == 0 ? 0 : -1;
    }
    if (!wm_http_secret_equal(auth + 7, token))
        return wm_http_send_error(req, 403, "forbidden", "Authorization",
                                  "the bearer token is not the one this "
                                  "server was given") == 0 ? 0 : -1;
    return 1;
}

int wm_guard_request(wm_http_request *req, wm_guard_class cls)
{
    int ok = cls == WM_GUARD_HEALTH ? 1 : check_host(req);
    if (ok == 1)
        ok = check_origin(req);
    if (ok == 1)
        ok = check_token(req, cls != WM_GUARD_API);
    return ok;
}
