/* analyze_flow: Wireshark's tcp_analyze_sequence_number, check by check.
 *
 * The order of the checks and their exact conditions follow packet-tcp.c
 * (as in Wireshark 4.0, the version Debian 12 ships and our tests compare
 * with): zero window probe, zero window, lost segment, keep-alive, window
 * update, window full, keep-alive ACK, zero window probe ACK, duplicate
 * ACK, then "ACKed unseen segment", then the classification of a segment
 * that does not advance the sequence space (fast retransmission,
 * out-of-order, spurious retransmission, retransmission). Windows are
 * compared raw, as Wireshark does before it applies the scale. */
#include "analyze_flow.h"

#include <string.h>

#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)

#define FAST_RETRANS_WINDOW_NS 20000000   /* packet-tcp.c: 20 ms */
#define DEFAULT_OOO_THRESHOLD_NS 3000000  /* packet-tcp.c: 3 ms */
#define MAX_WSCALE_SHIFT 14               /* RFC 7323 */

enum {
    F_SYN = WM_TCP_SYN, F_FIN = WM_TCP_FIN, F_RST = WM_TCP_RST,
    F_ACK = WM_TCP_ACK,
};

/* One packet in the analysis: what the checks read. */
typedef struct step {
    wm_flow_state *fwd, *rev;
    const wm_conn_state *conn;
    uint32_t seq, ack, seglen, window, frame;
    uint8_t flags;
    int64_t ts_ns;
    wm_packet_info *info;
} step;

void wm_analyze_flow_init(wm_conn_state *state)
{
    memset(state, 0, sizeof *state);
    state->flow[0].win_scale = -1;
    state->flow[1].win_scale = -1;
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

/* The checks before "finished_fwd": returns the marks. */
static uint32_t check_forward(const step *s)
{
    const wm_flow_state *fwd = s->fwd, *rev = s->rev;
    uint32_t marks = 0;
    if (s->seglen == 1 && s->seq == fwd->nextseq && rev->window == 0)
        return WM_MARK_ZERO_WINDOW_PROBE;
    if (s->window == 0 && is_plain(s))
        marks |= WM_MARK_ZERO_WINDOW;
    if (fwd->nextseq && SEQ_GT(s->seq, fwd->nextseq) && !(s->flags & F_RST))
        marks |= WM_MARK_LOST_SEGMENT;
    if (s->seglen <= 1 && s->seq == fwd->nextseq - 1 && is_plain(s))
        marks |= WM_MARK_KEEP_ALIVE;
    if (s->window && s->window != fwd->window && repeats_last_ack(s))
        marks |= WM_MARK_WINDOW_UPDATE;
    if (s->seglen > 0 && rev->win_scale != -1 && is_plain(s)) {
        int shift = rev->win_scale == -2 ? 0 : rev->win_scale;
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
        s->fwd->dupacknum++;
        s->info->dup_ack_num = fwd->dupacknum;
        s->info->dup_ack_frame = fwd->lastnondupack;
        marks |= WM_MARK_DUP_ACK;
    }
    return marks;
}

/* A segment that does not advance the sequence space: which kind. The
 * order of the tests is Wireshark's (4.0, fast retransmission taking
 * precedence over out-of-order, its default): data the receiver already
 * acknowledged is spurious whatever else it looks like. */
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
    int64_t since_ack = s->ts_ns - rev->lastack_ts_ns;
    if (not_advanced && rev->dupacknum >= 2 && rev->lastack == s->seq &&
        since_ack < FAST_RETRANS_WINDOW_NS)
        return WM_MARK_FAST_RETRANSMISSION;
    int64_t ooo_ns = s->conn->first_rtt_ns ? s->conn->first_rtt_ns
                                            : DEFAULT_OOO_THRESHOLD_NS;
    int64_t since_next = s->ts_ns - fwd->nextseq_ts_ns;
    uint32_t seg_end = s->seq + s->seglen +
                       ((s->flags & (F_SYN | F_FIN)) ? 1u : 0u);
    if (not_advanced && since_next < ooo_ns && fwd->nextseq != seg_end)
        return WM_MARK_OUT_OF_ORDER;
    return not_advanced ? WM_MARK_RETRANSMISSION : 0;
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
    }
    if ((s->seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked) && !probe)
        fwd->maxseqtobeacked = fwd->nextseq;
    fwd->window = s->window;
    fwd->lastack = s->ack;
    fwd->lastack_ts_ns = s->ts_ns;
    fwd->lastsegmentflags = marks;
}

static uint32_t analyze_marks(const step *s)
{
    uint32_t marks = check_forward(s);
    if (s->ack != s->fwd->lastack) {
        s->fwd->lastnondupack = s->frame;
        s->fwd->dupacknum = 0;
    }
    /* "ACKed unseen segment" is said once for the same missing data:
     * again only after the side that lost it shows a new gap (a "previous
     * segment not captured" of its own). That is what tshark 4.0.17 does
     * on every capture here (tests/data/tshark: unseen ACKs in a row, a
     * FIN after the gap, fragments it cannot reassemble); later
     * Wireshark releases tie it to the dupack counter instead. The
     * compare of maxseqtobeacked with nextseq is plain, as Wireshark's. */
    if (marks & WM_MARK_LOST_SEGMENT)
        s->fwd->unseen_acked = false;
    wm_flow_state *rev = s->rev;
    if (rev->maxseqtobeacked && SEQ_GT(s->ack, rev->maxseqtobeacked) &&
        (s->flags & F_ACK)) {
        if (rev->maxseqtobeacked > rev->nextseq) {
            rev->maxseqtobeacked = rev->nextseq;
            marks |= WM_MARK_ACKED_UNSEEN;
        } else {
            if (!rev->unseen_acked)
                marks |= WM_MARK_ACKED_UNSEEN;
            rev->unseen_acked = true;
        }
    }
    marks |= classify_old_segment(s, marks);
    remember(s, marks);
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

static void note_rtt(wm_conn_state *state, const wm_packet *p)
{
    if (p->anomalies & WM_PKT_BAD_HEADER_LEN)
        return; /* tshark stops before it reads the flags' meaning */
    if ((p->flags & (F_SYN | F_ACK)) == F_SYN)
        state->mru_syn_ts_ns = p->ts_ns;
    if ((p->flags & (F_SYN | F_ACK)) == F_ACK && state->mru_syn_ts_ns &&
        !state->first_rtt_ns)
        state->first_rtt_ns = p->ts_ns - state->mru_syn_ts_ns;
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
    set_bases(&s);
    info->rel_seq = p->seq - s.fwd->base_seq;
    info->rel_ack = (p->flags & F_ACK) ? p->ack - s.rev->base_seq : 0;
    info->next_rel_seq = info->rel_seq + p->payload_len +
                         ((p->flags & (F_SYN | F_FIN)) ? 1 : 0);
    info->window = p->window;
    if (!(p->flags & F_SYN) && s.fwd->win_scale >= 0)
        info->window = (uint64_t)p->window << s.fwd->win_scale;
    info->marks |= analyze_marks(&s);
    note_window_scale(state, dir, p);
    note_rtt(state, p);
}
