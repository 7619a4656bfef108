/* store_running: the runs a worker has started, kept in memory rather
 * than written. Their rows say queued until the run ends; every read
 * shows them running, with the time they started, and the run's end
 * writes its final state and that start in one commit.
 *
 * Why not written: a commit costs a small run a sixth of its time, and a
 * "running" row promises nothing a queued one does not. After a crash or
 * a power cut, recovery fails every run left queued or running alike
 * (store_recover.c), and a queued run is never started twice: only the
 * worker the job queue gave it to starts it. */
#include "store_internal.h"

#include <assert.h>
#include <stdlib.h>

int store_running_add(wm_store *store, int64_t id, int64_t started_ns)
{
    assert(!store_running_find(store, id));
    if (store->running_count == store->running_capacity) {
        size_t cap = store->running_capacity ? store->running_capacity * 2
                                             : 8;
        store_running *grown = realloc(store->running, cap * sizeof *grown);
        if (!grown)
            return -1;
        store->running = grown;
        store->running_capacity = cap;
    }
    store->running[store->running_count++] =
        (store_running){.id = id, .started_ns = started_ns};
    return 0;
}

const store_running *store_running_find(const wm_store *store, int64_t id)
{
    for (size_t i = 0; i < store->running_count; i++)
        if (store->running[i].id == id)
            return &store->running[i];
    return NULL;
}

int64_t store_running_take(wm_store *store, int64_t id)
{
    for (size_t i = 0; i < store->running_count; i++)
        if (store->running[i].id == id) {
            int64_t started_ns = store->running[i].started_ns;
            store->running[i] = store->running[--store->running_count];
            return started_ns;
        }
    return 0;
}

void store_running_apply(const wm_store *store, wm_store_run *run)
{
    if (run->status != WM_STORE_QUEUED)
        return;
    const store_running *r = store_running_find(store, run->id);
    if (r) {
        run->status = WM_STORE_RUNNING;
        run->started_ns = r->started_ns;
    }
}
