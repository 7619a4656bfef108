/* json_assert: the unit tests' comparison of two JSON documents, as the
 * same compact text (key order included: the engine's documents are
 * compared byte for byte, as a client would see them). Include it after
 * <cmocka.h>. */
#ifndef WM_TEST_JSON_ASSERT_H
#define WM_TEST_JSON_ASSERT_H

#include <jansson.h>
#include <stdlib.h>

/* Fails unless a and b print the same; takes both references. */
static inline void assert_same_json(json_t *a, json_t *b)
{
    char *ta = json_dumps(a, JSON_COMPACT);
    char *tb = json_dumps(b, JSON_COMPACT);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
}

#endif
