/* wm_router: the table of routes — method, path pattern, handler, summary —
 * and the dispatch from a request to one of them.
 *
 * A table rather than if-chains so that the route list is data: /metrics
 * labels requests by pattern, `wiremeter serve --print-routes` prints it,
 * and a test checks it against docs/openapi.json both ways. A pattern
 * segment "{id}" matches one segment (the handler validates it); a final
 * "{path}" matches the rest of the path, and is tried only after every
 * other route: a path that an API route matches with another method is a
 * 405, never a file of the page. When a path matches but the method does
 * not, the answer is 405 with Allow; when nothing matches, 404.
 * HEAD is accepted wherever GET is. Host, Origin and token checks
 * (wm_guard.h) happen here, before any handler: POST and DELETE need
 * `Authorization: Bearer` when a token is set (401 without one, 403 with
 * a wrong one). A target with an encoded NUL or slash matches no route. */
#ifndef WM_ROUTER_H
#define WM_ROUTER_H

#include <stddef.h>
#include <stdio.h>

#include "wm_error.h"
#include "wm_http.h"

typedef int (*wm_route_fn)(wm_http_request *req);

typedef struct wm_route {
    const char *method;
    const char *pattern;   /* "/runs/{id}/packets" */
    wm_route_fn handler;
    const char *summary;
} wm_route;

/* The table and its length. */
const wm_route *wm_router_routes(size_t *count);

/* Finds the route, checks the token, calls the handler. For
 * wm_http_options.dispatch. */
int wm_router_dispatch(wm_http_request *req);

/* Whether a request's body is an upload (POST /captures), streamed to a
 * file rather than held: wm_http_options.streams. */
bool wm_router_streams(const char *method, size_t method_len,
                       const char *path, size_t path_len);

/* The longest parameter name any route takes is far shorter; a longer
 * one is unknown, and this bound keeps it whole in an error's parameter
 * field. */
#define WM_ROUTER_PARAM_NAME_MAX 24

/* 0 when the route at index route (req->route) takes a parameter of
 * this name; else -1 with err naming it and listing the allowed ones.
 * What a route takes is what its operation in the OpenAPI document lists
 * (wm_openapi_params): the one list, refused alike in the query of every
 * route and in a body. */
int wm_router_check_param(int route, const char *name, wm_error *err);

/* "METHOD PATTERN  summary" per line. */
void wm_router_print(FILE *out);

#endif
