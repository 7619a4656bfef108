/* The packet rows, byte for byte: every packet of every capture of
 * tests/data/tshark rendered by wm_report_packet_row and by the frozen
 * json_pack builder it replaced (report_packet_json_pack.inc), both
 * dumped as the service dumps them (wm_json_text) and compared. The rows
 * are the API's bytes (docs/result.md, the run documents already stored):
 * building them faster must not change one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_analyze.h"
#include "wm_json_text.h"
#include "wm_report.h"
#include "wm_trace.h"

#include "report_packet_json_pack.inc"

#define DATA_DIR WM_TEST_DATA "/tshark"

static size_t check_capture(const char *file, size_t *rows)
{
    char path[512];
    wm_trace trace;
    wm_analysis analysis;
    wm_error err;
    snprintf(path, sizeof path, "%s/%s", DATA_DIR, file);
    if (wm_trace_read_file(path, &trace, &err) < 0)
        fail_msg("%s: %s", path, err.message);
    assert_int_equal(wm_analyze_trace(&trace, &analysis, &err), 0);
    size_t bad = 0;
    for (size_t k = 0; k < analysis.count; k++) {
        const wm_connection *c = &analysis.connections[k];
        for (size_t i = 0; i < c->packet_count; i++) {
            wm_packet p;
            wm_packet_info info;
            assert_int_equal(wm_connection_row(c, i, &p, &info, NULL), 0);
            json_t *now = wm_report_packet_row(&p, &info, analysis.first_ts_ns);
            json_t *was = old_packet_row(&p, &info, analysis.first_ts_ns);
            assert_non_null(now);
            assert_non_null(was);
            char *a = wm_json_text(now, NULL);
            char *b = wm_json_text(was, NULL);
            assert_non_null(a);
            assert_non_null(b);
            if (strcmp(a, b) != 0) {
                if (bad++ < 3)
                    print_error("%s frame %u:\n now %s\n was %s\n", file,
                                (unsigned)p.frame_no, a, b);
            }
            (*rows)++;
            free(a);
            free(b);
            json_decref(now);
            json_decref(was);
        }
    }
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return bad;
}

static void test_rows_unchanged(void **state)
{
    (void)state;
    DIR *dir = opendir(DATA_DIR);
    assert_non_null(dir);
    size_t captures = 0, rows = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".pcap") != 0)
            continue;
        bad += check_capture(e->d_name, &rows);
        captures++;
    }
    closedir(dir);
    print_message("%zu captures, %zu rows compared\n", captures, rows);
    assert_true(captures >= 10);
    assert_true(rows >= 100);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
