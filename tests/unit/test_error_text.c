/* Input quoted in messages (wm_error_quote) and the text check of labels
 * (wm_text_valid_prefix): a message goes into JSON, which must be UTF-8,
 * and to terminals, which obey control bytes; so whatever a client sent
 * comes out as valid UTF-8, cut on a character boundary, with the rest
 * shown as \xNN. Every UTF-8 rule of RFC 3629 has a case here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wm_error.h"

static void test_valid_prefix(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t valid;
    } cases[] = {
        {"", 0},
        {"plain text", 10},
        {"\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", 14},
        {"ab\xff", 2},                 /* never a UTF-8 byte */
        {"\xc0\xaf", 0},               /* overlong '/' */
        {"\xe0\x80\xaf", 0},           /* overlong, three bytes */
        {"x\xed\xa0\x80", 1},          /* a surrogate */
        {"\xf4\x90\x80\x80", 0},       /* past U+10FFFF */
        {"ok\xe2\x82", 2},             /* cut character */
        {"a\tb", 1},                   /* C0 control */
        {"a\x7f", 1},                  /* DEL */
        {"ab\xc2\x85", 2},             /* C1 control (NEL) */
        {"\xc2\xa0nbsp", 6},           /* U+00A0 is text */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (wm_text_valid_prefix(cases[i].text) != cases[i].valid)
            fail_msg("case %zu: valid prefix %zu, expected %zu", i,
                     wm_text_valid_prefix(cases[i].text), cases[i].valid);
}

static void test_quote(void **state)
{
    (void)state;
    char buf[80];
    assert_string_equal(wm_error_quote("13B", 64, buf, sizeof buf), "13B");
    assert_string_equal(wm_error_quote("\xff\xfe", 64, buf, sizeof buf),
                        "\\xFF\\xFE");
    assert_string_equal(wm_error_quote("a\nb\x1b[31m", 64, buf, sizeof buf),
                        "a\\x0Ab\\x1B[31m");
    assert_string_equal(wm_error_quote(NULL, 64, buf, sizeof buf), "");
    /* Cut on a character boundary, never inside "é" (2 bytes). */
    assert_string_equal(wm_error_quote("abc\xc3\xa9", 4, buf, sizeof buf),
                        "abc...");
    assert_string_equal(wm_error_quote("abc\xc3\xa9", 5, buf, sizeof buf),
                        "abc\xc3\xa9");
    /* An escape is whole or absent. */
    assert_string_equal(wm_error_quote("ab\xff", 4, buf, sizeof buf),
                        "ab...");
    /* max beyond the buffer: the buffer wins, and the result is text. */
    char small[8];
    wm_error_quote("\xe2\x9c\x93\xe2\x9c\x93\xe2\x9c\x93", 64, small,
                   sizeof small);
    assert_int_equal(wm_text_valid_prefix(small), strlen(small));
    assert_true(strlen(small) < sizeof small);
    /* Any byte string: the result is always valid text. */
    char input[257];
    for (int i = 0; i < 256; i++)
        input[i] = (char)(i == 0 ? 'x' : i);
    input[256] = '\0';
    for (size_t max = 0; max < sizeof buf; max++) {
        wm_error_quote(input, max, buf, sizeof buf);
        assert_int_equal(wm_text_valid_prefix(buf), strlen(buf));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_prefix),
        cmocka_unit_test(test_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
