/* wm_error: see wm_error.h. */
#include "wm_error.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 2, 0)))
static void set_message(wm_error *err, const char *fmt, va_list args)
{
    vsnprintf(err->message, sizeof err->message, fmt, args);
}

int wm_error_set(wm_error *err, wm_error_kind kind, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = kind;
    err->parameter[0] = '\0';
    va_list args;
    va_start(args, fmt);
    set_message(err, fmt, args);
    va_end(args);
    return -1;
}

int wm_error_param(wm_error *err, wm_error_kind kind, const char *parameter,
                   const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = kind;
    snprintf(err->parameter, sizeof err->parameter, "%s", parameter);
    va_list args;
    va_start(args, fmt);
    set_message(err, fmt, args);
    va_end(args);
    return -1;
}

int wm_error_prefix(wm_error *err, const char *prefix)
{
    if (!err)
        return -1;
    char joined[sizeof err->message];
    snprintf(joined, sizeof joined, "%s%s", prefix, err->message);
    memcpy(err->message, joined, sizeof joined);
    return -1;
}

const char *wm_error_code(wm_error_kind kind)
{
    switch (kind) {
    case WM_ERR_NONE: return "none";
    case WM_ERR_INVALID: return "invalid_parameter";
    case WM_ERR_TOO_LARGE: return "too_large";
    case WM_ERR_NOT_FOUND: return "not_found";
    case WM_ERR_PERMISSION: return "capture_not_permitted";
    case WM_ERR_TIMEOUT: return "timeout";
    case WM_ERR_IO: return "io_error";
    case WM_ERR_INTEGRITY: return "integrity_error";
    case WM_ERR_BUSY: return "busy";
    case WM_ERR_INTERNAL: return "internal_error";
    case WM_ERR_NO_SPACE: return "insufficient_storage";
    case WM_ERR_READ_ONLY: return "read_only";
    case WM_ERR_CANCELLED: return "interrupted";
    case WM_ERR_BUDGET: return "budget_exceeded";
    }
    return "internal_error";
}

void wm_error_clear(wm_error *err)
{
    if (!err)
        return;
    err->kind = WM_ERR_NONE;
    err->parameter[0] = '\0';
    err->message[0] = '\0';
}

/* The length of the valid UTF-8 character at s (n bytes left), or 0 when
 * the bytes there are not one (RFC 3629: shortest form only, no
 * surrogates, nothing past U+10FFFF; a NUL is not text either). */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (n == 0 || c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || len > n)
        return 0;
    unsigned cp = c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* The same, and 0 for a control character too (C0, DEL, C1): what may be
 * shown as it is. */
static size_t char_length(const unsigned char *s, size_t n)
{
    size_t len = utf8_length(s, n);
    bool control = (len == 1 && (s[0] < 0x20 || s[0] == 0x7f)) ||
                   (len == 2 && s[0] == 0xc2 && s[1] <= 0x9f);
    return control ? 0 : len;
}

bool wm_utf8_valid(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t at = 0, n; at < len; at += n)
        if ((n = utf8_length(s + at, len - at)) == 0)
            return false;
    return true;
}

size_t wm_text_valid_prefix(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text), at = 0, n = 0;
    while (at < len && (n = char_length(s + at, len - at)) > 0)
        at += n;
    return at;
}

const char *wm_text_quote(const char *text, size_t text_len, size_t max,
                          char *buf, size_t len)
{
    assert(buf && len > 0);
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t in = 0, out = 0;
    if (!text)
        text_len = 0;
    if (max > len - 1)
        max = len - 1;
    while (in < text_len) {
        size_t n = char_length(s + in, text_len - in);
        size_t need = n ? n : 4;
        if (out + need > max)
            break;
        if (n)
            memcpy(buf + out, s + in, n);
        else
            snprintf(buf + out, 5, "\\x%02X", s[in]);
        out += need;
        in += n ? n : 1;
    }
    if (in < text_len && out + 3 < len) {
        memcpy(buf + out, "...", 3);
        out += 3;
    }
    buf[out] = '\0';
    return buf;
}

const char *wm_error_quote(const char *text, size_t max, char *buf,
                           size_t len)
{
    return wm_text_quote(text, text ? strlen(text) : 0, max, buf, len);
}
