/* wm_range: one byte range of a file (RFC 9110, section 14), so that a
 * large pcap can be downloaded in parts and a cut download resumed
 * (curl -C -, a browser's resume).
 *
 * A single `bytes=first-last`, `bytes=first-` or `bytes=-suffix` is
 * served as 206 with Content-Range; one that starts past the end is 416
 * with `Content-Range: bytes * /size`; anything else (several ranges,
 * another unit, a malformed header, an If-Range that no longer matches)
 * is answered with the whole file, as the RFC lets a server do. */
#ifndef WM_RANGE_H
#define WM_RANGE_H

#include <stdint.h>

#include "wm_http.h"

typedef enum wm_range_kind {
    WM_RANGE_WHOLE,          /* no usable Range: the whole file */
    WM_RANGE_PART,           /* [first, last] of the file */
    WM_RANGE_UNSATISFIABLE,  /* 416 */
} wm_range_kind;

/* header may be NULL. size is the file's. */
wm_range_kind wm_range_parse(const char *header, uint64_t size,
                             uint64_t *first, uint64_t *last);

/* The response for the regular file fd of size bytes, whose
 * Last-Modified is last_modified, as the request's Range and If-Range
 * ask: *status is 200, 206 or 416 (a JSON error). fd is taken over;
 * NULL when out of memory. Accept-Ranges, Last-Modified and, for 206 and
 * 416, Content-Range are set; the caller adds the rest. */
struct MHD_Response *wm_range_response(wm_http_request *req, int fd,
                                       uint64_t size,
                                       const char *last_modified,
                                       unsigned *status);

#endif
