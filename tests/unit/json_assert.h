/* json_assert: the unit tests' comparison of two JSON documents, as the
 * same compact text (key order included: the engine's documents are
 * compared byte for byte, as a client would see them). Include it after
 * <cmocka.h>. */
#ifndef WM_TEST_JSON_ASSERT_H
#define WM_TEST_JSON_ASSERT_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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

/* 1 when the two texts differ (printed while *shown < 3), 0 when they
 * are the same bytes; frees both. For a test that counts every document
 * that differs rather than stopping at the first. */
static inline size_t json_texts_differ(const char *what, char *now,
                                       char *was, size_t *shown)
{
    assert_non_null(now);
    assert_non_null(was);
    size_t bad = strcmp(now, was) != 0;
    if (bad && (*shown)++ < 3)
        print_error("%s:\n now %s\n was %s\n", what, now, was);
    free(now);
    free(was);
    return bad;
}

#endif
