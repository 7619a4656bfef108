/* wm_params: the parameters of a run, by name, from wherever they come —
 * command-line flags, a query string, a JSON or form body — validated once
 * into a wm_run_config.
 *
 * One table of names and rules serves the CLI, the HTTP API and the OpenAPI
 * document, so that "chunk" means the same thing, with the same limits and
 * the same error text, everywhere. Unknown names are errors: a typo such as
 * "szie" must not silently run a default transfer. */
#ifndef WM_PARAMS_H
#define WM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"
#include "wm_run.h"

#define WM_LABEL_MAX 100

typedef struct wm_params_limits {
    uint64_t max_size_bytes;  /* largest transfer accepted */
} wm_params_limits;

typedef struct wm_run_request {
    wm_run_config config;
    char size_text[32];       /* as the user wrote it, for display */
    char label[WM_LABEL_MAX + 1];
    bool size_given;
} wm_run_request;

typedef struct wm_param_spec {
    const char *name;
    const char *type;         /* "size", "boolean", "integer", "string",
                                 "enum": for docs and OpenAPI */
    const char *allowed;      /* what is allowed, in words */
    const char *description;
} wm_param_spec;

/* The table, ended by a {NULL} entry. */
const wm_param_spec *wm_params_specs(void);

void wm_params_init(wm_run_request *request);

/* Sets one parameter from its text form. Errors name the parameter and
 * what is allowed (WM_ERR_INVALID), or the limit (WM_ERR_TOO_LARGE). */
int wm_params_set(wm_run_request *request, const char *name,
                  const char *value, const wm_params_limits *limits,
                  wm_error *err);

/* Checks what needs the whole set (size present, options the kernel
 * offers). */
int wm_params_finish(wm_run_request *request, wm_error *err);

/* A comma-separated list of the names, for "allowed: ..." messages. */
const char *wm_params_names(void);

#endif
