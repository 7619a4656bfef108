/* analyze_rtt: see analyze_rtt.h. */
#include "analyze_rtt.h"

#include <assert.h>
#include <stdlib.h>

#define EXACT 32u          /* values below this have a bucket each */
#define SUB_BITS 4u        /* 16 buckets per power of two */
#define TOP_EXPONENT 47u   /* the last power of two with its buckets */
#define FIRST_EXPONENT 5u  /* log2(EXACT) */
#define BUCKETS (EXACT + (TOP_EXPONENT - FIRST_EXPONENT + 1) * (1u << SUB_BITS))

static unsigned bucket_of(int64_t ns)
{
    if (ns < (int64_t)EXACT)
        return ns < 0 ? 0 : (unsigned)ns;
    uint64_t v = (uint64_t)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    if (e > TOP_EXPONENT)
        return BUCKETS - 1;
    unsigned sub = (unsigned)(v >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1);
    unsigned b = EXACT + (e - FIRST_EXPONENT) * (1u << SUB_BITS) + sub;
    assert(b < BUCKETS);
    return b;
}

/* The midpoint of bucket b. */
static int64_t value_of(unsigned b)
{
    if (b < EXACT)
        return (int64_t)b;
    unsigned e = FIRST_EXPONENT + (b - EXACT) / (1u << SUB_BITS);
    uint64_t sub = (b - EXACT) % (1u << SUB_BITS);
    uint64_t width = 1ull << (e - SUB_BITS);
    uint64_t low = (1ull << e) + sub * width;
    return (int64_t)(low + width / 2);
}

void wm_rtt_add(wm_rtt_hist *h, int64_t ns)
{
    if (!h->buckets && !h->dropped) {
        h->buckets = calloc(BUCKETS, sizeof *h->buckets);
        h->dropped = !h->buckets;
    }
    if (h->count == 0 || ns < h->min_ns)
        h->min_ns = ns;
    if (h->count == 0 || ns > h->max_ns)
        h->max_ns = ns;
    h->count++;
    h->sum_ns += ns;
    if (h->buckets) {
        uint32_t *slot = &h->buckets[bucket_of(ns)];
        if (*slot < UINT32_MAX)
            (*slot)++;
    }
}

static int64_t percentile(const wm_rtt_hist *h, unsigned per_mille)
{
    uint64_t seen = 0, total = 0;
    for (unsigned b = 0; b < BUCKETS; b++)
        total += h->buckets[b];
    /* the smallest sample with at least per_mille of them at or below */
    uint64_t rank = (total * per_mille + 999) / 1000;
    if (rank == 0)
        rank = 1;
    for (unsigned b = 0; b < BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            int64_t v = value_of(b);
            return v < h->min_ns ? h->min_ns : v > h->max_ns ? h->max_ns : v;
        }
    }
    return h->max_ns;
}

void wm_rtt_summarize(const wm_rtt_hist *h, wm_rtt_summary *out)
{
    *out = (wm_rtt_summary){.count = h->count};
    if (h->count == 0)
        return;
    out->min_ns = h->min_ns;
    out->max_ns = h->max_ns;
    out->mean_ns = h->sum_ns / (int64_t)h->count;
    out->percentiles_known = h->buckets != NULL;
    if (h->buckets) {
        out->p50_ns = percentile(h, 500);
        out->p99_ns = percentile(h, 990);
    }
}

void wm_rtt_free(wm_rtt_hist *h)
{
    free(h->buckets);
    h->buckets = NULL;
}
