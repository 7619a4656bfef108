/* wm_openapi: see wm_openapi.h. */
#include "wm_openapi.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
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

/* Each operation's parameter names (wm_openapi_params). */
#define MAX_OPERATIONS 64
typedef struct operation_params {
    char *method, *pattern, *names;
} operation_params;
static operation_params operations[MAX_OPERATIONS];
static size_t operation_count;

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

/* The schema of a run parameter's value as wm_params_json renders it. */
static json_t *rendered_schema(const wm_param_spec *s)
{
    const char *type = strcmp(s->type, "size") == 0 ||
                               strcmp(s->type, "integer") == 0
                           ? "integer"
                       : strcmp(s->type, "boolean") == 0 ? "boolean"
                                                         : "string";
    return json_pack("{s:s, s:s}", "type", type, "description",
                     s->description);
}

/* What a run's "params" holds (wm_params_json), as a closed object: every
 * row of the parameter table, size_text beside size, and the capture
 * interface. A sweep's (sweep = true) has sizes and repeat instead of
 * size and size_text; a lab group's settings (label = false) are a run's
 * without size, size_text and label. */
static json_t *params_schema(bool sweep, bool with_size, bool with_label,
                             const char *description)
{
    json_t *props = json_object();
    json_t *required = json_array();
    for (const wm_param_spec *s = wm_params_specs(); s->name; s++) {
        bool is_size = strcmp(s->name, "size") == 0;
        if ((is_size && !with_size) ||
            (!with_label && strcmp(s->name, "label") == 0))
            continue;
        json_object_set_new(props, s->name, rendered_schema(s));
        json_array_append_new(required, json_string(s->name));
        if (is_size) {
            json_object_set_new(props, "size_text",
                                json_pack("{s:s, s:s}", "type", "string",
                                          "description",
                                          "The size as it was written."));
            json_array_append_new(required, json_string("size_text"));
        }
    }
    json_object_set_new(props, "interface",
                        json_pack("{s:s, s:s}", "type", "string",
                                  "description", "The capture interface."));
    json_array_append_new(required, json_string("interface"));
    if (sweep) {
        json_object_set_new(
            props, "sizes",
            json_pack("{s:s, s:{s:s}, s:s}", "type", "array", "items", "type",
                      "string", "description",
                      "The sizes as they were written, in order."));
        json_object_set_new(props, "repeat",
                            json_pack("{s:s, s:I}", "type", "integer",
                                      "minimum", (json_int_t)1));
        json_array_append_new(required, json_string("sizes"));
        json_array_append_new(required, json_string("repeat"));
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:b}", "type", "object",
                     "description", description, "required", required,
                     "properties", props, "additionalProperties", 0);
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

/* "#/components/parameters/x" resolved in doc; the item itself when it
 * is no reference. */
static json_t *resolve(json_t *doc, json_t *item)
{
    const char *ref = json_string_value(json_object_get(item, "$ref"));
    const char *prefix = "#/components/parameters/";
    if (!ref || strncmp(ref, prefix, strlen(prefix)) != 0)
        return item;
    return json_object_get(
        json_object_get(json_object_get(doc, "components"), "parameters"),
        ref + strlen(prefix));
}

/* Appends the query parameters' names of list to names ("a, b"). */
static void add_names(json_t *doc, json_t *list, char **names)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        json_t *param = resolve(doc, item);
        const char *name = json_string_value(json_object_get(param, "name"));
        const char *in = json_string_value(json_object_get(param, "in"));
        if (!name || !in || strcmp(in, "query") != 0)
            continue;
        char *more = NULL;
        if (asprintf(&more, "%s%s%s", *names, **names ? ", " : "", name) < 0)
            continue;
        free(*names);
        *names = more;
    }
}

/* The names of every operation's query parameters, for the router. */
static void index_params(json_t *doc)
{
    const char *path, *method;
    json_t *item, *op;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        json_object_foreach(item, method, op) {
            if (!strcmp(method, "parameters") || operation_count == MAX_OPERATIONS)
                continue;
            operation_params *o = &operations[operation_count];
            o->names = strdup("");
            o->pattern = strdup(path);
            o->method = strdup(method);
            if (!o->names || !o->pattern || !o->method)
                continue;
            for (char *c = o->method; *c; c++)
                *c = (char)toupper((unsigned char)*c);
            add_names(doc, json_object_get(item, "parameters"), &o->names);
            add_names(doc, json_object_get(op, "parameters"), &o->names);
            operation_count++;
        }
    }
}

const char *wm_openapi_params(const char *method, const char *pattern)
{
    size_t len;
    wm_openapi_document(&len);
    for (size_t i = 0; i < operation_count; i++)
        if (!strcmp(operations[i].method, method) &&
            !strcmp(operations[i].pattern, pattern))
            return operations[i].names;
    return NULL;
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
    json_t *schemas = json_object_get(components, "schemas");
    json_object_set_new(schemas, "RunParams",
                        params_schema(false, true, true,
                                      "The run's parameters as the run used "
                                      "them; the same object as "
                                      "result.params."));
    json_object_set_new(schemas, "SweepParams",
                        params_schema(true, false, true,
                                      "The sweep's parameters: a run's "
                                      "without size and size_text, with "
                                      "sizes and repeat."));
    json_object_set_new(schemas, "LabSettings",
                        params_schema(false, false, false,
                                      "A group's settings: a run's params "
                                      "without size, size_text and label."));
    index_params(doc);
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
