/* wm_run_cache: the rendered GET /runs/{id} documents of runs that ended.
 *
 * Why: a run that is done or failed never changes again, yet rendering
 * its document took a SQLite read, a jansson wrapper and two copies of
 * its result text — half the CPU of a GET /runs/{id}, measured. The
 * cache keeps the finished text of recent runs and hands out copies.
 *
 * What must never happen is serving a run that was deleted (DELETE, or
 * retention). Each entry carries the store's deletion count
 * (wm_store_deletions) read before the run itself was read; a lookup with
 * a different count misses. Any deletion thus empties the cache in
 * effect, which is cheap: it refills at the next GET of each run.
 *
 * Direct-mapped on the id: recent runs have neighbouring ids, so they
 * spread over the slots, and a lookup is one comparison. Threads: every
 * function may be called from any thread. */
#ifndef WM_RUN_CACHE_H
#define WM_RUN_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct wm_run_cache wm_run_cache;

/* A cache of slots documents (at least 1); NULL when out of memory. */
wm_run_cache *wm_run_cache_new(size_t slots);

void wm_run_cache_free(wm_run_cache *cache);

/* A malloc'd copy of run id's document (*len bytes, NUL-terminated) when
 * it was stored under this deletion count; NULL otherwise. */
char *wm_run_cache_get(wm_run_cache *cache, int64_t id, uint64_t deletions,
                       size_t *len);

/* Keeps a copy of an ended run's document, read under this deletion
 * count. Out of memory only means it is not kept. */
void wm_run_cache_put(wm_run_cache *cache, int64_t id, uint64_t deletions,
                      const char *text, size_t len);

#endif
