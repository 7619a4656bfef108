/* params_emit: a run's parameters (wm_params_json's object) written into
 * a document being built (json_emit.h), so that a run's result writes
 * them straight into its text instead of making their tree first. */
#ifndef WM_PARAMS_EMIT_H
#define WM_PARAMS_EMIT_H

#include "json_emit.h"
#include "wm_params.h"

/* The params object, under key (NULL at the top or in an array). */
void params_emit(emit *e, const char *key, const wm_run_request *request);

#endif
