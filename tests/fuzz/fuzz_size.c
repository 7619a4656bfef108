/* libFuzzer target: wm_size_parse on arbitrary bytes.
 *
 * Beyond "no crash, no sanitizer report", every accepted size must survive
 * a round trip through wm_size_format, and the limit must behave: a value
 * accepted without limit is accepted under the default limit exactly when
 * it is within it, and refused as too large otherwise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wm_size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const char *text, uint64_t bytes)
{
    char formatted[64];
    uint64_t back = 0;
    wm_size_format(bytes, formatted, sizeof formatted);
    if (wm_size_parse(formatted, UINT64_MAX, &back, NULL) != 0 ||
        back != bytes)
        abort(); /* the formatter wrote something the parser reads back
                    differently */

    uint64_t limited = 0;
    wm_error err = {0};
    int rc = wm_size_parse(text, WM_SIZE_DEFAULT_MAX, &limited, &err);
    if (bytes <= WM_SIZE_DEFAULT_MAX ? (rc != 0 || limited != bytes)
                                     : (rc == 0 ||
                                        err.kind != WM_ERR_TOO_LARGE))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    uint64_t bytes = 0;
    wm_error err = {0};
    if (wm_size_parse(text, UINT64_MAX, &bytes, &err) == 0)
        check_accepted(text, bytes);
    else if (err.kind != WM_ERR_INVALID ||
             strcmp(err.parameter, "size") != 0 ||
             memchr(err.message, '\0', sizeof err.message) == NULL)
        abort();
    free(text);
    return 0;
}
