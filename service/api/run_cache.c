/* wm_run_cache: see wm_run_cache.h. */
#include "wm_run_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    int64_t id;          /* 0: empty */
    uint64_t deletions;  /* the store's deletion count when it was read */
    char *text;          /* NUL-terminated */
    size_t len;
} slot;

struct wm_run_cache {
    pthread_mutex_t lock;  /* guards the slots; held for a copy at most */
    size_t count;
    slot *slots;
};

wm_run_cache *wm_run_cache_new(size_t slots)
{
    wm_run_cache *cache = calloc(1, sizeof *cache);
    if (!cache)
        return NULL;
    cache->count = slots ? slots : 1;
    cache->slots = calloc(cache->count, sizeof *cache->slots);
    if (!cache->slots || pthread_mutex_init(&cache->lock, NULL) != 0) {
        free(cache->slots);
        free(cache);
        return NULL;
    }
    return cache;
}

void wm_run_cache_free(wm_run_cache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < cache->count; i++)
        free(cache->slots[i].text);
    free(cache->slots);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

static slot *slot_of(wm_run_cache *cache, int64_t id)
{
    return &cache->slots[(uint64_t)id % cache->count];
}

char *wm_run_cache_get(wm_run_cache *cache, int64_t id, uint64_t deletions,
                       size_t *len)
{
    char *copy = NULL;
    pthread_mutex_lock(&cache->lock);
    const slot *s = slot_of(cache, id);
    if (id > 0 && s->id == id && s->deletions == deletions) {
        copy = malloc(s->len + 1);
        if (copy) {
            memcpy(copy, s->text, s->len + 1);
            *len = s->len;
        }
    }
    pthread_mutex_unlock(&cache->lock);
    return copy;
}

void wm_run_cache_put(wm_run_cache *cache, int64_t id, uint64_t deletions,
                      const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy || id <= 0) {
        free(copy);
        return;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&cache->lock);
    slot *s = slot_of(cache, id);
    char *old = s->text;
    *s = (slot){.id = id, .deletions = deletions, .text = copy, .len = len};
    pthread_mutex_unlock(&cache->lock);
    free(old);
}
