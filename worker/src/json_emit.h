/* json_emit: a document written once, field by field in its order, and
 * had either as a jansson tree or as its compact text.
 *
 * Why: the daemon stores a run's result as text, and building it as some
 * 300 jansson values first (a malloc each, a hashed key each, every
 * object rehashed as it grows), then walking them to write the text and
 * freeing them, was most of a small run's rendering. Written straight
 * into the text, the same fields cost no allocation but the buffer's.
 * The command line and the tests still want the tree: the same builder
 * (report.c) makes either, so the document's shape is written in one
 * place. The text is wm_json_text's of the tree, byte for byte: the
 * formats of numbers and strings are json_text.c's, where this is
 * implemented.
 *
 * Keys are the caller's ASCII literals (in an array or at the top, key
 * is NULL). A failure (no memory, a string that is not UTF-8, too deep)
 * is remembered, every later call does nothing, and the end gives NULL. */
#ifndef WM_JSON_EMIT_H
#define WM_JSON_EMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Nesting a document may have; a run's has 7 (a SACK block in a row). */
#define EMIT_MAX_DEPTH 16

/* Text growing in one buffer (cap > len always: room for the NUL). */
typedef struct emit_text {
    char *bytes;
    size_t len, cap;
    bool failed; /* out of memory or bad input: give up */
} emit_text;

typedef struct emit {
    bool tree;                     /* a tree, else text */
    bool failed;
    unsigned depth;                /* containers open */
    json_t *root;                  /* tree: the outermost value */
    json_t *open[EMIT_MAX_DEPTH];  /* tree: the containers open */
    bool object[EMIT_MAX_DEPTH];   /* each an object, else an array */
    bool more[EMIT_MAX_DEPTH + 1]; /* text: a value is at this depth */
    emit_text text;
} emit;

/* A document to come, as a tree (tree) or as text. */
void emit_start(emit *e, bool tree);

void emit_object(emit *e, const char *key); /* opens one, up to emit_end */
void emit_array(emit *e, const char *key);
void emit_end(emit *e);

void emit_int(emit *e, const char *key, json_int_t value);
void emit_real(emit *e, const char *key, double value);
void emit_bool(emit *e, const char *key, bool value);
void emit_null(emit *e, const char *key);
/* value checked as UTF-8 (a name from outside) */
void emit_string(emit *e, const char *key, const char *value);
/* value is the caller's own ASCII, not checked in the tree */
void emit_ascii(emit *e, const char *key, const char *value);

/* The tree (emit_start(e, true)), or NULL when anything failed. */
json_t *emit_tree(emit *e);
/* The text, NUL-terminated, malloc'd, its length into *len when len is
 * not NULL (emit_start(e, false)); NULL when anything failed. */
char *emit_finish_text(emit *e, size_t *len);

#endif
