/* wm_json_text: a JSON value as compact text, the very bytes
 * json_dumps(value, JSON_COMPACT) writes, at a fraction of its cost.
 *
 * Why not json_dumps: a small run's result (7 KB, some 300 values) took
 * jansson 82 us to write, about a tenth of the daemon's CPU per POST
 * /runs?size=13B: for loop detection it prints every object's address
 * into a hash table's key (snprintf, malloc), and it hands each token to
 * a callback that appends it to a buffer. Here the text grows in one
 * buffer and a tree deeper than WM_JSON_TEXT_MAX_DEPTH (a loop, too) is
 * refused instead. Same output byte for byte (tests/unit/test_json_text.c
 * compares them): keys in insertion order, reals as "%.17g" with ".0" or
 * an exponent and no '+' or leading zeros in it, strings escaped as
 * jansson escapes them (\" \\ \b \f \n \r \t, \u00XX for the other
 * controls, UTF-8 passed through) and refused when not valid UTF-8. */
#ifndef WM_JSON_TEXT_H
#define WM_JSON_TEXT_H

#include <jansson.h>
#include <stddef.h>

/* Nesting a document may have; the run documents have fewer than 8. */
#define WM_JSON_TEXT_MAX_DEPTH 64

/* value as compact JSON, NUL-terminated, malloc'd (free it); its length
 * without the NUL into *len when len is not NULL. NULL: out of memory, a
 * string that is not UTF-8, a tree deeper than WM_JSON_TEXT_MAX_DEPTH,
 * or value NULL. */
char *wm_json_text(const json_t *value, size_t *len);

#endif
