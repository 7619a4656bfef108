/* wm_budget: what one run may cost — frames captured, bytes of its pcap,
 * wall time — whatever its size and options.
 *
 * Why: a run's work grows with its packets, not its bytes. 100 MB written
 * a byte at a time with TCP_NODELAY made 18.8 M packets, a 1.56 GB pcap,
 * a 2 GB rows file and minutes of capture and analysis (and, before the
 * analysis streamed, 3.8 GB of memory); --max-size cannot bound that, a
 * budget does. It is a limit of whoever runs the engine (the
 * daemon's flags, the command line's options), not a run parameter: a
 * run's figures never depend on it, only whether it may finish.
 *
 * It is enforced twice. Up front, wm_params_check_budget refuses a request
 * whose capture MUST exceed it (WM_ERR_TOO_LARGE, naming the limit and the
 * parameters); only what must exceed, since a bound that guessed would
 * refuse runs that fit. At run time the capture counts every frame and
 * byte it keeps and watches the clock: over the budget it stops keeping
 * frames, cancels the transfer and the run fails with WM_ERR_BUDGET. */
#ifndef WM_BUDGET_H
#define WM_BUDGET_H

#include <stdint.h>

typedef struct wm_budget {
    uint64_t max_packets;     /* frames captured; 0: no bound */
    uint64_t max_pcap_bytes;  /* the pcap file, its header included; 0: no
                                 bound */
    uint32_t max_duration_ms; /* from the capture's start to its end; 0: no
                                 bound */
    /* The time series' tables (wm_series.h): the kernel's samples kept
     * and the rows of each capture table; past them the series says
     * "truncated". 0: the hard maxima WM_SERIES_MAX_SAMPLES and
     * WM_SERIES_MAX_POINTS, which are also the defaults. */
    uint32_t max_series_samples;
    uint32_t max_series_points;
} wm_budget;

/* The defaults, for the daemon and the command line alike.
 *
 * Memory no longer grows with the packets: the analysis streams (each
 * packet analysed as it is captured, its row written to a spool file,
 * rows_spool.h), so a run holds its capture ring (32 MiB) and about
 * 130 KiB per connection whatever its size. Measured
 * (tests/reliability/test_budget.py prints it): the daemon's VmHWM grew
 * 35 MiB for an 8.4 M-packet run (1,298 MiB for 7.2 M packets when every
 * packet was held), and 35 MiB for a run stopped at 1,000,000 packets
 * (165 MiB before). What the packet bound still bounds is disk and time:
 * 176 bytes of rows file and a pcap record per packet, and the capture's
 * and analysis's work. The daemon runs --workers runs at once, each
 * within its own budget.
 *
 * The pcap bound leaves every run --max-size allows by default (1 GiB,
 * even with snaplen=full: about 1.08 GB of file) room to finish; the
 * packet bound is the one that binds tiny writes. The duration bound is
 * for what neither counts: a run that trickles. */
#define WM_BUDGET_DEFAULT_PACKETS 1000000u
#define WM_BUDGET_DEFAULT_PCAP_BYTES (2ull << 30)    /* 2 GiB */
#define WM_BUDGET_DEFAULT_DURATION_MS 60000u         /* 60 s */

/* Bounds of the limits themselves, for the daemon's flags and the
 * command line's options alike. */
#define WM_BUDGET_PACKETS_MAX 1000000000u /* a trace counts in uint32_t */
#define WM_BUDGET_PCAP_MIN 1024u
#define WM_BUDGET_DURATION_MAX_S 86400u

/* Bytes of a pcap file's header and of each record's header. */
#define WM_BUDGET_PCAP_HEADER_BYTES 24u
#define WM_BUDGET_PCAP_RECORD_BYTES 16u

void wm_budget_default(wm_budget *budget);

#endif
