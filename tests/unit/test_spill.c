/* spill: a stream kept in memory up to its bound makes no file and hands
 * back exactly the bytes written; past the bound everything, the bytes
 * held before included, is in the file, in order; a bound of 0 is a
 * plain file from the start; a file that cannot be made fails the write
 * (the stream's error flag), not silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spill.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/wm-test-spill-%ld", (long)getpid());
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

/* n bytes of a pattern, written in writes of step bytes, unbuffered so
 * that each reaches the spill as it is. */
static void write_pattern(FILE *f, size_t n, size_t step)
{
    setvbuf(f, NULL, _IONBF, 0);
    unsigned char buf[4096];
    for (size_t at = 0; at < n;) {
        size_t len = n - at < step ? n - at : step;
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)((at + i) * 7);
        assert_int_equal(fwrite(buf, 1, len, f), len);
        at += len;
    }
}

static void assert_pattern(const unsigned char *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(data[i], (unsigned char)(i * 7));
}

static void test_held(void **state)
{
    (void)state;
    spill s;
    FILE *f = spill_open(&s, path, 10000);
    assert_non_null(f);
    write_pattern(f, 10000, 333); /* exactly the bound */
    assert_int_equal(spill_size(&s), 10000);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(spill_sync(&s), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    wm_blob b;
    spill_take(&s, &b);
    assert_true(b.held);
    assert_int_equal(b.len, 10000);
    assert_pattern(b.data, b.len);
    wm_blob_free(&b);
    assert_null(b.data);
}

static void test_spilled(void **state)
{
    (void)state;
    spill s;
    FILE *f = spill_open(&s, path, 10000);
    assert_non_null(f);
    write_pattern(f, 25000, 999);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(spill_sync(&s), 0);
    assert_int_equal(spill_size(&s), 25000);
    wm_blob b;
    spill_take(&s, &b);
    assert_false(b.held);
    assert_null(b.data);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 25000);
    unsigned char *data = malloc(25000);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    assert_int_equal(fread(data, 1, 25000, in), 25000);
    fclose(in);
    assert_pattern(data, 25000);
    free(data);
}

static void test_no_bound(void **state)
{
    (void)state;
    spill s;
    FILE *f = spill_open(&s, path, 0);
    assert_non_null(f);
    assert_int_equal(access(path, F_OK), 0); /* made at once, as fopen */
    write_pattern(f, 10, 10);
    assert_int_equal(fclose(f), 0);
    wm_blob b;
    spill_take(&s, &b);
    assert_false(b.held);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 10);
}

static void test_cannot_spill(void **state)
{
    (void)state;
    spill s;
    errno = 0;
    assert_null(spill_open(&s, "/nonexistent-wm-dir/x", 0));
    assert_int_equal(errno, ENOENT);
    FILE *f = spill_open(&s, "/nonexistent-wm-dir/x", 100);
    assert_non_null(f); /* nothing is made before the bound is passed */
    setvbuf(f, NULL, _IONBF, 0);
    char buf[200] = {0};
    assert_int_equal(fwrite(buf, 1, 50, f), 50);
    assert_int_not_equal(fwrite(buf, 1, 200, f), 200);
    assert_true(ferror(f));
    fclose(f);
    spill_discard(&s);
    /* A zeroed spill holds nothing, descriptor 0 included. */
    spill zero;
    memset(&zero, 0, sizeof zero);
    wm_blob b;
    spill_take(&zero, &b);
    assert_false(b.held);
    spill_discard(&zero);
    assert_int_not_equal(fcntl(0, F_GETFD), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spilled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cannot_spill, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
