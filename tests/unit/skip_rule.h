/* The one skip rule of the unit tests: a test that needs something this
 * machine may lack (capture rights, ::1) skips saying why — unless
 * WIREMETER_REQUIRE_CAPTURE=1 (CI, root), where a missing capability is a
 * failure, so that a suite that "passes" has run every test. */
#ifndef WM_TEST_SKIP_RULE_H
#define WM_TEST_SKIP_RULE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WM_TEST_SKIP_OR_FAIL(why)                                           \
    do {                                                                    \
        const char *wm_require_ = getenv("WIREMETER_REQUIRE_CAPTURE");      \
        if (wm_require_ && strcmp(wm_require_, "1") == 0)                   \
            fail_msg("%s (WIREMETER_REQUIRE_CAPTURE=1, so this is a "       \
                     "failure)", why);                                      \
        print_message("SKIP: %s\n", why);                                   \
        skip();                                                             \
    } while (0)

/* The same rule for a program whose every test captures on lo, before
 * cmocka runs: exits 77 (ctest's skip) saying why, or 1 when
 * WIREMETER_REQUIRE_CAPTURE=1. The includer has wm_capture.h. */
#define WM_TEST_EXIT_UNLESS_CAPTURE()                                       \
    do {                                                                    \
        wm_error wm_err_ = {0};                                             \
        if (wm_capture_permitted("lo", &wm_err_))                           \
            break;                                                          \
        const char *wm_require_ = getenv("WIREMETER_REQUIRE_CAPTURE");      \
        if (wm_require_ && strcmp(wm_require_, "1") == 0) {                 \
            printf("FAIL: capture is not permitted and "                    \
                   "WIREMETER_REQUIRE_CAPTURE=1: %s\n", wm_err_.message);  \
            exit(1);                                                        \
        }                                                                   \
        printf("SKIP: capture is not permitted here: %s\n",                \
               wm_err_.message);                                            \
        exit(77);                                                           \
    } while (0)

#endif
