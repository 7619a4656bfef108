/* Request parameters for the handlers: the query string, then a JSON
 * object or a form body, as one stream of name=value texts, so that
 * `?size=1MB`, `{"size": "1MB"}`, `{"size": 1000000}` and `size=1MB` in a
 * form all reach wm_params_set the same way. A name given twice (in the
 * query and again in the body, say) is refused: which one would win is
 * not something a caller should have to guess. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wm_handlers.h"
#include "wm_router.h"

#define MAX_PARAMS 64

typedef struct param_walk {
    int route;                /* the route table's index: its names */
    wm_param_fn fn;
    void *ctx;
    wm_error *err;
    char *seen[MAX_PARAMS];
    size_t seen_count;
    int rc;
} param_walk;

/* No route takes a long name or one that is not text; refused first, so
 * that every handler may quote a name whole, knowing it is short text. */
static int check_name(const char *name, wm_error *err)
{
    if (strlen(name) <= WM_ROUTER_PARAM_NAME_MAX &&
        wm_text_valid_prefix(name) == strlen(name))
        return 0;
    char shown[40];
    wm_error_quote(name, WM_ROUTER_PARAM_NAME_MAX, shown, sizeof shown);
    return wm_error_param(err, WM_ERR_INVALID, shown,
                          "unknown parameter '%s': no parameter has such a "
                          "name", shown);
}

static int deliver(param_walk *w, const char *name, const char *value)
{
    if (check_name(name, w->err) != 0 ||
        wm_router_check_param(w->route, name, w->err) != 0)
        return -1;
    for (size_t i = 0; i < w->seen_count; i++)
        if (!strcmp(w->seen[i], name))
            return wm_error_param(w->err, WM_ERR_INVALID, name,
                                  "%.32s is given more than once; give each "
                                  "parameter once", name);
    if (w->seen_count == MAX_PARAMS)
        return wm_error_set(w->err, WM_ERR_INVALID,
                            "more than %d parameters", MAX_PARAMS);
    w->seen[w->seen_count] = strdup(name);
    if (!w->seen[w->seen_count])
        return wm_error_set(w->err, WM_ERR_INTERNAL, "out of memory");
    w->seen_count++;
    return w->fn(w->ctx, name, value, w->err);
}

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value)
{
    (void)kind;
    param_walk *w = cls;
    w->rc = deliver(w, key, value ? value : "");
    return w->rc == 0 ? MHD_YES : MHD_NO;
}

/* A JSON scalar as the text a query string would carry: a string as it
 * is, whatever its length (never cut: the parameter judges it whole), a
 * number or boolean written into buf. */
static const char *json_text(const char *name, const json_t *value,
                             char *buf, size_t len, wm_error *err)
{
    if (json_is_string(value))
        return json_string_value(value);
    if (json_is_integer(value)) {
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return buf;
    }
    if (json_is_real(value)) {
        snprintf(buf, len, "%.17g", json_real_value(value));
        return buf;
    }
    if (json_is_boolean(value)) {
        snprintf(buf, len, "%s", json_is_true(value) ? "true" : "false");
        return buf;
    }
    if (check_name(name, err) == 0)
        wm_error_param(err, WM_ERR_INVALID, name,
                       "%s: a JSON string, number or boolean is needed",
                       name);
    return NULL;
}

static int walk_json(param_walk *w, const wm_http_request *req)
{
    json_error_t jerr;
    json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
                             &jerr);
    char why[sizeof jerr.text + 64];
    if (!doc) /* jansson's text may quote the body: made safe */
        return wm_error_param(w->err, WM_ERR_INVALID, "body",
                              "the body is not valid JSON: %s (line %d, "
                              "column %d)",
                              wm_error_quote(jerr.text, 200, why, sizeof why),
                              jerr.line, jerr.column);
    int rc = 0;
    if (!json_is_object(doc))
        rc = wm_error_param(w->err, WM_ERR_INVALID, "body",
                            "the body must be a JSON object of parameters");
    const char *key;
    json_t *value;
    char number[64]; /* %.17g and JSON_INTEGER_FORMAT fit with room */
    json_object_foreach(doc, key, value) {
        if (rc != 0)
            break;
        const char *text = json_text(key, value, number, sizeof number,
                                     w->err);
        rc = text ? deliver(w, key, text) : -1;
    }
    json_decref(doc);
    return rc;
}

static int hex_digit(char c)
{
    return isdigit((unsigned char)c) ? c - '0'
           : isxdigit((unsigned char)c) ? (tolower((unsigned char)c) - 'a' + 10)
                                        : -1;
}

/* In place: '+' is a space, %XX a byte. NUL bytes are refused. */
static int form_decode(char *s, wm_error *err)
{
    char *out = s;
    for (; *s; s++) {
        if (*s == '+') {
            *out++ = ' ';
        } else if (*s == '%') {
            int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);
            if (lo < 0 || (hi == 0 && lo == 0))
                return wm_error_param(err, WM_ERR_INVALID, "body",
                                      "the form body has a bad %% escape");
            *out++ = (char)(hi * 16 + lo);
            s += 2;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
    return 0;
}

static int walk_form(param_walk *w, const wm_http_request *req)
{
    if (memchr(req->body, '\0', req->body_len))
        return wm_error_param(w->err, WM_ERR_INVALID, "body",
                              "the form body holds a NUL byte");
    char *copy = strdup(req->body);
    if (!copy)
        return wm_error_set(w->err, WM_ERR_INTERNAL, "out of memory");
    int rc = 0;
    char *save = NULL;
    for (char *pair = strtok_r(copy, "&", &save); pair && rc == 0;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        char *value = eq ? eq + 1 : pair + strlen(pair);
        if (eq)
            *eq = '\0';
        rc = form_decode(pair, w->err);
        if (rc == 0)
            rc = form_decode(value, w->err);
        if (rc == 0)
            rc = deliver(w, pair, value);
    }
    free(copy);
    return rc;
}

static bool media_type_is(const char *header, const char *type)
{
    size_t len = strlen(type);
    return !strncasecmp(header, type, len) &&
           (header[len] == '\0' || header[len] == ';' || header[len] == ' ');
}

static int walk_body(param_walk *w, const wm_http_request *req,
                     unsigned *status)
{
    const char *type = wm_http_header(req, "Content-Type");
    if (req->body_len == 0)
        return 0;
    if (type && media_type_is(type, "application/json"))
        return walk_json(w, req);
    if (type && media_type_is(type, "application/x-www-form-urlencoded"))
        return walk_form(w, req);
    *status = 415;
    char shown[80];
    return wm_error_param(w->err, WM_ERR_INVALID, "Content-Type",
                          "Content-Type '%s' is not supported; allowed: "
                          "application/json or "
                          "application/x-www-form-urlencoded",
                          wm_error_quote(type ? type : "(none)", 64, shown,
                                         sizeof shown));
}

int wm_request_params(wm_http_request *req, wm_param_fn fn, void *ctx,
                      unsigned *status, wm_error *err)
{
    param_walk w = {.route = req->route, .fn = fn, .ctx = ctx, .err = err};
    *status = 400;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_query_arg,
                              &w);
    int rc = w.rc;
    if (rc == 0)
        rc = walk_body(&w, req, status);
    for (size_t i = 0; i < w.seen_count; i++)
        free(w.seen[i]);
    return rc;
}

int wm_param_uint(const char *name, const char *value, uint64_t min,
                  uint64_t max, uint64_t *out, wm_error *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    char shown[48];
    if (!isdigit((unsigned char)value[0]) || errno || *end || n < min ||
        n > max)
        return wm_error_param(err, WM_ERR_INVALID, name,
                              "%s: '%s' is not valid; allowed: a whole "
                              "number from %" PRIu64 " to %" PRIu64,
                              name, wm_error_quote(value, 32, shown,
                                                   sizeof shown),
                              min, max);
    *out = n;
    return 0;
}

int wm_request_id(const wm_http_request *req, int64_t *id, wm_error *err)
{
    uint64_t n = 0;
    /* One spelling per run: /runs/01 is not /runs/1 (a cache, a log or
     * an access rule keyed on the path must not see two names). */
    if (req->id_text[0] == '0' && req->id_text[1])
        return wm_error_param(err, WM_ERR_INVALID, "id",
                              "id: a run id is written in decimal without "
                              "leading zeros, from 1");
    if (wm_param_uint("id", req->id_text, 1, INT64_MAX, &n, err) != 0)
        return -1;
    *id = (int64_t)n;
    return 0;
}

int wm_param_unhandled(const char *name, wm_error *err)
{
    return wm_error_param(err, WM_ERR_INTERNAL, name,
                          "%.32s: the route lists it but its handler does "
                          "not read it", name);
}

typedef struct list_walk {
    wm_list_query *q;
    uint64_t max_limit;
} list_walk;

static int list_param(void *opaque, const char *name, const char *value,
                      wm_error *err)
{
    list_walk *w = opaque;
    if (!strcmp(name, "limit"))
        return wm_param_uint(name, value, 1, w->max_limit, &w->q->limit, err);
    if (!strcmp(name, "before"))
        return wm_param_uint(name, value, 1, INT64_MAX, &w->q->before, err);
    return wm_param_unhandled(name, err);
}

static int page_param(void *opaque, const char *name, const char *value,
                      wm_error *err)
{
    wm_page_query *q = opaque;
    if (!strcmp(name, "offset"))
        return wm_param_uint(name, value, 0, UINT32_MAX, &q->offset, err);
    if (!strcmp(name, "limit"))
        return wm_param_uint(name, value, 1, WM_PAGE_MAX_LIMIT, &q->limit,
                             err);
    return wm_param_unhandled(name, err);
}

/* true (answered, *rc set) when the query was refused. */
static bool query_refused(wm_http_request *req, wm_param_fn fn, void *ctx,
                          int *rc)
{
    unsigned status = 400;
    wm_error err;
    wm_error_clear(&err);
    if (wm_request_params(req, fn, ctx, &status, &err) == 0)
        return false;
    *rc = wm_http_send_error(req, status, wm_error_code(err.kind),
                             err.parameter, "%s", err.message);
    return true;
}

bool wm_list_query_refused(wm_http_request *req, uint64_t default_limit,
                           uint64_t max_limit, wm_list_query *q, int *rc)
{
    assert(default_limit >= 1 && default_limit <= max_limit);
    *q = (wm_list_query){.limit = default_limit};
    list_walk w = {.q = q, .max_limit = max_limit};
    return query_refused(req, list_param, &w, rc);
}

bool wm_page_query_refused(wm_http_request *req, wm_page_query *q, int *rc)
{
    *q = (wm_page_query){.limit = WM_PAGE_DEFAULT_LIMIT};
    return query_refused(req, page_param, q, rc);
}
