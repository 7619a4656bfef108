/* GET /presets: the links with plain names (wm_presets.h), each with the
 * run parameters it sets, in the text forms a form or a query sends, and
 * whether this host can run it as it is — so that a picker can fill the
 * form from "params" and grey out what would be refused. */
#include <stdio.h>

#include "wm_handlers.h"
#include "wm_params.h"
#include "wm_presets.h"
#include "wm_public_text.h"

static json_t *preset_json(const wm_preset *p)
{
    json_t *params = json_object();
    for (const wm_preset_setting *s = p->settings; params && s->name; s++)
        json_object_set_new(params, s->name, json_string(s->value));
    wm_error err;
    wm_error_clear(&err);
    bool available = wm_params_check_preset(p, &err) == 0;
    char reason[sizeof err.message]; /* open to all: no paths */
    wm_public_message(err.message, reason, sizeof reason);
    return json_pack("{s:s, s:s, s:s, s:o*, s:b, s:s?}", "name", p->name,
                     "title", p->title, "description", p->description,
                     "params", params, "available", available, "reason",
                     available ? NULL : reason);
}

int wm_handle_presets(wm_http_request *req)
{
    json_t *list = json_array();
    for (const wm_preset *p = wm_presets(); list && p->name; p++)
        if (json_array_append_new(list, preset_json(p)) != 0) {
            json_decref(list);
            list = NULL;
        }
    json_t *doc = json_pack("{s:o*}", "presets", list);
    if (!doc)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    return wm_http_send_json(req, 200, doc);
}
