/* analyze_flow: Wireshark's tcp_analyze_sequence_number, check by check.
 *
 * The order of the checks and their exact conditions follow packet-tcp.c
 * (as in Wireshark 4.0, the version Debian 12 ships and our tests compare
 * with): zero window probe, zero window, lost segment, keep-alive, window
 * update, window full, keep-alive ACK, zero window probe ACK, duplicate
 * ACK, then "ACKed unseen segment", then the classification of a segment
 * that does not advance the sequence space (fast retransmission,
 * out-of-order, spurious retransmission, retransmission). Windows are
 * compared raw, as Wireshark does before it applies the scale.
 *
 * Time gaps are unsigned, as Wireshark's nstime arithmetic makes them: a
 * frame whose timestamp steps back is "long after", never "within 20 ms",
 * so it is a plain retransmission where a signed gap would call it fast.
 *
 * Then what tcp_analyze_sequence_number measures: each segment joins its
 * direction's table of unacked segments; an ACK removes those it covers
 * and takes its RTT from the oldest it acks exactly; bytes in flight are
 * the span of the sender's table less the peer's last SACK blocks. */
#include "analyze_flow.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)

#define FAST_RETRANS_WINDOW_NS 20000000   /* packet-tcp.c: 20 ms */
#define DEFAULT_OOO_THRESHOLD_NS 3000000  /* packet-tcp.c: 3 ms */
#define MAX_WSCALE_SHIFT 14               /* RFC 7323 */
#define MAX_BYTES_IN_FLIGHT 2000000000u   /* packet-tcp.c: above is noise */

enum {
    F_SYN = WM_TCP_SYN, F_FIN = WM_TCP_FIN, F_RST = WM_TCP_RST,
    F_ACK = WM_TCP_ACK, F_PSH = WM_TCP_PSH,
};

/* One packet in the analysis: what the checks read. */
typedef struct step {
    wm_flow_state *fwd, *rev;
    const wm_conn_state *conn;
    uint32_t seq, ack, seglen, window, frame;
    uint8_t flags;
    int64_t ts_ns;
    wm_packet_info *info;
    bool has_ta; /* Wireshark made a tcp_acked for it: what shows iRTT */
} step;

void wm_analyze_flow_init(wm_conn_state *state)
{
    memset(state, 0, sizeof *state);
    state->flow[0].win_scale = -1;
    state->flow[1].win_scale = -1;
    state->flow[0].valid_bif = true;
    state->flow[1].valid_bif = true;
}

void wm_analyze_flow_free(wm_conn_state *state)
{
    for (int dir = 0; dir < 2; dir++) {
        free(state->flow[dir].unacked);
        state->flow[dir].unacked = NULL;
        state->flow[dir].unacked_count = state->flow[dir].unacked_capacity = 0;
    }
}

bool wm_analyze_flow_reuses(const wm_conn_state *state, int dir,
                            const wm_packet *p)
{
    const wm_flow_state *fwd = &state->flow[dir];
    return (p->flags & (F_SYN | F_ACK)) == F_SYN && fwd->base_set &&
           p->seq != fwd->base_seq;
}

static void set_bases(const step *s)
{
    if (!s->fwd->base_set) {
        /* Without the SYN, Wireshark starts the relative seq at 1. */
        s->fwd->base_seq = (s->flags & F_SYN) ? s->seq : s->seq - 1;
        s->fwd->base_set = true;
    }
    if (!s->rev->base_set && (s->flags & F_ACK)) {
        s->rev->base_seq = s->ack - 1;
        s->rev->base_set = true;
    }
}

static bool is_plain(const step *s) /* none of SYN, FIN, RST */
{
    return (s->flags & (F_SYN | F_FIN | F_RST)) == 0;
}

static bool repeats_last_ack(const step *s)
{
    return s->seglen == 0 && s->seq == s->fwd->nextseq &&
           s->ack == s->fwd->lastack && is_plain(s);
}

/* A hole before the segment: bytes in flight cannot be known until the
 * peer acks again. */
static uint32_t lost_segment(wm_flow_state *fwd)
{
    fwd->valid_bif = false;
    return WM_MARK_LOST_SEGMENT;
}

/* The checks before "finished_fwd": returns the marks. */
static uint32_t check_forward(const step *s)
{
    const wm_flow_state *fwd = s->fwd, *rev = s->rev;
    if (s->flags & F_ACK)
        s->rev->valid_bif = true;
    uint32_t marks = 0;
    if (s->seglen == 1 && s->seq == fwd->nextseq && rev->window == 0)
        return WM_MARK_ZERO_WINDOW_PROBE;
    if (s->window == 0 && is_plain(s))
        marks |= WM_MARK_ZERO_WINDOW;
    if (fwd->nextseq && SEQ_GT(s->seq, fwd->nextseq) && !(s->flags & F_RST))
        marks |= lost_segment(s->fwd);
    if (s->seglen <= 1 && s->seq == fwd->nextseq - 1 && is_plain(s))
        marks |= WM_MARK_KEEP_ALIVE;
    if (s->window && s->window != fwd->window && repeats_last_ack(s))
        marks |= WM_MARK_WINDOW_UPDATE;
    if (s->seglen > 0 && rev->win_scale != -1 && is_plain(s)) {
        int shift = rev->win_scale == -2 ? 0 : rev->win_scale;
        if (rev->is_first_ack) /* its last window is its SYN's: unscaled */
            shift = 0;
        if (s->seq + s->seglen == rev->lastack + (rev->window << shift))
            marks |= WM_MARK_WINDOW_FULL;
    }
    if (s->window && s->window == fwd->window && repeats_last_ack(s) &&
        (rev->lastsegmentflags & WM_MARK_KEEP_ALIVE))
        return marks | WM_MARK_KEEP_ALIVE_ACK;
    if (s->window == 0 && s->window == fwd->window && repeats_last_ack(s) &&
        (rev->lastsegmentflags & WM_MARK_ZERO_WINDOW_PROBE))
        return marks | WM_MARK_ZERO_WINDOW_PROBE_ACK;
    if (s->window && s->window == fwd->window && repeats_last_ack(s)) {
        /* -1 (an ACKed unseen segment was flagged) counts as 0 */
        s->fwd->dupacknum = fwd->dupacknum < 0 ? 1 : fwd->dupacknum + 1;
        s->info->dup_ack_num = (uint32_t)fwd->dupacknum;
        s->info->dup_ack_frame = fwd->lastnondupack;
        marks |= WM_MARK_DUP_ACK;
    }
    return marks;
}

/* A segment that does not advance the sequence space: which kind. The
 * order of the tests is Wireshark's (4.0, fast retransmission taking
 * precedence over out-of-order, its default): data the receiver already
 * acknowledged is spurious whatever else it looks like. */
/* A retransmission's RTO: from the eldest unacked segment, else from
 * the segment that last advanced nextseq. */
static void note_rto(const step *s)
{
    const wm_flow_state *fwd = s->fwd;
    const wm_unacked *eldest = fwd->unacked_count ? &fwd->unacked[0] : NULL;
    int64_t from_ns = eldest ? eldest->ts_ns : fwd->nextseq_ts_ns;
    s->info->rto_ns = s->ts_ns - from_ns;
    s->info->rto_frame = eldest ? eldest->frame : fwd->nextseqframe;
}

static uint32_t classify_old_segment(const step *s, uint32_t marks)
{
    const wm_flow_state *fwd = s->fwd, *rev = s->rev;
    if (!(s->seglen > 0 || (s->flags & (F_SYN | F_FIN))))
        return 0;
    if (marks & WM_MARK_KEEP_ALIVE)
        return 0;
    bool not_advanced = fwd->nextseq && SEQ_LT(s->seq, fwd->nextseq);
    /* New data right after a probable zero window probe. */
    if (s->seglen > 1 && fwd->nextseq - 1 == s->seq)
        not_advanced = false;
    if (s->seglen > 0 && rev->lastack &&
        SEQ_LE(s->seq + s->seglen, rev->lastack))
        return WM_MARK_SPURIOUS_RETRANSMISSION;
    uint64_t since_ack = (uint64_t)(s->ts_ns - rev->lastack_ts_ns);
    if (not_advanced && rev->dupacknum >= 2 && rev->lastack == s->seq &&
        since_ack < FAST_RETRANS_WINDOW_NS)
        return WM_MARK_FAST_RETRANSMISSION;
    uint64_t ooo_ns = s->conn->first_rtt_ns
                          ? (uint64_t)s->conn->first_rtt_ns
                          : DEFAULT_OOO_THRESHOLD_NS;
    uint64_t since_next = (uint64_t)(s->ts_ns - fwd->nextseq_ts_ns);
    uint32_t seg_end = s->seq + s->seglen +
                       ((s->flags & (F_SYN | F_FIN)) ? 1u : 0u);
    if (not_advanced && since_next < ooo_ns && fwd->nextseq != seg_end)
        return WM_MARK_OUT_OF_ORDER;
    if (!not_advanced)
        return 0;
    note_rto(s);
    return WM_MARK_RETRANSMISSION;
}

static void remember(const step *s, uint32_t marks)
{
    wm_flow_state *fwd = s->fwd;
    uint32_t nextseq = s->seq + s->seglen;
    if (s->flags & (F_SYN | F_FIN)) /* each counts as one byte */
        nextseq += 1;
    bool probe = marks & WM_MARK_ZERO_WINDOW_PROBE;
    if ((SEQ_GT(nextseq, fwd->nextseq) || !fwd->nextseq) && !probe) {
        fwd->nextseq = nextseq;
        fwd->nextseq_ts_ns = s->ts_ns;
        fwd->nextseqframe = s->frame;
    }
    if ((s->seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked) && !probe)
        fwd->maxseqtobeacked = fwd->nextseq;
    fwd->window = s->window;
    fwd->lastack = s->ack;
    fwd->lastack_ts_ns = s->ts_ns;
    fwd->lastsegmentflags = marks;
}

/* The span of the table, as packet-tcp.c measures it: in sequence
 * numbers relative to the sender's base, compared as plain integers. */
static void widen_span(wm_flow_state *f, const wm_unacked *u, bool first)
{
    uint32_t lo = u->seq - f->base_seq, hi = u->nextseq - f->base_seq;
    f->span_lo = first || lo < f->span_lo ? lo : f->span_lo;
    f->span_hi = first || hi > f->span_hi ? hi : f->span_hi;
}

/* The segment joins its direction's table, unless the table is full
 * (then, as in Wireshark, it is never acked: no RTT from it). */
static void track_segment(const step *s)
{
    wm_flow_state *fwd = s->fwd;
    if (!(s->seglen || (s->flags & (F_SYN | F_FIN))))
        return;
    if (fwd->unacked_count >= WM_MAX_UNACKED_SEGMENTS) {
        fwd->untracked++;
        return;
    }
    if (fwd->unacked_count == fwd->unacked_capacity) {
        uint32_t cap = fwd->unacked_capacity ? fwd->unacked_capacity * 2 : 16;
        if (cap > WM_MAX_UNACKED_SEGMENTS)
            cap = WM_MAX_UNACKED_SEGMENTS;
        wm_unacked *grown = realloc(fwd->unacked, cap * sizeof *grown);
        if (!grown) { /* counted as the full table is: no RTT from it */
            fwd->untracked++;
            return;
        }
        fwd->unacked = grown;
        fwd->unacked_capacity = cap;
    }
    uint32_t end = s->seq + s->seglen + ((s->flags & (F_SYN | F_FIN)) ? 1 : 0);
    fwd->unacked[fwd->unacked_count++] =
        (wm_unacked){.frame = s->frame, .seq = s->seq, .nextseq = end,
                     .ts_ns = s->ts_ns};
    widen_span(fwd, &fwd->unacked[fwd->unacked_count - 1],
               fwd->unacked_count == 1);
    assert(fwd->unacked_count <= fwd->unacked_capacity &&
           fwd->unacked_capacity <= WM_MAX_UNACKED_SEGMENTS);
}

/* The ACK field (SYN or not, ACK flag or not, as Wireshark reads it)
 * against the other direction's table: an exact match is acked (the
 * oldest one gives the RTT), a segment it covers in part is trimmed,
 * one it covers in full is dropped. */
static void take_acked(step *s)
{
    wm_flow_state *rev = s->rev;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < rev->unacked_count; i++) {
        wm_unacked *u = &rev->unacked[i];
        if (s->ack == u->nextseq) {
            if (!s->info->acks_frame) {
                s->info->acks_frame = u->frame;
                s->info->ack_rtt_ns = s->ts_ns - u->ts_ns;
            }
            s->has_ta = true;
            continue;
        }
        if (SEQ_GT(s->ack, u->seq) && SEQ_LE(s->ack, u->nextseq))
            u->seq = s->ack;
        if (SEQ_GT(u->nextseq, s->ack)) {
            rev->unacked[kept] = *u;
            widen_span(rev, u, kept == 0);
            kept++;
        }
    }
    rev->unacked_count = kept;
}

/* Bytes in flight once this data segment was sent, and bytes sent since
 * the last PSH (Wireshark's default, payload-based method). */
static void note_in_flight(step *s)
{
    wm_flow_state *fwd = s->fwd;
    if (!s->seglen || !fwd->unacked_count || !fwd->valid_bif)
        return;
    s->has_ta = true;
    uint32_t in_flight = fwd->span_hi - fwd->span_lo;
    for (unsigned i = 0; i < s->rev->sack_ranges; i++)
        in_flight -= s->rev->sack_right[i] - s->rev->sack_left[i];
    if (in_flight > 0 && in_flight < MAX_BYTES_IN_FLIGHT)
        s->info->bytes_in_flight =
            in_flight - ((s->flags & (F_SYN | F_FIN)) ? 1 : 0);
    /* The count restarts with the segment after a PSH. */
    if (fwd->push_set_last)
        fwd->push_bytes_sent = s->seglen;
    else
        fwd->push_bytes_sent += s->seglen;
    fwd->push_set_last = (s->flags & F_PSH) != 0;
    s->info->push_bytes_sent = fwd->push_bytes_sent;
}

static uint32_t analyze_marks(step *s)
{
    uint32_t marks = check_forward(s);
    if (s->ack != s->fwd->lastack) {
        s->fwd->lastnondupack = s->frame;
        s->fwd->dupacknum = 0;
    }
    wm_flow_state *rev = s->rev;
    if (rev->maxseqtobeacked && SEQ_GT(s->ack, rev->maxseqtobeacked) &&
        (s->flags & F_ACK)) {
        s->has_ta = true;
        if (SEQ_LT(rev->maxseqtobeacked, rev->nextseq)) {
            rev->maxseqtobeacked = rev->nextseq;
            marks |= WM_MARK_ACKED_UNSEEN;
        } else {
            /* acking past anything the peer was seen to send: flagged
             * once, until its ACK changes (packet-tcp.c reuses the
             * peer's dup ACK count, -1, as that memory) */
            if (rev->dupacknum == 0)
                marks |= WM_MARK_ACKED_UNSEEN;
            rev->dupacknum = -1;
        }
    }
    marks |= classify_old_segment(s, marks);
    track_segment(s);
    remember(s, marks);
    take_acked(s);
    note_in_flight(s);
    if (marks)
        s->has_ta = true;
    return marks;
}

/* What the options tell once the segment is analysed (Wireshark
 * dissects them after): Fast Open, D-SACK, and the SACK blocks later
 * segments of the other direction subtract from their bytes in flight. */
static uint32_t option_marks(wm_conn_state *state, const step *s,
                             const wm_packet *p)
{
    uint32_t marks = 0;
    const wm_tcp_options *o = &p->opts;
    bool syn_only = (p->flags & (F_SYN | F_ACK)) == F_SYN;
    if (o->tfo == WM_TFO_COOKIE && syn_only) {
        marks |= WM_MARK_TFO_SYN;
        if (p->payload_len)
            state->tfo_syn_data = true;
    }
    if ((p->flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK)) {
        if (s->info->rel_ack > 1)
            marks |= WM_MARK_TFO_ACK;
        else if (state->tfo_syn_data)
            marks |= WM_MARK_TFO_IGNORED;
    }
    if (o->sack_count) {
        /* RFC 2883 as packet-tcp.c tests it: the first block is at or
         * below the ACK, or inside the second. Without the ACK flag the
         * field is compared raw with the relative edges. */
        uint32_t base = s->rev->base_seq;
        uint32_t ack = (p->flags & F_ACK) ? p->ack : p->ack + base;
        const wm_sack_block *b = o->sack;
        if (SEQ_LE(b[0].right, ack) ||
            (o->sack_count > 1 && SEQ_LT(b[1].left, b[0].right) &&
             !SEQ_LT(b[1].right, b[0].right)))
            marks |= WM_MARK_DSACK;
        wm_flow_state *fwd = s->fwd;
        fwd->sack_ranges = o->sack_count < WM_BIF_SACK_BLOCKS
                               ? o->sack_count : WM_BIF_SACK_BLOCKS;
        for (unsigned i = 0; i < fwd->sack_ranges; i++) {
            fwd->sack_left[i] = b[i].left;
            fwd->sack_right[i] = b[i].right;
        }
    }
    return marks;
}

/* Window scale bookkeeping (packet-tcp.c verify_tcp_window_scaling): the
 * shift is trusted only when both SYNs carried the option. */
static void note_window_scale(wm_conn_state *state, int dir,
                              const wm_packet *p)
{
    wm_flow_state *fwd = &state->flow[dir], *rev = &state->flow[!dir];
    if (p->opts.has_wscale)
        fwd->win_scale = p->opts.wscale > MAX_WSCALE_SHIFT
                             ? MAX_WSCALE_SHIFT : p->opts.wscale;
    /* tshark checks a SYN's scaling after its options: not for a header
     * the snaplen cut or with a bogus length, which stop it before */
    if (!(p->flags & F_SYN) || p->opts.truncated ||
        (p->anomalies & WM_PKT_BAD_HEADER_LEN))
        return;
    if (fwd->win_scale == -1) {
        fwd->win_scale = -2;
        rev->win_scale = -2;
    } else if ((p->flags & F_ACK) && rev->win_scale == -2) {
        fwd->win_scale = -2;
    }
}

/* What packet-tcp.c notes of SYNs and first ACKs after the analysis:
 * the most recent SYN and the iRTT, and whether a side's last window is
 * still its SYN's. */
static void note_handshake(wm_conn_state *state, int dir, const wm_packet *p)
{
    if (p->anomalies & WM_PKT_BAD_HEADER_LEN)
        return; /* tshark stops before it reads the flags' meaning */
    wm_flow_state *fwd = &state->flow[dir];
    if (p->flags & F_SYN)
        fwd->is_first_ack = true;
    if ((p->flags & (F_SYN | F_ACK)) == F_ACK)
        fwd->is_first_ack = false;
    if ((p->flags & (F_SYN | F_ACK)) == F_SYN)
        state->mru_syn_ts_ns = p->ts_ns;
    if ((p->flags & (F_SYN | F_ACK)) == F_ACK && state->mru_syn_ts_ns &&
        !state->first_rtt_ns)
        state->first_rtt_ns = p->ts_ns - state->mru_syn_ts_ns;
}

/* A SYN sent again with its first seq: Wireshark puts nextseq back to
 * what was acked (an RST may have moved it, issue 17616) and gives the
 * packet its analysis. */
static void restore_on_syn_again(step *s)
{
    wm_flow_state *fwd = s->fwd;
    if ((s->flags & (F_SYN | F_ACK)) == F_SYN && fwd->base_set &&
        s->seq == fwd->base_seq) {
        fwd->nextseq = fwd->maxseqtobeacked;
        s->has_ta = true;
    }
}

void wm_analyze_flow_step(wm_conn_state *state, int dir, const wm_packet *p,
                          wm_packet_info *info)
{
    step s = {
        .fwd = &state->flow[dir], .rev = &state->flow[!dir], .conn = state,
        .seq = p->seq, .ack = p->ack, .seglen = p->payload_len,
        .window = p->window, .frame = p->frame_no, .flags = p->flags,
        .ts_ns = p->ts_ns, .info = info,
    };
    /* Only the peer's latest packet's SACK blocks count: each packet
     * forgets those its direction sent before. */
    s.fwd->sack_ranges = 0;
    restore_on_syn_again(&s);
    set_bases(&s);
    info->rel_seq = p->seq - s.fwd->base_seq;
    info->rel_ack = (p->flags & F_ACK) ? p->ack - s.rev->base_seq : 0;
    info->next_rel_seq = info->rel_seq + p->payload_len +
                         ((p->flags & (F_SYN | F_FIN)) ? 1 : 0);
    info->window = p->window;
    if (!(p->flags & F_SYN) && s.fwd->win_scale >= 0)
        info->window = (uint64_t)p->window << s.fwd->win_scale;
    info->marks |= analyze_marks(&s);
    info->marks |= option_marks(state, &s, p);
    note_window_scale(state, dir, p);
    note_handshake(state, dir, p);
    if (s.has_ta && state->first_rtt_ns)
        info->initial_rtt_ns = state->first_rtt_ns;
}
