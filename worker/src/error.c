/* wm_error: see wm_error.h. */
#include "wm_error.h"

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
