/* store_fixture: the store tests' temporary data directory — made by
 * setup (root/data is not there before the store opens it), removed with
 * everything in it by teardown, which also closes f->store. Include it
 * after <cmocka.h>. */
#ifndef WM_TEST_STORE_FIXTURE_H
#define WM_TEST_STORE_FIXTURE_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A file holding one byte, standing for any file a run may leave. */
static inline void touch_file(const char *path)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("x", fp);
    fclose(fp);
}

static inline bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Opens f->data as a store with the store's default options, failing the
 * test if it cannot; open_store_no_floor also drops the free-space floor
 * (min_free_bytes), for tests whose runs must not meet it. */
static inline wm_store *open_store_floor(fixture *f, bool keep_floor)
{
    wm_store_options opts;
    wm_store_options_default(&opts);
    opts.data_dir = f->data;
    if (!keep_floor)
        opts.min_free_bytes = 0;
    wm_error err = {0};
    wm_store *store = NULL;
    if (wm_store_open(&opts, &store, &err) != 0)
        fail_msg("open: %s", err.message);
    return store;
}

static inline wm_store *open_store(fixture *f)
{
    return open_store_floor(f, true);
}

static inline wm_store *open_store_no_floor(fixture *f)
{
    return open_store_floor(f, false);
}

#endif
