/* report_internal: what the report's two files (report.c: documents and
 * fragments; report_packet.c: packet rows) share. */
#ifndef WM_REPORT_INTERNAL_H
#define WM_REPORT_INTERNAL_H

#include "wm_report.h"

/* "client" or "server" (defined with the rows, which name sides too). */
const char *wm_report_side_name(wm_side side);

#endif
