/* store_state: whether the store can be written, and what it could not
 * write.
 *
 * Why: a full disk or a read-only data directory must not turn into runs
 * that stay "running" forever, a daemon that refuses to start, or a
 * /healthz that says ok. So a write that fails for lack of space or of
 * access marks the store degraded with a reason; a run's failure (or a
 * sweep's end) that could not be written is kept here and reported by
 * every read as if it were stored; wm_store_retry writes it later, and
 * clears the degraded mark once a write succeeds again. A store opened
 * read-only, or whose start-up recovery could not be written, refuses
 * every write of a request (POST, DELETE) until then. */
#include "store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "wm_clock.h"
#include "wm_size.h"

int store_refuse_if_read_only(wm_store *store, wm_error *err)
{
    if (!store->conn_read_only && store->recovered)
        return 0;
    return wm_error_set(err, WM_ERR_READ_ONLY,
                        "the store is read-only: %s; runs can be read, "
                        "none started or deleted", store->write_reason);
}

/* Free bytes for an unprivileged writer on the data directory's disk;
 * UINT64_MAX when statvfs cannot tell (the reserve is then not applied
 * rather than refusing every run). */
static uint64_t free_bytes(const wm_store *store)
{
    struct statvfs st;
    if (statvfs(store->data_dir, &st) != 0)
        return UINT64_MAX;
    return (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
}

void wm_store_health_get(wm_store *store, wm_store_health *out)
{
    memset(out, 0, sizeof *out);
    out->free_bytes = free_bytes(store);
    store_lock(store);
    out->min_free_bytes = store->min_free_bytes;
    out->read_only = store_refuse_if_read_only(store, NULL) != 0;
    out->kind = store->write_kind;
    out->unsaved = store->unsaved_count;
    snprintf(out->reason, sizeof out->reason, "%s", store->write_reason);
    store_unlock(store);
    out->writable = !out->read_only && out->kind == WM_ERR_NONE;
    if (!out->writable)
        return;
    /* A disk with nothing left is full whatever the reserve says. */
    if (out->free_bytes == 0) {
        snprintf(out->reason, sizeof out->reason, STORE_MSG_FULL);
        out->kind = WM_ERR_NO_SPACE;
    } else if (out->free_bytes < out->min_free_bytes) {
        char have[32], want[32];
        wm_size_format(out->free_bytes, have, sizeof have);
        wm_size_format(out->min_free_bytes, want, sizeof want);
        snprintf(out->reason, sizeof out->reason,
                 "the data directory's disk has %s free, below the %s "
                 "reserve (--min-free)", have, want);
        out->kind = WM_ERR_NO_SPACE;
    }
}

int wm_store_check_room(wm_store *store, wm_error *err)
{
    wm_store_health h;
    wm_store_health_get(store, &h);
    if (h.kind == WM_ERR_NO_SPACE && h.writable)
        return wm_error_set(err, WM_ERR_NO_SPACE, "no room for new runs: "
                            "%s; delete runs or free space", h.reason);
    if (!h.writable)
        return wm_error_set(err, WM_ERR_READ_ONLY, "the store %s: %s; runs "
                            "can be read, none started until it can be "
                            "written", h.read_only ? "is read-only"
                                                   : "cannot be written",
                            h.reason);
    return 0;
}
