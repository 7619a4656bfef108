/* wm_upload: from the body of POST /captures, as the HTTP layer wrote it
 * to a temporary file, to the capture file itself — taken out of a
 * multipart/form-data form (the page's file input), gunzipped (a .gz file,
 * or Content-Encoding: gzip), and checked to begin like a pcap or pcapng.
 *
 * Why a module: these are the only steps between the bytes received and
 * the store, each one bounded and each one a reason to refuse that the user
 * must be told in words; the handler only orders them. Every step streams
 * from file to file (64 KiB at a time): an upload is never in memory, and
 * a gzip bomb stops at --max-upload of output. */
#ifndef WM_UPLOAD_H
#define WM_UPLOAD_H

#include <stdint.h>

#include "wm_error.h"

/* The Content-Types a capture may come as (Content-Type absent is taken
 * too), for messages and the OpenAPI document alike. */
#define WM_UPLOAD_TYPES_TEXT                                        \
    "application/vnd.tcpdump.pcap, application/octet-stream or "    \
    "multipart/form-data"

/* Whether a request's Content-Type (NULL: none) and Content-Encoding
 * (NULL: none) may carry a capture; err (parameter the header) when not. */
int wm_upload_check_headers(const char *content_type, const char *encoding,
                            wm_error *err);

/* The capture within the upload at path (size bytes): *out_path is path
 * itself or a new file of dir (malloc'd name; the caller removes it), and
 * *out_size its bytes. Refuses with err: WM_ERR_INVALID (400: a form with
 * no file, a damaged gzip stream, parameter "body"), WM_ERR_TOO_LARGE (413:
 * more than max_bytes once decompressed), and "not a capture", for which
 * *unsupported is set (415). */
int wm_upload_unwrap(const char *dir, const char *path, uint64_t size,
                     const char *content_type, const char *encoding,
                     uint64_t max_bytes, char **out_path, uint64_t *out_size,
                     int *unsupported, wm_error *err);

#endif
