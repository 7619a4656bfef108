/* The order in which the store removes a row and its files: whoever reads
 * the store and finds a run (or a capture) gone must find its files gone
 * too — retention, a DELETE — and a crash between the row's commit and the
 * unlinks leaves files of no row, which start-up removes.
 *
 * How it is seen without a race: this program defines unlink(), so the
 * store's unlinks come here first. At each one, if the store's lock is
 * free a reader could run right now, and it asks the store (its public
 * API) whether the row is there; a row gone while a file of it is still
 * there under its own name (the name a reader opens) is what a reader
 * must never see. Apart from test_store_recovery.c because the unlink()
 * of this program is its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_fixture.h"
#include "wm_store.h"
/* For the lock alone: whether a reader could run at an unlink. */
#include "../../service/store/store_internal.h"

/* What unlink() watches: the files of one run or capture. */
static struct watch {
    wm_store *store;
    const char *dir;   /* the pcaps or the captures directory */
    int64_t id;
    bool capture;
    unsigned probes;   /* its files unlinked, each probed */
    unsigned seen;     /* of which a reader found the row gone first */
} watch;

/* The names a reader opens; a run's, then a capture's. */
static const char *const run_finals[] = {".pcap", ".rows", ".sender.pcap",
                                         ".ends", ".series.json"};
static const char *const capture_finals[] = {".pcap", ".rows", ".index"};

static bool final_there(void)
{
    const char *const *finals = watch.capture ? capture_finals : run_finals;
    size_t n = watch.capture ? sizeof capture_finals / sizeof *capture_finals
                             : sizeof run_finals / sizeof *run_finals;
    char path[4200];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%lld%s", watch.dir,
                 (long long)watch.id, finals[i]);
        if (access(path, F_OK) == 0)
            return true;
    }
    return false;
}

/* Whether a reader finds the row there, and (a capture) not failed: a
 * failed capture keeps only its row. */
static bool row_there(void)
{
    wm_error err = {0};
    if (watch.capture) {
        wm_store_capture c;
        if (wm_store_get_capture(watch.store, watch.id, &c, &err) != 0)
            return false;
        bool failed = c.status == WM_STORE_FAILED;
        wm_store_capture_free(&c);
        return !failed;
    }
    wm_store_run run;
    if (wm_store_get_run(watch.store, watch.id, &run, &err) != 0)
        return false;
    wm_store_run_free(&run);
    return true;
}

int unlink(const char *path)
{
    char prefix[4200];
    if (watch.store) {
        snprintf(prefix, sizeof prefix, "%s/%lld.", watch.dir,
                 (long long)watch.id);
        if (strncmp(path, prefix, strlen(prefix)) == 0 &&
            access(path, F_OK) == 0) {
            watch.probes++;
            if (pthread_mutex_trylock(&watch.store->lock) == 0) {
                pthread_mutex_unlock(&watch.store->lock);
                if (!row_there() && final_there())
                    watch.seen++;
            }
        }
    }
    return unlinkat(AT_FDCWD, path, 0);
}

/* Every file a run may have, the partial ones too. */
static const char *const run_suffixes[] = {
    ".pcap", ".rows", ".sender.pcap", ".ends", ".series.json",
    ".pcap.tmp", ".series.json.tmp"};
enum { RUN_FILES = sizeof run_suffixes / sizeof *run_suffixes };

static void run_file(wm_store *store, int64_t id, size_t i, char *buf,
                     size_t len)
{
    snprintf(buf, len, "%s/pcaps/%lld%s", wm_store_data_dir(store),
             (long long)id, run_suffixes[i]);
}

/* A done run with all its files. */
static int64_t done_run(wm_store *store)
{
    int64_t id = 0;
    wm_error err = {0};
    if (wm_store_insert_run(store, "", 13, NULL, 0, &id, &err) != 0)
        fail_msg("insert: %s", err.message);
    assert_int_equal(wm_store_mark_running(store, id, &err), 0);
    assert_int_equal(wm_store_finish_run(store, id, "{\"ok\":1}", &err), 0);
    char path[4200];
    for (size_t i = 0; i < RUN_FILES; i++) {
        run_file(store, id, i, path, sizeof path);
        touch_file(path);
    }
    return id;
}

static void watch_run(wm_store *store, int64_t id)
{
    static char dir[4200];
    snprintf(dir, sizeof dir, "%s/pcaps", wm_store_data_dir(store));
    watch = (struct watch){.store = store, .dir = dir, .id = id};
}

static void assert_run_files_gone(wm_store *store, int64_t id)
{
    char path[4200];
    for (size_t i = 0; i < RUN_FILES; i++) {
        run_file(store, id, i, path, sizeof path);
        if (file_exists(path))
            fail_msg("%s is still there", path);
    }
}

static void test_prune_files_go_with_the_row(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t old = done_run(f->store);
    done_run(f->store);
    done_run(f->store);
    watch_run(f->store, old);
    uint64_t deleted = 0;
    wm_error err = {0};
    assert_int_equal(wm_store_prune(f->store, 2, &deleted, &err), 0);
    watch.store = NULL;
    assert_int_equal(deleted, 1);
    assert_true(watch.probes > 0); /* the unlinks were watched */
    if (watch.seen)
        fail_msg("at %u of %u unlinks, a reader could find run %lld gone "
                 "and a file of it still there", watch.seen, watch.probes,
                 (long long)old);
    assert_run_files_gone(f->store, old);
}

static void test_delete_files_go_with_the_row(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t id = done_run(f->store);
    watch_run(f->store, id);
    wm_error err = {0};
    assert_int_equal(wm_store_delete_run(f->store, id, &err), 0);
    watch.store = NULL;
    assert_true(watch.probes > 0); /* the unlinks were watched */
    assert_int_equal(watch.seen, 0);
    assert_run_files_gone(f->store, id);
}

/* Every file a capture may have. */
static const char *const capture_suffixes[] = {".pcap", ".rows", ".index"};
enum { CAPTURE_FILES = sizeof capture_suffixes / sizeof *capture_suffixes };

static void capture_file(wm_store *store, int64_t id, size_t i, char *buf,
                         size_t len)
{
    snprintf(buf, len, "%s/%lld%s", wm_store_capture_dir(store),
             (long long)id, capture_suffixes[i]);
}

/* A capture being analysed, with the files its analysis writes. */
static int64_t running_capture(wm_store *store)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/upload-order.tmp",
             wm_store_capture_dir(store));
    touch_file(path);
    int64_t id = 0;
    wm_error err = {0};
    if (wm_store_add_capture(store, path, "", 1, &id, &err) != 0)
        fail_msg("add: %s", err.message);
    for (size_t i = 1; i < CAPTURE_FILES; i++) {
        capture_file(store, id, i, path, sizeof path);
        touch_file(path);
    }
    return id;
}

/* A capture analysed, with the files its analysis keeps. */
static int64_t done_capture(wm_store *store)
{
    int64_t id = running_capture(store);
    wm_error err = {0};
    assert_int_equal(wm_store_finish_capture(store, id, "{}", &err), 0);
    return id;
}

static void watch_capture(wm_store *store, int64_t id)
{
    watch = (struct watch){.store = store,
                                .dir = wm_store_capture_dir(store),
                                .id = id, .capture = true};
}

static void assert_capture_files_gone(wm_store *store, int64_t id)
{
    char path[4200];
    for (size_t i = 0; i < CAPTURE_FILES; i++) {
        capture_file(store, id, i, path, sizeof path);
        if (file_exists(path))
            fail_msg("%s is still there", path);
    }
}

static void test_capture_prune_files_go_with_the_row(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t old = done_capture(f->store);
    done_capture(f->store);
    watch_capture(f->store, old);
    uint64_t deleted = 0;
    wm_error err = {0};
    assert_int_equal(wm_store_prune_captures(f->store, 1, &deleted, &err), 0);
    watch.store = NULL;
    assert_int_equal(deleted, 1);
    assert_true(watch.probes > 0);
    assert_int_equal(watch.seen, 0);
    assert_capture_files_gone(f->store, old);
}

static void test_capture_delete_files_go_with_the_row(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t id = done_capture(f->store);
    watch_capture(f->store, id);
    wm_error err = {0};
    assert_int_equal(wm_store_delete_capture(f->store, id, &err), 0);
    watch.store = NULL;
    assert_true(watch.probes > 0);
    assert_int_equal(watch.seen, 0);
    assert_capture_files_gone(f->store, id);
}

static void test_capture_fail_files_go_with_the_status(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t id = running_capture(f->store);
    wm_error err = {0};
    watch_capture(f->store, id);
    assert_int_equal(wm_store_fail_capture(f->store, id, "too_large", "big",
                                           &err), 0);
    watch.store = NULL;
    assert_true(watch.probes > 0);
    assert_int_equal(watch.seen, 0);
    assert_capture_files_gone(f->store, id);
}

/* A crash after a capture's row went and before its files did: start-up
 * removes the files of no row and the retired ones (of a row or not), and
 * leaves alone those of a row and any name that is not a capture's. */
static void test_recover_removes_capture_files_of_no_row(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t kept = done_capture(f->store);
    int64_t gone = kept + 100; /* never a row: as if its deletion committed */
    char path[4200], other[4200];
    for (size_t i = 0; i < CAPTURE_FILES; i++) {
        capture_file(f->store, gone, i, path, sizeof path);
        touch_file(path);
    }
    char retired[2][4200];
    snprintf(retired[0], sizeof retired[0], "%s/%lld.rows.tmp",
             wm_store_capture_dir(f->store), (long long)kept);
    snprintf(retired[1], sizeof retired[1], "%s/%lld.pcap.tmp",
             wm_store_capture_dir(f->store), (long long)gone);
    for (size_t i = 0; i < 2; i++)
        touch_file(retired[i]);
    /* A failed capture whose files a crash left: it keeps only its row. */
    int64_t failed = running_capture(f->store);
    char failed_pcap[4200];
    capture_file(f->store, failed, 0, failed_pcap, sizeof failed_pcap);
    char keep[4300];
    snprintf(keep, sizeof keep, "%s.keep", failed_pcap);
    assert_int_equal(link(failed_pcap, keep), 0);
    wm_error ferr = {0};
    assert_int_equal(wm_store_fail_capture(f->store, failed, "internal", "x",
                                           &ferr), 0);
    assert_int_equal(rename(keep, failed_pcap), 0);
    snprintf(other, sizeof other, "%s/%lld.pcap.note",
             wm_store_capture_dir(f->store), (long long)gone);
    touch_file(other);
    wm_store_close(f->store);
    f->store = open_store_no_floor(f);
    uint64_t count = 0;
    wm_error err = {0};
    assert_int_equal(wm_store_recover(f->store, &count, &err), 0);
    assert_capture_files_gone(f->store, gone);
    for (size_t i = 0; i < 2; i++)
        if (file_exists(retired[i]))
            fail_msg("%s (retired) is still there", retired[i]);
    for (size_t i = 0; i < CAPTURE_FILES; i++) {
        capture_file(f->store, kept, i, path, sizeof path);
        if (!file_exists(path))
            fail_msg("%s of a kept capture was removed", path);
    }
    assert_true(file_exists(other));
    if (file_exists(failed_pcap))
        fail_msg("%s of a failed capture is still there", failed_pcap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prune_files_go_with_the_row,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_files_go_with_the_row,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_capture_prune_files_go_with_the_row, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_capture_delete_files_go_with_the_row, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_capture_fail_files_go_with_the_status, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_recover_removes_capture_files_of_no_row, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
