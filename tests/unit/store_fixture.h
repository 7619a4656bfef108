/* store_fixture: the store tests' temporary data directory — made by
 * setup (root/data is not there before the store opens it), removed with
 * everything in it by teardown, which also closes f->store. Include it
 * after <cmocka.h>. */
#ifndef WM_TEST_STORE_FIXTURE_H
#define WM_TEST_STORE_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "wm_store.h"

typedef struct fixture {
    char root[64];            /* mkdtemp directory, removed after */
    char data[128];           /* root/data: not there before open */
    wm_store *store;
} fixture;

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->root, sizeof f->root, "/tmp/wm_store_test.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->data, sizeof f->data, "%s/data", f->root);
    *state = f;
    return 0;
}

static inline int remove_entry(const char *path, const struct stat *st,
                               int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    wm_store_close(f->store);
    nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

#endif
