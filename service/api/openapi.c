/* wm_openapi: see wm_openapi.h. */
#include "wm_openapi.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_params.h"

/* api/openapi.json, NUL-terminated (WM_OPENAPI_TEMPLATE is its path,
 * given by CMake). */
__asm__(".pushsection .rodata\n"
        ".balign 16\n"
        "wm_openapi_template:\n"
        ".incbin \"" WM_OPENAPI_TEMPLATE "\"\n"
        ".byte 0\n"
        ".popsection\n");
extern const char wm_openapi_template[];

static pthread_once_t built_once = PTHREAD_ONCE_INIT;
static char *document;
static size_t document_len;

/* A value's JSON Schema: the forms a query string, a form or a JSON body
 * may carry it in. */
static json_t *value_schema(const wm_param_spec *spec)
{
    if (spec->choices && strcmp(spec->type, "enum") == 0) {
        json_t *values = json_array();
        for (size_t i = 0; spec->choices[i]; i++)
            json_array_append_new(values, json_string(spec->choices[i]));
        return json_pack("{s:s, s:o}", "type", "string", "enum", values);
    }
    if (strcmp(spec->type, "string") == 0)
        return spec->max_length
                   ? json_pack("{s:s, s:I}", "type", "string", "maxLength",
                               (json_int_t)spec->max_length)
                   : json_pack("{s:s}", "type", "string");
    const char *first = strcmp(spec->type, "boolean") == 0   ? "boolean"
                        : strcmp(spec->type, "integer") == 0 ? "integer"
                                                             : "string";
    const char *second = strcmp(first, "string") == 0 ? "integer" : "string";
    return json_pack("{s:[s, s]}", "type", first, second);
}

static json_t *query_parameter(const wm_param_spec *spec)
{
    char description[768];
    snprintf(description, sizeof description, "%s Allowed: %s.",
             spec->description, spec->allowed);
    /* Not required in the query: it may come in the body instead. */
    return json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", spec->name, "in",
                     "query", "required", 0, "description", description,
                     "schema", value_schema(spec));
}

/* A run's "params" as stored and returned: what wm_params_json renders. */
static json_t *params_schema(void)
{
    json_t *props = json_object();
    for (const wm_param_spec *s = wm_params_specs(); s->name; s++) {
        const char *type = strcmp(s->type, "size") == 0 ||
                                   strcmp(s->type, "integer") == 0
                               ? "integer"
                           : strcmp(s->type, "boolean") == 0 ? "boolean"
                                                             : "string";
        json_object_set_new(props, s->name,
                            json_pack("{s:s, s:s}", "type", type,
                                      "description", s->description));
        if (strcmp(s->name, "size") == 0)
            json_object_set_new(props, "size_text",
                                json_pack("{s:s, s:s}", "type", "string",
                                          "description",
                                          "The size as it was written."));
    }
    json_object_set_new(props, "interface",
                        json_pack("{s:s, s:s}", "type", "string",
                                  "description", "The capture interface."));
    return json_pack("{s:s, s:s, s:o}", "type", "object", "description",
                     "The run's parameters as the run used them; the same "
                     "object as result.params.", "properties", props);
}

/* Puts the entries of front before those of object, in place. */
static void object_prepend(json_t *object, json_t *front)
{
    json_object_update(front, object);
    json_object_clear(object);
    json_object_update(object, front);
    json_decref(front);
}

/* POST /runs and POST /sweeps: the run parameters in the query and in
 * both body forms; a sweep takes every one but size (its "sizes"). */
static void add_to_route(json_t *doc, const char *route, const char *without)
{
    json_t *op = json_object_get(
        json_object_get(json_object_get(doc, "paths"), route), "post");
    json_t *list = json_object_get(op, "parameters");
    json_t *content =
        json_object_get(json_object_get(op, "requestBody"), "content");
    json_t *body_props = json_object();
    size_t at = 0;
    for (const wm_param_spec *s = wm_params_specs(); s->name; s++) {
        if (without && strcmp(s->name, without) == 0)
            continue;
        char ref[96];
        snprintf(ref, sizeof ref, "#/components/parameters/run_%s", s->name);
        json_array_insert_new(list, at++, json_pack("{s:s}", "$ref", ref));
        json_object_set_new(body_props, s->name, value_schema(s));
    }
    const char *key;
    json_t *form;
    json_object_foreach(content, key, form)
        object_prepend(
            json_object_get(json_object_get(form, "schema"), "properties"),
            json_deep_copy(body_props));
    json_decref(body_props);
}

static void build(void)
{
    json_error_t error;
    json_t *doc = json_loads(wm_openapi_template, 0, &error);
    if (!doc) {
        fprintf(stderr, "wiremeter: api/openapi.json: %s (line %d)\n",
                error.text, error.line);
        return;
    }
    json_object_set_new(json_object_get(doc, "info"), "version",
                        json_string(WM_VERSION));
    json_t *components = json_object_get(doc, "components");
    json_t *run_params = json_object();
    for (const wm_param_spec *s = wm_params_specs(); s->name; s++) {
        char name[64];
        snprintf(name, sizeof name, "run_%s", s->name);
        json_object_set_new(run_params, name, query_parameter(s));
    }
    object_prepend(json_object_get(components, "parameters"), run_params);
    add_to_route(doc, "/runs", NULL);
    add_to_route(doc, "/sweeps", "size");
    json_object_set_new(
        json_object_get(json_object_get(json_object_get(components, "schemas"),
                                        "Run"),
                        "properties"),
        "params", params_schema());
    char *text = json_dumps(doc, JSON_INDENT(2));
    json_decref(doc);
    if (text && asprintf(&document, "%s\n", text) > 0)
        document_len = strlen(document);
    free(text);
}

const char *wm_openapi_document(size_t *len)
{
    pthread_once(&built_once, build);
    *len = document_len;
    return document;
}
