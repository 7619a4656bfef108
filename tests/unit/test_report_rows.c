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

#include "json_assert.h"
#include "report_packet_json_pack.inc"
#include "tshark_samples.h"

static size_t check_capture(const char *file, size_t *rows)
{
    char path[512];
    wm_trace trace;
    wm_analysis analysis;
    snprintf(path, sizeof path, "%s/%s", TSHARK_SAMPLES_DIR, file);
    sample_read(path, &trace, &analysis);
    size_t bad = 0, shown = 0;
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
            json_decref(now);
            json_decref(was);
            char what[300];
            snprintf(what, sizeof what, "%s frame %u", file,
                     (unsigned)p.frame_no);
            bad += json_texts_differ(what, a, b, &shown);
            (*rows)++;
        }
    }
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return bad;
}

static void test_rows_unchanged(void **state)
{
    (void)state;
    DIR *dir = opendir(TSHARK_SAMPLES_DIR);
    assert_non_null(dir);
    size_t captures = 0, rows = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!sample_stem(e->d_name))
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
