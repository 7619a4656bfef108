/* wm_openapi: the OpenAPI document the daemon serves at /openapi.json.
 *
 * Made once from two sources, so that nothing in it is written twice: the
 * hand-written template api/openapi.json (routes, responses, schemas,
 * built into the binary) and the engine's run parameter table
 * (wm_params_specs), from which come the run_* parameters, their use by
 * POST /runs and POST /sweeps (query and body), and the schema of a run's
 * "params". docs/openapi.json is this same document, for readers and
 * tools, written by `wiremeter serve --print-openapi`; a test keeps the
 * two equal.
 *
 * The template is also the one list of the parameters each route takes:
 * the router refuses every other name (wm_openapi_params), so what the
 * document says a route accepts is what it accepts. */
#ifndef WM_OPENAPI_H
#define WM_OPENAPI_H

#include <stddef.h>

/* The document as JSON text (NUL-terminated, *len bytes without the NUL),
 * built on first use and kept for the life of the process; NULL when
 * memory ran out. */
const char *wm_openapi_document(size_t *len);

/* The names of the parameters the operation (METHOD as the route table
 * writes it, the route's pattern) takes in its query or body, separated
 * by ", " in the document's order; "" for none, NULL when the document
 * has no such operation. Kept for the life of the process. */
const char *wm_openapi_params(const char *method, const char *pattern);

#endif
