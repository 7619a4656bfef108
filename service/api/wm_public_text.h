/* wm_public_text: what of an error may leave the daemon.
 *
 * Errors are built where they happen, for whoever reads them (wm_error.h),
 * and so carry server paths ("opening /var/lib/wiremeter/pcaps/3.pcap:
 * No space left on device") and SQLite's own words. Clients of the HTTP
 * API, who may be anyone, get neither: the rule is that
 * - an absolute path in a message is replaced by the file's role ("the
 *   run's capture file", "the store's database"), kernel interfaces
 *   under /proc and /sys aside, since they are the same on every host;
 * - an error of the server itself (io_error, internal_error: the store,
 *   the disk, memory) is logged whole on stderr and answered with its
 *   code and a message that says where the details are.
 * Messages about the request (a bad parameter, no such run, a capture
 * permission to grant) are kept: they are what the user needs. */
#ifndef WM_PUBLIC_TEXT_H
#define WM_PUBLIC_TEXT_H

#include <stddef.h>

#include "wm_http.h"

/* message with each server path replaced by its role, into buf (len
 * bytes, cut on a character boundary). Returns buf. */
const char *wm_public_message(const char *message, char *buf, size_t len);

/* wm_http_send_wm_error for an error that may carry server details: an
 * error of the server is logged (with the request) and answered without
 * its text, any other has its paths replaced. */
int wm_api_send_error(wm_http_request *req, const wm_error *err);

#endif
