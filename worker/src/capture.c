/* wm_capture: see wm_capture.h.
 *
 * A reader thread polls the handle's selectable descriptor together with
 * an eventfd, so that finishing never waits on a blocked pcap call: the
 * handle is non-blocking, and pcap_dispatch drains what the kernel holds
 * each time the descriptor is readable. The thread also watches the
 * closure on the fly (the FIN of each direction and the ACK that covers
 * it, or an RST) and signals a condition variable when it is complete, so
 * that finishing takes as long as the closure does, with the grace period
 * only as a bound.
 *
 * A small run's capture may have no reader (read_after): its frames wait
 * in the ring and the run's own thread reads them once the transfer is
 * over, which spares the reader's wake, its hand-over of the closure and
 * its join — each a futex wake of a sleeping thread, tens of us here. */
#include "wm_capture.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "capture_budget.h"
#include "capture_dump.h"
#include "capture_open.h"
#include "capture_pool.h"
#include "capture_station.h"
#include "wm_cancel.h"
#include "wm_clock.h"
#include "wm_dissect.h"
#include "wm_path.h"
#include "wm_threads.h"

#define POLL_SAFETY_MS 100 /* re-check the handle even without a wake-up */
#define READ_BATCH_PAUSE_NS 500000L /* see pause_between_batches */

/* The FIN of one direction and whether the other side acknowledged it. */
typedef struct fin_state {
    bool seen, acked;
    uint32_t next_seq; /* the FIN's seq + 1: what its ACK must reach */
} fin_state;

struct wm_capture {
    pcap_t *handle;
    capture_dump dump;         /* the pcap file, when one is written */
    const wm_cancel *cancel;   /* fired: the reader stops at once */
    capture_budget budget;     /* the reader thread's alone */
    wm_trace trace;            /* owned by the thread until it is joined */
    uint16_t port;
    uint32_t snaplen;
    uint32_t buffer_bytes;     /* the ring's size, to park the handle */
    uint32_t block_ms;         /* 0: frame by frame; else in blocks */
    uint64_t handed;           /* frames libpcap handed to on_frame */
    wm_capture_pool *pool;     /* where the handle goes back, or NULL */
    wm_packet_fn on_packet;
    void *on_packet_ctx;       /* set: packets go there, not to trace */
    uint32_t grace_ms;
    char interface[32];
    bool read_after;           /* no reader: finish reads the ring */
    bool station;              /* on a station: hands over only the
                                  frames between port and peer_port */
    int listen_fd;             /* a station's listener, owned; -1: none */
    bool keep;                 /* park the station at wm_capture_free */
    capture_station_key key;   /* the listener's, when kept */
    int linktype;              /* the handle's, for the station's check */
    struct pcap_stat base;     /* the handle's counters when this capture
                                  began: a pooled handle counts for life */
    int stop_fd;               /* eventfd: finish wakes the thread */
    atomic_bool finishing;     /* the transfer is over: no more pauses */
    atomic_bool stop;
    wm_thread *thread;         /* the reader; NULL once joined */

    pthread_mutex_t lock;      /* guards what follows */
    pthread_cond_t changed;
    fin_state fin[2];          /* [0]: sent by the server port's peer,
                                  [1]: sent by the server port */
    uint16_t peer_port;        /* a station's client port; 0: not yet */
    wm_addr peer_addr;         /* a station's client address */
    wm_addr server_addr;       /* a station's server address */
    bool rst_seen;
    bool complete;
    bool thread_done;
    int thread_rc;
    wm_error thread_err;
};

void wm_capture_options_default(wm_capture_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->interface = "lo";
    opts->snaplen = WM_CAPTURE_DEFAULT_SNAPLEN;
    opts->buffer_bytes = WM_CAPTURE_DEFAULT_BUFFER;
    opts->grace_ms = WM_CAPTURE_DEFAULT_GRACE_MS;
    wm_budget_default(&opts->budget);
}

uint32_t wm_capture_link_block_ms(uint32_t rate_kbit, uint32_t buffer_bytes)
{
    bool fast = rate_kbit == 0 || rate_kbit >= WM_CAPTURE_BLOCKS_MIN_KBIT;
    return fast && buffer_bytes >= WM_CAPTURE_BLOCKS_MIN_BUFFER
               ? WM_CAPTURE_LINK_BLOCK_MS : 0;
}

/* Serial-number comparison (RFC 1982): a reaches at least b. */
static bool seq_reaches(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}

/* Updates the closure state with one packet; called with the lock held. */
static void track_closure(wm_capture *cap, const wm_packet *p)
{
    int from = p->src_port == cap->port ? 1 : 0;
    fin_state *mine = &cap->fin[from], *theirs = &cap->fin[1 - from];
    if (p->flags & WM_TCP_RST)
        cap->rst_seen = true;
    if (p->flags & WM_TCP_FIN) {
        mine->seen = true;
        mine->next_seq = p->seq + p->payload_len + 1;
    }
    if ((p->flags & WM_TCP_ACK) && theirs->seen &&
        seq_reaches(p->ack, theirs->next_seq))
        theirs->acked = true;
    bool done = cap->rst_seen || (cap->fin[0].acked && cap->fin[1].acked);
    if (done && !cap->complete) {
        cap->complete = true;
        pthread_cond_broadcast(&cap->changed);
    }
}

/* Counts a frame and keeps its packet: in the trace, or handed to the
 * streaming analysis (on_packet), which keeps what it needs of it. *tcp
 * and *packet say whether it was TCP and what. */
static int keep_frame(wm_capture *cap, int64_t ts_ns,
                      const struct pcap_pkthdr *hdr, const u_char *data,
                      wm_packet *packet, bool *tcp)
{
    if (!cap->on_packet) {
        size_t before = cap->trace.count;
        int rc = wm_trace_add_frame(&cap->trace, ts_ns, data, hdr->caplen,
                                    hdr->len, &cap->thread_err);
        *tcp = rc == 0 && cap->trace.count > before;
        if (*tcp)
            *packet = cap->trace.packets[cap->trace.count - 1];
        return rc;
    }
    if (wm_trace_take_frame(&cap->trace, ts_ns, data, hdr->caplen, hdr->len,
                            packet, tcp, &cap->thread_err) != 0)
        return -1;
    return *tcp ? cap->on_packet(cap->on_packet_ctx, packet,
                                 cap->trace.first_ts_ns, &cap->thread_err)
                : 0;
}

/* Whether a packet's end (addr, port) is this one. */
static bool is_end(const wm_addr *addr, uint16_t port, const wm_addr *want,
                   uint16_t want_port)
{
    size_t len = want->family == 6 ? 16 : 4;
    return port == want_port && addr->family == want->family &&
           memcmp(addr->bytes, want->bytes, len) == 0;
}

/* A station's frame belongs to the run when it is between the run's two
 * ends. One that is not TCP or not whole cannot say: kept, as any
 * capture keeps it. */
static bool of_the_run(const wm_capture *cap, const struct pcap_pkthdr *hdr,
                       const u_char *data)
{
    wm_packet p;
    if (wm_dissect_frame(cap->linktype, data, hdr->caplen, &p) !=
        WM_DISSECT_TCP)
        return true;
    return (is_end(&p.src, p.src_port, &cap->server_addr, cap->port) &&
            is_end(&p.dst, p.dst_port, &cap->peer_addr, cap->peer_port)) ||
           (is_end(&p.src, p.src_port, &cap->peer_addr, cap->peer_port) &&
            is_end(&p.dst, p.dst_port, &cap->server_addr, cap->port));
}

static void on_frame(u_char *user, const struct pcap_pkthdr *hdr,
                     const u_char *data)
{
    wm_capture *cap = (wm_capture *)user;
    cap->handed++;
    if (cap->station && !of_the_run(cap, hdr, data))
        return;
    /* The handle is nanosecond-precision: tv_usec holds nanoseconds. */
    int64_t ts_ns = (int64_t)hdr->ts.tv_sec * 1000000000 + hdr->ts.tv_usec;
    wm_packet packet;
    bool tcp = false;
    if (capture_budget_frame(&cap->budget, hdr->caplen,
                             &cap->thread_err) != 0 ||
        keep_frame(cap, ts_ns, hdr, data, &packet, &tcp) != 0) {
        cap->thread_rc = -1;
        pcap_breakloop(cap->handle);
        return;
    }
    capture_dump_frame(&cap->dump, hdr, data);
    /* Only a FIN, an RST, or an ACK once a FIN was seen can move the
     * closure: the rest need not take the lock (fin[] is written by this
     * thread alone, so it reads it without). */
    if (tcp && ((packet.flags & (WM_TCP_FIN | WM_TCP_RST)) ||
                cap->fin[0].seen || cap->fin[1].seen)) {
        pthread_mutex_lock(&cap->lock);
        track_closure(cap, &packet);
        pthread_mutex_unlock(&cap->lock);
    }
}

/* Reads everything the kernel holds right now; *frames gets how many. */
static int drain(wm_capture *cap, int *frames)
{
    *frames = 0;
    for (;;) {
        int n = pcap_dispatch(cap->handle, -1, on_frame, (u_char *)cap);
        if (cap->thread_rc != 0)
            return -1;
        if (n == PCAP_ERROR)
            return wm_error_set(&cap->thread_err, WM_ERR_IO,
                                "capture: reading %s: %s", cap->interface,
                                pcap_geterr(cap->handle));
        if (n <= 0)
            return 0;
        *frames += n;
    }
}

/* While frames keep coming, the reader pauses a moment between drains
 * instead of polling: a poller is woken by every frame, and at tens of
 * Gbit/s those wake-ups cost the transfer a good part of a core. Frames
 * wait in the kernel's ring meanwhile (immediate mode still hands each
 * over as soon as it is read). The pause ends early when finish signals:
 * from then on (the transfer is over, only the closure is awaited) the
 * reader takes each frame as it comes, so the closure is seen at once
 * rather than up to a pause late — which, for a small run, is most of
 * its time. */
static void pause_between_batches(wm_capture *cap)
{
    if (atomic_load(&cap->finishing))
        return;
    struct pollfd stop = {.fd = cap->stop_fd, .events = POLLIN};
    struct timespec pause = {.tv_sec = 0, .tv_nsec = READ_BATCH_PAUSE_NS};
    if (ppoll(&stop, 1, &pause, NULL) < 0 && errno != EINTR)
        nanosleep(&pause, NULL); /* still a pause, if not an early end */
}

/* Clears the eventfd once its signal was seen, so that poll does not
 * keep returning for it while the reader waits for the closure. */
static void consume_signal(wm_capture *cap)
{
    uint64_t count;
    if (read(cap->stop_fd, &count, sizeof count) < 0) {
        /* EAGAIN: already consumed; nothing else can fail on an eventfd. */
    }
}

/* Whether every frame the kernel put in the ring since the capture began
 * was handed over. Never on loopback under a kernel older than 4.20,
 * which also counts the outgoing copy of each frame there, which libpcap
 * discards (capture_open.c). */
static bool all_handed(wm_capture *cap)
{
    struct pcap_stat ps;
    if (pcap_stats(cap->handle, &ps) != 0)
        return false;
    /* u_int arithmetic: right across a counter's wrap too. */
    u_int in_ring = (ps.ps_recv - cap->base.ps_recv) -
                    (ps.ps_drop - cap->base.ps_drop);
    return cap->handed >= in_ring;
}

/* The last drain. Frame by frame, the ring holds every frame the kernel
 * took. In blocks, the last frames may sit in a block not yet handed
 * over (it is, block_ms after its first frame, when not full): unless
 * the kernel's count says every frame was handed over, wait for it, and
 * for any block after it, until a block's time passes with nothing
 * handed over — a few milliseconds, bounded by the grace. A closure seen
 * complete does not make this needless: frames may follow the closure's
 * last ACK within a block's time (a retransmitted FIN). */
static int drain_last_blocks(wm_capture *cap, int fd)
{
    int frames = 0;
    if (drain(cap, &frames) != 0)
        return -1;
    if (cap->block_ms == 0 || all_handed(cap))
        return 0;
    int64_t end_ns =
        wm_clock_monotonic_ns() + (int64_t)cap->grace_ms * 1000000;
    /* Twice a block's time: the kernel's timer may fire a little late. */
    int wait_ms = 2 * (int)cap->block_ms;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (wm_clock_monotonic_ns() < end_ns) {
        int n = poll(&pfd, 1, wait_ms);
        if (n < 0 && errno != EINTR)
            return wm_error_set(&cap->thread_err, WM_ERR_IO,
                                "capture: poll: %s", strerror(errno));
        if (n == 0)
            return 0; /* a block's time with nothing handed over */
        if (drain(cap, &frames) != 0)
            return -1;
    }
    return 0;
}

/* A station's reader hands nothing over until the client's port is known
 * (capture_station.h): until then, or until it is stopped. */
static void await_peer(wm_capture *cap)
{
    if (!cap->station)
        return;
    pthread_mutex_lock(&cap->lock);
    while (cap->peer_port == 0 && !atomic_load(&cap->stop))
        pthread_cond_wait(&cap->changed, &cap->lock);
    pthread_mutex_unlock(&cap->lock);
}

static void reader_thread(void *arg)
{
    wm_capture *cap = arg;
    await_peer(cap);
    struct pollfd fds[3] = {
        {.fd = pcap_get_selectable_fd(cap->handle), .events = POLLIN},
        {.fd = cap->stop_fd, .events = POLLIN},
        {.fd = wm_cancel_fd(cap->cancel), .events = POLLIN}, /* -1: none */
    };
    int rc = 0, frames = 0;
    while (rc == 0 && !atomic_load(&cap->stop) &&
           !wm_cancel_fired(cap->cancel)) {
        /* Blocks: the kernel wakes the reader once per block, no pause
         * needed. */
        if (frames > 0 && !atomic_load(&cap->finishing) &&
            cap->block_ms == 0) {
            pause_between_batches(cap);
        } else if (poll(fds, 3, POLL_SAFETY_MS) < 0 && errno != EINTR) {
            rc = wm_error_set(&cap->thread_err, WM_ERR_IO,
                              "capture: poll: %s", strerror(errno));
            break;
        }
        if (atomic_load(&cap->finishing) && !atomic_load(&cap->stop))
            consume_signal(cap);
        rc = capture_budget_clock(&cap->budget, &cap->thread_err);
        if (rc == 0)
            rc = drain(cap, &frames);
    }
    /* What arrived between the last poll and the stop belongs to the run;
     * a cancelled run has no use for it. */
    if (rc == 0 && wm_cancel_fired(cap->cancel))
        rc = wm_error_set(&cap->thread_err, WM_ERR_CANCELLED,
                          "capture: the run was cancelled");
    if (rc == 0)
        rc = drain_last_blocks(cap, fds[0].fd);
    pthread_mutex_lock(&cap->lock);
    cap->thread_rc = rc;
    cap->thread_done = true;
    pthread_cond_broadcast(&cap->changed);
    pthread_mutex_unlock(&cap->lock);
}

static int set_filter(wm_capture *cap, wm_error *err)
{
    /* Not "and inbound" for loopback's outgoing copies: with it the SYN
     * went missing in our tests, likely because libpcap filters the
     * ring's current block in user space after a filter change, where
     * "inbound" cannot be evaluated. A socket option skips them instead
     * (capture_open.c). */
    char text[32];
    capture_filter_text(cap->port, text, sizeof text);
    struct bpf_program prog;
    if (capture_filter_compile(capture_pool_filters(cap->pool), cap->handle,
                               cap->port, &prog) < 0)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "capture: compiling the filter '%s': %s", text,
                            pcap_geterr(cap->handle));
    int rc = pcap_setfilter(cap->handle, &prog);
    pcap_freecode(&prog);
    if (rc != 0)
        return wm_error_set(err, WM_ERR_IO,
                            "capture: setting the filter '%s': %s", text,
                            pcap_geterr(cap->handle));
    /* A pooled handle is non-blocking already: two fcntls spared. */
    char errbuf[PCAP_ERRBUF_SIZE];
    if (pcap_getnonblock(cap->handle, errbuf) != 1 &&
        pcap_setnonblock(cap->handle, 1, NULL) != 0)
        return wm_error_set(err, WM_ERR_IO, "capture: non-blocking mode: %s",
                            pcap_geterr(cap->handle));
    return 0;
}

static int validate(const wm_capture_options *opts, wm_error *err)
{
    if (!opts->interface || !opts->interface[0] ||
        strlen(opts->interface) >= IFNAMSIZ)
        return wm_error_param(err, WM_ERR_INVALID, "interface",
                              "interface: a network interface name is "
                              "needed (e.g. lo)");
    if (opts->port == 0)
        return wm_error_param(err, WM_ERR_INVALID, "port",
                              "port: the server port to filter on is needed");
    if (opts->snaplen < WM_CAPTURE_MIN_SNAPLEN || opts->snaplen > WM_CAPTURE_MAX_SNAPLEN)
        return wm_error_param(err, WM_ERR_INVALID, "snaplen",
                              "snaplen: allowed: %u to %u bytes",
                              WM_CAPTURE_MIN_SNAPLEN, WM_CAPTURE_MAX_SNAPLEN);
    if (opts->buffer_bytes < CAPTURE_MIN_BUFFER_BYTES ||
        opts->buffer_bytes > INT_MAX)
        return wm_error_param(err, WM_ERR_INVALID, "capture_buffer",
                              "capture_buffer: allowed: %u to %d bytes",
                              CAPTURE_MIN_BUFFER_BYTES, INT_MAX);
    return 0;
}

static wm_capture *capture_new(const wm_capture_options *opts)
{
    wm_capture *cap = calloc(1, sizeof *cap);
    if (!cap)
        return NULL;
    cap->port = opts->port;
    cap->snaplen = opts->snaplen;
    cap->buffer_bytes = opts->buffer_bytes;
    cap->block_ms = opts->block_ms;
    cap->read_after = opts->read_after;
    /* Blocks are handed over on a timer, not frame by frame: a ring read
     * only at the end would wait for them. */
    assert(!cap->read_after || cap->block_ms == 0);
    cap->pool = cap->block_ms == 0 ? opts->pool : NULL; /* the pool's
                                   handles are all frame by frame */
    cap->cancel = opts->cancel;
    cap->on_packet = opts->on_packet;
    cap->on_packet_ctx = opts->on_packet_ctx;
    capture_budget_start(&cap->budget, opts);
    cap->grace_ms = opts->grace_ms;
    snprintf(cap->interface, sizeof cap->interface, "%s", opts->interface);
    cap->stop_fd = -1;
    cap->listen_fd = -1;
    pthread_mutex_init(&cap->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cap->changed, &attr);
    pthread_condattr_destroy(&attr);
    return cap;
}

/* The rest of a start, on a filtered handle: the counters' baseline, the
 * pcap file, the reader. */
static int begin(wm_capture *cap, const wm_capture_options *opts,
                 wm_error *err)
{
    int rc = 0;
    cap->linktype = pcap_datalink(cap->handle);
    if (pcap_stats(cap->handle, &cap->base) != 0)
        memset(&cap->base, 0, sizeof cap->base);
    if (rc == 0 && opts->pcap_path)
        rc = capture_dump_open(&cap->dump, cap->handle, opts->pcap_path,
                               opts->pcap_inline_max, opts->pcap_inline,
                               err);
    if (rc == 0)
        wm_trace_init(&cap->trace, pcap_datalink(cap->handle));
    if (rc == 0 && cap->read_after) {
        /* A new handle took every frame on the interface until its filter
         * was set (the reject-all of a parked one comes later): a reader
         * drains those at once, and unread they could fill the ring the
         * run needs. A station was drained when taken. */
        int frames = 0;
        if (!cap->station && drain(cap, &frames) != 0) {
            if (err)
                *err = cap->thread_err;
            return -1;
        }
        return 0;
    }
    if (rc == 0) {
        cap->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (cap->stop_fd < 0)
            rc = wm_error_set(err, WM_ERR_IO, "capture: eventfd: %s",
                              strerror(errno));
    }
    if (rc == 0) {
        rc = wm_threads_start(reader_thread, cap, &cap->thread, err);
    }
    return rc;
}


int wm_capture_start(const wm_capture_options *opts, wm_capture **out,
                     wm_error *err)
{
    *out = NULL;
    if (validate(opts, err) != 0)
        return -1;
    wm_capture *cap = capture_new(opts);
    if (!cap)
        return wm_error_set(err, WM_ERR_INTERNAL, "capture: out of memory");
    int rc = 0;
    if (opts->path) {
        /* The handle's interface dies with its link: never pooled. */
        cap->pool = NULL;
        int back;
        if (wm_path_enter(opts->path, (wm_path_side)opts->path_side, &back,
                          err) == 0) {
            cap->handle = capture_open_handle(opts->interface, opts->snaplen,
                                              opts->buffer_bytes,
                                              cap->block_ms, err);
            wm_path_leave(back);
        }
    } else {
        cap->handle = capture_pool_take(cap->pool, opts->interface,
                                        opts->snaplen, opts->buffer_bytes);
    }
    if (!cap->handle && !opts->path)
        cap->handle = capture_open_handle(opts->interface, opts->snaplen,
                                          opts->buffer_bytes, cap->block_ms,
                                          err);
    if (!cap->handle)
        rc = -1;
    if (rc == 0)
        rc = set_filter(cap, err);
    if (rc == 0)
        rc = begin(cap, opts, err);
    if (rc != 0) {
        wm_capture_free(cap);
        return -1;
    }
    *out = cap;
    return 0;
}

int capture_start_station(const wm_capture_options *opts, pcap_t *handle,
                          int listen_fd, const capture_station_key *key,
                          wm_capture **out, wm_error *err)
{
    assert(handle && listen_fd >= 0 && opts->pool && !opts->path);
    *out = NULL;
    int rc = validate(opts, err);
    wm_capture *cap = rc == 0 ? capture_new(opts) : NULL;
    if (!cap) {
        pcap_close(handle);
        close(listen_fd);
        return rc != 0 ? -1 : wm_error_set(err, WM_ERR_INTERNAL,
                                           "capture: out of memory");
    }
    cap->handle = handle;
    cap->station = true;
    cap->listen_fd = listen_fd;
    cap->key = *key;
    if (begin(cap, opts, err) != 0) {
        wm_capture_free(cap);
        return -1;
    }
    *out = cap;
    return 0;
}

/* A socket address as a packet's end; its port into *port. */
static wm_addr addr_of(const struct sockaddr_storage *ss, uint16_t *port)
{
    wm_addr a = {0};
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const void *)ss;
        a.family = 6;
        memcpy(a.bytes, &sin6->sin6_addr, 16);
        *port = ntohs(sin6->sin6_port);
    } else {
        const struct sockaddr_in *sin = (const void *)ss;
        assert(ss->ss_family == AF_INET);
        a.family = 4;
        memcpy(a.bytes, &sin->sin_addr, 4);
        *port = ntohs(sin->sin_port);
    }
    return a;
}

void capture_station_peer(wm_capture *capture,
                          const struct sockaddr_storage *client,
                          const struct sockaddr_storage *server)
{
    uint16_t client_port = 0, server_port = 0;
    wm_addr peer = addr_of(client, &client_port);
    wm_addr own = addr_of(server, &server_port);
    assert(client_port != 0 && server_port == capture->port);
    pthread_mutex_lock(&capture->lock);
    capture->peer_addr = peer;
    capture->server_addr = own;
    capture->peer_port = client_port;
    pthread_cond_broadcast(&capture->changed);
    pthread_mutex_unlock(&capture->lock);
}

void capture_station_keep(wm_capture *capture, int listen_fd,
                          const capture_station_key *key)
{
    assert(capture->pool && (listen_fd >= 0) != capture->station);
    if (!capture->station) {
        capture->listen_fd = listen_fd;
        capture->key = *key;
    }
    capture->keep = true;
}

static void stop_thread(wm_capture *cap)
{
    if (!cap->thread)
        return;
    atomic_store(&cap->stop, true);
    pthread_mutex_lock(&cap->lock); /* a station's reader may wait there */
    pthread_cond_broadcast(&cap->changed);
    pthread_mutex_unlock(&cap->lock);
    uint64_t one = 1;
    if (write(cap->stop_fd, &one, sizeof one) < 0) {
        /* Only on counter overflow, i.e. already signalled. */
    }
    wm_threads_join(cap->thread);
    cap->thread = NULL;
}

/* Until the closure is complete, the thread has stopped, or grace_ms. */
static void wait_for_closure(wm_capture *cap, uint32_t grace_ms)
{
    struct timespec deadline;
    wm_clock_deadline(&deadline, grace_ms);
    pthread_mutex_lock(&cap->lock);
    while (!cap->complete && !cap->thread_done) {
        if (pthread_cond_timedwait(&cap->changed, &cap->lock, &deadline) ==
            ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&cap->lock);
}

/* The reader's work without a reader (read_after), on the caller's
 * thread once the transfer is over: the ring holds the run's frames, and
 * what the closure still lacks (an ACK in flight) is awaited on the
 * handle's descriptor, bounded by the grace as the reader's wait is. */
static void read_ring(wm_capture *cap)
{
    int fd = pcap_get_selectable_fd(cap->handle);
    int64_t end_ns =
        wm_clock_monotonic_ns() + (int64_t)cap->grace_ms * 1000000;
    int rc = 0, frames = 0;
    if (wm_cancel_fired(cap->cancel))
        rc = wm_error_set(&cap->thread_err, WM_ERR_CANCELLED,
                          "capture: the run was cancelled");
    if (rc == 0)
        rc = capture_budget_clock(&cap->budget, &cap->thread_err);
    if (rc == 0)
        rc = drain(cap, &frames);
    while (rc == 0 && !cap->complete) {
        int64_t left_ns = end_ns - wm_clock_monotonic_ns();
        if (left_ns <= 0)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, (int)((left_ns + 999999) / 1000000));
        if (n < 0 && errno != EINTR)
            rc = wm_error_set(&cap->thread_err, WM_ERR_IO,
                              "capture: poll: %s", strerror(errno));
        else if (n > 0)
            rc = drain(cap, &frames);
    }
    cap->thread_rc = rc;
    cap->thread_done = true;
}

int wm_capture_finish(wm_capture *capture, wm_trace *trace,
                      wm_capture_stats *stats, wm_error *err)
{
    wm_capture *cap = capture;
    if (cap->read_after) {
        assert(!cap->thread);
        read_ring(cap);
    } else {
        atomic_store(&cap->finishing, true);
        uint64_t one = 1;
        if (write(cap->stop_fd, &one, sizeof one) < 0) {
            /* Only on counter overflow, i.e. already signalled. */
        }
        wait_for_closure(cap, cap->grace_ms);
        stop_thread(cap);
    }
    memset(stats, 0, sizeof *stats);
    snprintf(stats->interface, sizeof stats->interface, "%s",
             cap->interface);
    stats->snaplen = cap->snaplen;
    stats->complete = cap->complete;
    struct pcap_stat ps;
    if (pcap_stats(cap->handle, &ps) == 0) {
        /* u_int arithmetic: right across a counter's wrap too. */
        stats->received = ps.ps_recv - cap->base.ps_recv;
        stats->dropped = ps.ps_drop - cap->base.ps_drop;
        stats->if_dropped = ps.ps_ifdrop - cap->base.ps_ifdrop;
    }
    int rc = capture_dump_close(&cap->dump, cap->trace.frames, err);
    if (cap->thread_rc != 0) {
        if (err)
            *err = cap->thread_err;
        return -1;
    }
    if (rc != 0)
        return -1;
    *trace = cap->trace;
    memset(&cap->trace, 0, sizeof cap->trace);
    return 0;
}

void wm_capture_free(wm_capture *capture)
{
    if (!capture)
        return;
    stop_thread(capture);
    capture_dump_discard(&capture->dump);
    if (capture->keep) {
        capture_pool_park(capture->pool, capture->handle, capture->interface,
                          capture->snaplen, capture->buffer_bytes,
                          &capture->key, capture->listen_fd, capture->port);
    } else {
        if (capture->listen_fd >= 0)
            close(capture->listen_fd);
        capture_pool_give(capture->pool, capture->handle, capture->interface,
                          capture->snaplen, capture->buffer_bytes);
    }
    if (capture->stop_fd >= 0)
        close(capture->stop_fd);
    if (capture->trace.packets || capture->trace.reasm)
        wm_trace_free(&capture->trace);
    pthread_cond_destroy(&capture->changed);
    pthread_mutex_destroy(&capture->lock);
    free(capture);
}
