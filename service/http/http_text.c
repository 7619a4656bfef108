/* wm_http: what a client sent, quoted back in a message.
 *
 * Error messages are JSON strings, and jansson refuses a string that is
 * not valid UTF-8: a message quoting a path like /%ff would make the whole
 * response fail (it used to leave as an empty 500, or not at all). Control
 * bytes in a message make logs and terminals lie. So anything a client
 * sent is passed through wm_http_quote before it is quoted, and every
 * message passes through it once more on its way out (wm_http_send_error)
 * as a net for a caller that forgot. */
#include "wm_http.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "http_internal.h"

/* One implementation of UTF-8 validity and quoting serves the engine and
 * the daemon: the engine's (wm_error.h). */
bool wm_http_utf8_valid(const char *text, size_t len)
{
    return wm_utf8_valid(text, len);
}

const char *wm_http_quote(char *dst, size_t dst_size, const char *src,
                          size_t src_len)
{
    assert(dst && dst_size >= 4);
    /* Room for the "..." of a cut. */
    return wm_text_quote(src, src_len, dst_size - 4, dst, dst_size);
}

/* vsnprintf cut text at a byte count: drop a character left incomplete
 * at the end, so that the cut falls on a character boundary. */
static size_t trim_partial_tail(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = s[len - back];
        if ((c & 0xc0) == 0x80)
            continue; /* a continuation byte: look further back */
        if (c >= 0xc2 && c <= 0xf4 &&
            !wm_utf8_valid((const char *)s + len - back, back))
            return len - back;
        break;
    }
    return len;
}

void wm_http_clean_message(char *dst, size_t dst_size, const char *text,
                           size_t len, bool truncated)
{
    if (truncated)
        len = trim_partial_tail(text, len);
    wm_http_quote(dst, dst_size, text, len);
}
