/* wm_range: see wm_range.h. */
#include "wm_range.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Digits at *p into *out (at most 19, so no overflow); false when none. */
static bool digits(const char **p, uint64_t *out)
{
    uint64_t n = 0;
    size_t count = 0;
    while (**p >= '0' && **p <= '9' && count < 19) {
        n = n * 10 + (uint64_t)(**p - '0');
        (*p)++;
        count++;
    }
    *out = n;
    return count > 0 && !(**p >= '0' && **p <= '9');
}

wm_range_kind wm_range_parse(const char *header, uint64_t size,
                             uint64_t *first, uint64_t *last)
{
    if (!header || strncmp(header, "bytes=", 6) != 0)
        return WM_RANGE_WHOLE;
    const char *p = header + 6;
    uint64_t a = 0, b = 0;
    if (*p == '-') { /* the last b bytes */
        p++;
        if (!digits(&p, &b) || *p)
            return WM_RANGE_WHOLE;
        if (b == 0 || size == 0)
            return WM_RANGE_UNSATISFIABLE;
        *first = size > b ? size - b : 0;
        *last = size - 1;
        return WM_RANGE_PART;
    }
    if (!digits(&p, &a) || *p++ != '-')
        return WM_RANGE_WHOLE;
    bool open_ended = *p == '\0';
    if (!open_ended && (!digits(&p, &b) || *p || b < a))
        return WM_RANGE_WHOLE; /* also "a-b,c-d": several ranges */
    if (a >= size)
        return WM_RANGE_UNSATISFIABLE;
    *first = a;
    *last = open_ended || b >= size ? size - 1 : b;
    return WM_RANGE_PART;
}

static struct MHD_Response *unsatisfiable(int fd, uint64_t size)
{
    close(fd);
    char message[128];
    snprintf(message, sizeof message,
             "the range asked for starts past the end of the file, which "
             "is %" PRIu64 " bytes", size);
    json_t *doc = json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
                            "range_not_satisfiable", "message", message,
                            "parameter", "Range");
    struct MHD_Response *resp = wm_http_json_response(doc);
    char range[48];
    snprintf(range, sizeof range, "bytes */%" PRIu64, size);
    if (resp)
        MHD_add_response_header(resp, "Content-Range", range);
    return resp;
}

struct MHD_Response *wm_range_response(wm_http_request *req, int fd,
                                       uint64_t size,
                                       const char *last_modified,
                                       unsigned *status)
{
    assert(fd >= 0 && last_modified);
    uint64_t first = 0, last = 0;
    const char *if_range = wm_http_header(req, "If-Range");
    wm_range_kind kind = WM_RANGE_WHOLE;
    /* If-Range: the part only of the very file the client has part of. */
    if (!if_range || !strcmp(if_range, last_modified))
        kind = wm_range_parse(wm_http_header(req, "Range"), size, &first,
                              &last);
    if (kind == WM_RANGE_UNSATISFIABLE) {
        *status = 416;
        return unsatisfiable(fd, size);
    }
    uint64_t length = kind == WM_RANGE_PART ? last - first + 1 : size;
    struct MHD_Response *resp =
        MHD_create_response_from_fd_at_offset64(length, fd, first);
    if (!resp) {
        close(fd);
        return NULL;
    }
    *status = kind == WM_RANGE_PART ? 206 : 200;
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "Last-Modified", last_modified);
    if (kind == WM_RANGE_PART) {
        char range[80];
        snprintf(range, sizeof range,
                 "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, size);
        MHD_add_response_header(resp, "Content-Range", range);
    }
    return resp;
}
