/* path_bpf: see path_bpf.h.
 *
 * The program, r1 the packet's context (kept in r6, which LD_ABS needs):
 * not an IPv4 or IPv6 TCP frame → pass; look the map's one value up;
 * x ^= x << 13, x ^= x >> 7, x ^= x << 17 (Marsaglia's xorshift64),
 * store x, count the frame; the upper 32 bits of x below the threshold →
 * count the drop and return TC_ACT_SHOT. LD_ABS reads from the frame's
 * Ethernet header (cls_bpf hands the frame over at L2 on egress), and
 * ends the program with 0, TC_ACT_OK, on a frame too short.
 *
 * Two CPUs may run it at once on one wire end (a sender's frames go out
 * of the process and of the softirq that handles its ACKs). The counts are
 * added atomically, so they are exact; the generator's read-modify-write
 * is not, and two frames crossing there may each draw the same number:
 * the loss rate holds, only the frame numbers of a repeated run can
 * differ from then on. */
#include "path_bpf.h"

#include <assert.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOG_BYTES 4096u /* of the verifier's words, on a refusal */

/* The map's value: the generator's state, then the counts. */
enum { VALUE_STATE = 0, VALUE_SEEN = 8, VALUE_DROPPED = 16, VALUE_BYTES = 24 };

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP_NUMBER 6

#define INSN(c, d, s, o, i)                                                 \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s),         \
                       .off = (o), .imm = (i)})
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV32_IMM(d, i) INSN(BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LD_ABS(size, at) INSN(BPF_LD | BPF_ABS | (size), 0, 0, 0, at)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define LDX_DW(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define STX_DW(d, s, o) INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define ATOMIC_ADD_DW(d, s, o)                                              \
    INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Jumps count the instructions after the jump's own: PASS is where the
 * frame goes on unharmed, the program's second-to-last instruction. */
#define PASS 34
#define TO_PASS(at) (PASS - (at) - 1)
#define PROGRAM_INSNS 36

static long bpf(int cmd, union bpf_attr *attr)
{
    return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

uint64_t path_bpf_first_state(uint64_t seed, uint32_t stream)
{
    uint64_t z = seed + (uint64_t)(stream + 1) * 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return z ? z : 1;
}

static void program(uint32_t threshold, int map_fd,
                    struct bpf_insn insns[PROGRAM_INSNS])
{
    const struct bpf_insn p[PROGRAM_INSNS] = {
        [0] = MOV64_REG(BPF_REG_6, BPF_REG_1),
        [1] = LD_ABS(BPF_H, 12), /* the EtherType */
        [2] = JMP_IMM(BPF_JEQ, BPF_REG_0, ETH_P_IPV4, 6 - 2 - 1),
        [3] = JMP_IMM(BPF_JNE, BPF_REG_0, ETH_P_IPV6, TO_PASS(3)),
        [4] = LD_ABS(BPF_B, 14 + 6), /* IPv6's next header */
        [5] = JMP_IMM(BPF_JA, 0, 0, 7 - 5 - 1),
        [6] = LD_ABS(BPF_B, 14 + 9), /* IPv4's protocol */
        [7] = JMP_IMM(BPF_JNE, BPF_REG_0, IPPROTO_TCP_NUMBER, TO_PASS(7)),
        [8] = ST_W(BPF_REG_10, -4, 0), /* key 0 */
        [9] = MOV64_REG(BPF_REG_2, BPF_REG_10),
        [10] = ALU64_IMM(BPF_ADD, BPF_REG_2, -4),
        [11] = INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD,
                    0, map_fd),
        [12] = INSN(0, 0, 0, 0, 0),
        [13] = CALL(BPF_FUNC_map_lookup_elem),
        [14] = JMP_IMM(BPF_JEQ, BPF_REG_0, 0, TO_PASS(14)),
        [15] = LDX_DW(BPF_REG_1, BPF_REG_0, VALUE_STATE),
        [16] = MOV64_REG(BPF_REG_2, BPF_REG_1),
        [17] = ALU64_IMM(BPF_LSH, BPF_REG_2, 13),
        [18] = ALU64_REG(BPF_XOR, BPF_REG_1, BPF_REG_2),
        [19] = MOV64_REG(BPF_REG_2, BPF_REG_1),
        [20] = ALU64_IMM(BPF_RSH, BPF_REG_2, 7),
        [21] = ALU64_REG(BPF_XOR, BPF_REG_1, BPF_REG_2),
        [22] = MOV64_REG(BPF_REG_2, BPF_REG_1),
        [23] = ALU64_IMM(BPF_LSH, BPF_REG_2, 17),
        [24] = ALU64_REG(BPF_XOR, BPF_REG_1, BPF_REG_2),
        [25] = STX_DW(BPF_REG_0, BPF_REG_1, VALUE_STATE),
        [26] = MOV64_IMM(BPF_REG_2, 1),
        [27] = ATOMIC_ADD_DW(BPF_REG_0, BPF_REG_2, VALUE_SEEN),
        [28] = ALU64_IMM(BPF_RSH, BPF_REG_1, 32),
        /* A 32-bit move: zero-extended, where an immediate compared with
         * a 64-bit register would be sign-extended. */
        [29] = MOV32_IMM(BPF_REG_3, (int32_t)threshold),
        [30] = JMP_REG(BPF_JGE, BPF_REG_1, BPF_REG_3, TO_PASS(30)),
        [31] = ATOMIC_ADD_DW(BPF_REG_0, BPF_REG_2, VALUE_DROPPED),
        [32] = MOV64_IMM(BPF_REG_0, TC_ACT_SHOT),
        [33] = EXIT(),
        [PASS] = MOV64_IMM(BPF_REG_0, TC_ACT_OK),
        [35] = EXIT(),
    };
    memcpy(insns, p, sizeof p);
}

static int load(const struct bpf_insn *insns, char *log, uint32_t log_bytes)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = PROGRAM_INSNS;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    if (log) {
        log[0] = '\0';
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = log_bytes;
        attr.log_level = 1;
    }
    snprintf(attr.prog_name, sizeof attr.prog_name, "wm_loss");
    return (int)bpf(BPF_PROG_LOAD, &attr);
}

static int refused(const char *what, wm_error *err)
{
    int e = errno;
    return wm_error_set(err, e == EPERM ? WM_ERR_PERMISSION : WM_ERR_IO,
                        "path: loss needs eBPF (%s: %s): run as root or with "
                        "CAP_BPF and CAP_NET_ADMIN", what, strerror(e));
}

int path_bpf_loss(uint32_t loss_centi, uint64_t seed, uint32_t stream,
                  int *prog_fd, int *map_fd, wm_error *err)
{
    assert(loss_centi > 0 && loss_centi <= 10000u);
    *prog_fd = *map_fd = -1;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = sizeof(uint32_t);
    attr.value_size = VALUE_BYTES;
    attr.max_entries = 1;
    snprintf(attr.map_name, sizeof attr.map_name, "wm_loss");
    int map = (int)bpf(BPF_MAP_CREATE, &attr);
    if (map < 0)
        return refused("a map", err);
    uint64_t value[VALUE_BYTES / 8] = {path_bpf_first_state(seed, stream),
                                       0, 0};
    uint32_t key = 0;
    memset(&attr, 0, sizeof attr);
    attr.map_fd = (uint32_t)map;
    attr.key = (uint64_t)(uintptr_t)&key;
    attr.value = (uint64_t)(uintptr_t)value;
    if (bpf(BPF_MAP_UPDATE_ELEM, &attr) != 0) {
        int rc = refused("seeding the map", err);
        close(map);
        return rc;
    }
    /* loss_centi / 10000 of 2^32: the upper half of x is uniform. */
    uint32_t threshold =
        (uint32_t)(((uint64_t)loss_centi << 32) / 10000u);
    struct bpf_insn insns[PROGRAM_INSNS];
    program(threshold, map, insns);
    int prog = load(insns, NULL, 0);
    if (prog < 0) {
        int e = errno;
        char log[LOG_BYTES];
        if (e != EPERM && load(insns, log, sizeof log) < 0) {
            /* The verifier's last line says why. */
            size_t len = strlen(log);
            while (len && log[len - 1] == '\n')
                log[--len] = '\0';
            const char *last = strrchr(log, '\n');
            wm_error_set(err, WM_ERR_INTERNAL, "path: the loss program was "
                         "refused: %.120s", last ? last + 1 : log);
        } else {
            errno = e;
            refused("loading a program", err);
        }
        close(map);
        return -1;
    }
    *prog_fd = prog;
    *map_fd = map;
    return 0;
}

int path_bpf_read(int map_fd, path_bpf_counts *out, wm_error *err)
{
    uint64_t value[VALUE_BYTES / 8];
    uint32_t key = 0;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_fd = (uint32_t)map_fd;
    attr.key = (uint64_t)(uintptr_t)&key;
    attr.value = (uint64_t)(uintptr_t)value;
    if (bpf(BPF_MAP_LOOKUP_ELEM, &attr) != 0)
        return wm_error_set(err, WM_ERR_IO, "path: reading the loss "
                            "program's counts: %s", strerror(errno));
    out->seen_frames = value[VALUE_SEEN / 8];
    out->dropped_frames = value[VALUE_DROPPED / 8];
    assert(out->dropped_frames <= out->seen_frames);
    return 0;
}
