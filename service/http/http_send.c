/* wm_http: the responses — JSON documents, errors, retries — and every
 * response's way out, wm_http_queue, which adds the security headers.
 * Apart from the daemon (http.c) since they need nothing of its insides:
 * only the request and libmicrohttpd's response objects. */
#include "wm_http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

const char *const wm_http_security_headers[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Content-Security-Policy",
     "default-src 'self'; img-src 'self' data: blob:; "
     "style-src 'self' 'unsafe-inline'; object-src 'none'; "
     "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
};
const size_t wm_http_security_header_count =
    sizeof wm_http_security_headers / sizeof *wm_http_security_headers;

int wm_http_queue(wm_http_request *req, unsigned status,
                  struct MHD_Response *resp)
{
    if (!resp)
        return -1;
    for (size_t i = 0; i < wm_http_security_header_count; i++)
        MHD_add_response_header(resp, wm_http_security_headers[i][0],
                                wm_http_security_headers[i][1]);
    enum MHD_Result rc = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    if (rc != MHD_YES)
        return -1;
    req->status = status;
    /* Counted now, not when libmicrohttpd has sent it: a client that reads
     * /metrics right after an answer then finds that answer counted. */
    if (req->count && !req->counted) {
        req->counted = true;
        req->count(req->count_ctx, req->route, status);
    }
    return 0;
}

struct MHD_Response *wm_http_json_text_response(char *text, size_t len)
{
    struct MHD_Response *resp =
        text ? MHD_create_response_from_buffer_with_free_callback(len, text,
                                                                  free)
             : NULL;
    if (!resp) {
        free(text);
        return NULL;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return resp;
}

struct MHD_Response *wm_http_json_response(json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII)
                     : NULL;
    json_decref(doc);
    return wm_http_json_text_response(text, text ? strlen(text) : 0);
}

int wm_http_send_json(wm_http_request *req, unsigned status, json_t *doc)
{
    struct MHD_Response *resp = wm_http_json_response(doc);
    if (!resp)
        return wm_http_queue(req, 500,
                             MHD_create_response_from_buffer(
                                 0, (void *)"", MHD_RESPMEM_PERSISTENT));
    return wm_http_queue(req, status, resp);
}

int wm_http_send_error(wm_http_request *req, unsigned status,
                       const char *code, const char *parameter,
                       const char *fmt, ...)
{
    char text[600], message[800], param[160];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n
                                                      : sizeof text - 1;
    /* A message quotes what the client sent: made valid UTF-8 here too,
     * or jansson would refuse it and the answer would be an empty 500. */
    wm_http_clean_message(message, sizeof message, text, len,
                          n >= (int)sizeof text);
    if (parameter)
        wm_http_quote(param, sizeof param, parameter, strlen(parameter));
    json_t *doc = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", code,
                            "message", message, "parameter",
                            parameter && parameter[0] ? param : NULL);
    return wm_http_send_json(req, status, doc);
}

int wm_http_send_retry(wm_http_request *req, bool closing,
                       const char *message)
{
    json_t *doc = json_pack("{s:{s:s, s:s}}", "error", "code",
                            closing ? "shutting_down" : "busy", "message",
                            closing ? "the server is shutting down; try "
                                      "again once it is back"
                                    : message);
    struct MHD_Response *resp = wm_http_json_response(doc);
    if (!resp)
        return -1;
    MHD_add_response_header(resp, "Retry-After", closing ? "5" : "1");
    return wm_http_queue(req, closing ? 503 : 429, resp);
}

static unsigned status_of(wm_error_kind kind)
{
    switch (kind) {
    case WM_ERR_INVALID: return 400;
    case WM_ERR_TOO_LARGE: return 413;
    case WM_ERR_NOT_FOUND: return 404;
    case WM_ERR_BUSY: return 429;
    case WM_ERR_PERMISSION: return 503;
    case WM_ERR_READ_ONLY: return 503;
    case WM_ERR_NO_SPACE: return 507;
    default: return 500;
    }
}

int wm_http_send_wm_error(wm_http_request *req, const wm_error *err)
{
    unsigned status = status_of(err->kind);
    char message[sizeof err->message + 256], param[160];
    size_t len = strlen(err->message);
    wm_http_clean_message(message, sizeof message, err->message, len,
                          len + 1 >= sizeof err->message);
    wm_http_quote(param, sizeof param, err->parameter,
                  strlen(err->parameter));
    json_t *doc = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code",
                            wm_error_code(err->kind), "message", message,
                            "parameter", err->parameter[0] ? param : NULL);
    struct MHD_Response *resp = wm_http_json_response(doc);
    if (!resp)
        return -1;
    if (status == 429 || status == 503)
        MHD_add_response_header(resp, "Retry-After", "1");
    return wm_http_queue(req, status, resp);
}

const char *wm_http_header(const wm_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool wm_http_secret_equal(const char *given, const char *expected)
{
    size_t given_len = strlen(given), expected_len = strlen(expected);
    unsigned char diff = given_len != expected_len;
    /* Always walk the expected secret's length, so the time depends on
     * neither where the first difference is nor the given length. */
    for (size_t i = 0; i < expected_len; i++) {
        unsigned char g = i < given_len ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}
