/* report_internal: what the report's two files (report.c: documents and
 * fragments; report_packet.c: packet rows) share. */
#ifndef WM_REPORT_INTERNAL_H
#define WM_REPORT_INTERNAL_H

#include "wm_report.h"

/* "client" or "server" (defined with the rows, which name sides too). */
const char *wm_report_side_name(wm_side side);

/* An object is built key by key, in the document's order, with these
 * rather than json_pack (report.c says why). key is one of the report's
 * ASCII literals, never checked as UTF-8. Each returns 1 when the value
 * could not be made or set (no memory; the value is released), 0 when
 * set: the builders add them up and report_done drops an object that
 * counted one, as json_pack dropped it. */
static inline int report_set(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new_nocheck(obj, key, value) != 0;
}

static inline int report_set_int(json_t *obj, const char *key,
                                 json_int_t value)
{
    return report_set(obj, key, json_integer(value));
}

/* obj when nothing failed while it was built (failures == 0), else NULL
 * with obj released. */
static inline json_t *report_done(json_t *obj, int failures)
{
    if (failures == 0)
        return obj;
    json_decref(obj);
    return NULL;
}

#endif
