/* path_bpf: the link's random loss without sch_netem: a small eBPF program
 * (BPF_PROG_TYPE_SCHED_CLS, direct action) on a wire end's egress, which
 * drops each TCP frame with the asked probability, drawn from a xorshift64
 * generator whose state lives in a one-element array map, seeded by the
 * run's `seed`. The same map counts the frames it saw and the ones it
 * dropped, read at the end of the run.
 *
 * Why eBPF and not netem: this host's kernel has no sch_netem, and cls_bpf
 * is in every kernel that has tc; why hand-assembled instructions: thirty
 * of them do not justify clang and libbpf as build dependencies.
 *
 * Why only TCP frames draw: ARP, and IPv6's neighbour and router
 * messages, are sent at times of the kernel's choosing; were they drawn
 * for, a repeated run would see its random sequence shifted by them. So
 * the n-th TCP frame one way meets the n-th number of that way's sequence,
 * run after run. Prefix path_bpf_. */
#ifndef PATH_BPF_H
#define PATH_BPF_H

#include <stdint.h>

#include "wm_error.h"

/* The counts of one program, read from its map. */
typedef struct path_bpf_counts {
    uint64_t seen_frames;    /* TCP frames that drew a number */
    uint64_t dropped_frames; /* of them, dropped */
} path_bpf_counts;

/* Loads a program dropping loss_centi/10000 of the TCP frames, its
 * generator seeded from (seed, stream): each stream (a direction) its own
 * sequence. *prog_fd and *map_fd are the caller's to close. */
int path_bpf_loss(uint32_t loss_centi, uint64_t seed, uint32_t stream,
                  int *prog_fd, int *map_fd, wm_error *err);

/* The counts so far of the program whose map is map_fd. */
int path_bpf_read(int map_fd, path_bpf_counts *out, wm_error *err);

/* The generator's first state for (seed, stream), never 0 (xorshift's
 * one fixed point): splitmix64 of the two, as tests may recompute it. */
uint64_t path_bpf_first_state(uint64_t seed, uint32_t stream);

#endif
