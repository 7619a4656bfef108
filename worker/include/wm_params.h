/* wm_params: the parameters of a run — the one table of them — and the
 * validated request they make.
 *
 * Every place that speaks of run parameters derives from this table: the
 * HTTP query, JSON and form parsers (wm_params_set by name), the command
 * line's options and their usage text (a row's metavar and help), the
 * OpenAPI document's parameters and the "params" object of a run
 * (wm_params_json), which the engine writes into every result. Adding a
 * parameter is one row in params.c. So "chunk" means the same thing, with
 * the same limits and the same error text, everywhere. Unknown names are
 * errors: a typo such as "szie" must not silently run a default transfer.
 *
 * The limits a row checks are the engine's own (wm_transfer.h,
 * wm_capture.h, wm_size.h); the words that describe them are made from
 * those numbers, never written a second time. */
#ifndef WM_PARAMS_H
#define WM_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_budget.h"
#include "wm_capture.h"
#include "wm_error.h"
#include "wm_path.h"
#include "wm_presets.h"
#include "wm_series.h"
#include "wm_transfer.h"

#define WM_LABEL_MAX 100
#define WM_SIZE_TEXT_MAX 32  /* bytes of a size as written, NUL included;
                                a longer text is refused, never cut */

/* What the engine needs to run: the exchange and its capture. */
typedef struct wm_run_config {
    wm_transfer_options transfer;
    wm_capture_options capture; /* port and family are set by the run */
    wm_path_options path;       /* the network crossed (wm_path.h) */
    struct wm_cancel *cancel;   /* fired: the run stops at once and fails
                                   with WM_ERR_CANCELLED; NULL: none */
    const char *rows_path;      /* the packet rows are written here when
                                   not NULL (wm_engine_packets) */
    const char *sender_pcap_path; /* a link run's capture at the sender's
                                     end of the veth, written here when not
                                     NULL (the receiver's is capture's) */
    const char *ends_path;      /* with sender_pcap_path: every frame sent,
                                   matched across the ends, written here
                                   when not NULL (wm_engine_ends) */
    /* The time series (wm_series.h). */
    uint32_t series_interval_us; /* TCP_INFO sampling interval, 0: auto */
    const char *series_path;     /* the series document is written here
                                    when not NULL */
    /* Small outputs in memory (wm_blob.h): the pcap, rows and series of
     * a loopback run, each that stays within inline_max bytes, go to
     * *inline_out and not to their paths. 0 or NULL: always the paths
     * (a link run's outputs always are). */
    size_t inline_max;
    struct wm_run_blobs *inline_out;
} wm_run_config;

/* A run as asked for: its configuration and what is only echoed back. */
typedef struct wm_run_request {
    wm_run_config config;
    char size_text[WM_SIZE_TEXT_MAX]; /* as the user wrote it */
    char label[WM_LABEL_MAX + 1];
    char preset[WM_PRESET_NAME_MAX]; /* its name, or WM_PRESET_NONE */
    bool size_given;
    uint64_t given;   /* bit i: the table's row i was given by the caller
                         (a preset fills only the others) */
} wm_run_request;

typedef struct wm_params_limits {
    uint64_t max_size_bytes;  /* largest transfer accepted */
    wm_budget budget;         /* what a run may cost (wm_budget.h): the
                                 caller puts it in config.capture.budget */
} wm_params_limits;

typedef struct wm_param_spec {
    const char *name;
    const char *type;         /* "size", "boolean", "integer", "string",
                                 "enum", "rate" (rendered in bit/s),
                                 "number": for docs and OpenAPI */
    const char *allowed;      /* what is allowed, in words */
    const char *description;  /* one sentence, default included */
    const char *metavar;      /* command line: "SIZE", "N"...; NULL for a
                                 switch (a boolean that takes no value) */
    const char *const *choices; /* an enum's values, NULL-ended */
    size_t max_length;        /* longest text of a "string"; 0 otherwise */
    bool required;
} wm_param_spec;

/* The table, ended by a {NULL} entry. */
const wm_param_spec *wm_params_specs(void);

/* The row of this name, or NULL. */
const wm_param_spec *wm_params_find(const char *name);

/* The defaults of every row, no size given. */
void wm_params_init(wm_run_request *request);

/* Sets one parameter from its text form. Errors name the parameter and
 * what is allowed (WM_ERR_INVALID), or the limit (WM_ERR_TOO_LARGE).
 * limits may be NULL (WM_SIZE_DEFAULT_MAX). */
int wm_params_set(wm_run_request *request, const char *name,
                  const char *value, const wm_params_limits *limits,
                  wm_error *err);

/* Checks what needs the whole set (size present, options the kernel
 * offers), after filling from the preset (wm_presets.h) every setting of
 * it the caller did not give. Calling it again changes nothing. */
int wm_params_finish(wm_run_request *request, wm_error *err);

/* Whether this host can run the preset as it is: 0, or -1 with err
 * saying what is missing (sch_netem for a delay, say), in the words a
 * run asking for it would be refused with. */
int wm_params_check_preset(const wm_preset *preset, wm_error *err);

/* Refuses (WM_ERR_TOO_LARGE, naming the limit's flag and the parameters
 * that cause it) a request whose capture must exceed budget (NULL or
 * zeros: no bound): only what must, whatever the kernel does, so a bound
 * that merely guessed never refuses a run that fits. The run itself
 * enforces the rest (wm_budget.h). */
int wm_params_check_budget(const wm_run_request *request,
                           const wm_budget *budget, wm_error *err);

/* A comma-separated list of the names, for "allowed: ..." messages. */
const char *wm_params_names(void);

/* The "params" object of docs/result.md: every row as the run will use
 * it, size_text as the user wrote it, and the capture interface. The one
 * renderer of it: the daemon stores it, the engine puts it in the result.
 * NULL when memory runs out. */
json_t *wm_params_json(const wm_run_request *request);

/* The same object as compact JSON text (malloc'd; its length into *len
 * when len is not NULL), byte for byte what wm_json_text writes of
 * wm_params_json's, written without the tree: what the daemon stores
 * with each run. NULL when memory runs out. */
char *wm_params_text(const wm_run_request *request, size_t *len);

#endif
