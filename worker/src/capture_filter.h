/* capture_filter: a run's kernel filter, "tcp port N", compiled once per
 * link type and snaplen instead of once per run.
 *
 * Why: pcap_compile builds and optimises the program anew each time,
 * about 30 us of a small run's CPU, and only the port changes from run to
 * run. So a cache compiles the filter twice, for two template ports, and
 * keeps the program when the two differ only in the constants that are
 * those ports; a run's program is then that program with its own port in
 * those places. A program that differs otherwise, or a port equal to one
 * of the program's other constants (where the optimiser could have made
 * another program), is compiled as before. tests/unit/test_capture_filter.c
 * compares the two over the port range.
 *
 * The cache is owned by a capture pool (capture_pool.h): it is the
 * daemon's small runs that pay the compile per run. Every function may be
 * called from any thread. */
#ifndef CAPTURE_FILTER_H
#define CAPTURE_FILTER_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

typedef struct capture_filter_cache capture_filter_cache;

/* An empty cache, or NULL when out of memory. */
capture_filter_cache *capture_filter_cache_new(void);
void capture_filter_cache_free(capture_filter_cache *cache);

/* The filter's text for port, into text (the one spelling of it). */
void capture_filter_text(uint16_t port, char *text, size_t len);

/* The program of capture_filter_text(port) for handle's link type and
 * snaplen into *prog (free it with pcap_freecode): from the cache when
 * it can be (cache NULL: never), else by pcap_compile. 1: from the
 * cache, 0: compiled, -1: pcap_compile failed (pcap_geterr(handle) says
 * why). */
int capture_filter_compile(capture_filter_cache *cache, pcap_t *handle,
                           uint16_t port, struct bpf_program *prog);

#endif
