#!/bin/bash
# A link run's cost against iperf3 over an identical link, from one
# sitting:
#   (a) throughput of a download over path=link, wiremeter with capture at
#       both ends (--pcap and --pcap-sender) and every byte verified,
#       against iperf3 -R (the server sends, as our download) with neither,
#       over a link this script builds with ip and tc exactly as
#       worker/src/path.c builds a run's: three network namespaces (client,
#       server, and the wire between them), a bridge in the wire with a veth
#       pair to each host, the same MTU on every end, segmentation and
#       receive offload off, the same addresses, and the same tbf (rate,
#       burst, limit) on the wire's ends; at each WM_BENCH_RATES (default
#       unlimited and 1gbit). Target: >= 0.9x at each rate.
#       Beside it, the same iperf3 with tcpdump capturing at both ends
#       (each host's end of the link, snaplen and ring as wiremeter's:
#       -s 160 -B 32768), to tell the capture's own cost on this machine
#       from wiremeter's: the third column, and wiremeter's ratio to it.
#   (b) how long a path takes to set up and tear down: `wiremeter run
#       --size 1B --path link` against `--path loopback`, the difference of
#       the medians (the run's own work is the same; the link adds its
#       namespaces, veths, bridge, qdiscs and the second end's capture),
#       and the link run's own result.link.setup_ns beside it.
#       Target: <= 20 ms.
# Both go round by round, wiremeter then the reference, so that a change in
# the machine's load hits both alike; each figure is a median and range.
# The machine's load (uptime) is printed before and after. Figures, not a
# test: read them, do not gate on them.
#
# usage: sudo bench/path.sh [WIREMETER]   (default: build/wiremeter; ip netns
#        and the link need root)
# env:   WM_BENCH_SIZE (default 100MB), WM_BENCH_ROUNDS (default 5),
#        WM_BENCH_RATES (default "0 1gbit"; 0: unlimited), WM_BENCH_MTU
#        (default 1500), WM_BENCH_SETUP_RUNS (runs of (b), default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
wiremeter=$(realpath "${1:-build/wiremeter}")
size=${WM_BENCH_SIZE:-100MB}
rounds=${WM_BENCH_ROUNDS:-5}
rates=${WM_BENCH_RATES:-0 1gbit}
mtu=${WM_BENCH_MTU:-1500}
setup_runs=${WM_BENCH_SETUP_RUNS:-20}
tmp=$(mktemp -d /tmp/wm-bench-path.XXXXXX)
ns=wmbench$$
iperf_pid=
dump_pids=

cleanup() {
    for pid in $iperf_pid $dump_pids; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    for n in c s w; do ip netns del "$ns$n" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

bench=path.sh
. bench/lib.sh
need_binary "$wiremeter"
need iperf3 "apt-get install iperf3"
need ip "apt-get install iproute2"
need tc "apt-get install iproute2"
need ethtool "apt-get install ethtool"
need tcpdump "apt-get install tcpdump"
need python3 "apt-get install python3"
[ "$(id -u)" = 0 ] || { echo "$bench: run as root (ip netns)" >&2; exit 1; }

# kbit/s of a rate as wiremeter reads it: 0, or a number of kbit, mbit, gbit.
kbit_of() {
    python3 - "$1" <<'PY'
import sys
t = sys.argv[1]
units = {"gbit": 1000000, "mbit": 1000, "kbit": 1}
print(0 if t == "0" else next(int(float(t[:-len(u)]) * k) for u, k in units.items() if t.endswith(u)))
PY
}

# The link of worker/src/path.c (make_wire, make_link, set_offload,
# qdisc_commands), for iperf3: same names, addresses, MTU, offload, tbf.
link_up() {   # link_up RATE
    local kbit; kbit=$(kbit_of "$1")
    for n in c s w; do ip netns add "$ns$n"; done
    ip -n "${ns}w" link add br0 type bridge
    ip -n "${ns}w" link add toclient type veth peer name wm0 netns "${ns}c"
    ip -n "${ns}w" link add toserver type veth peer name wm0 netns "${ns}s"
    ip -n "${ns}w" link set toclient mtu "$mtu" master br0 up
    ip -n "${ns}w" link set toserver mtu "$mtu" master br0 up
    ip -n "${ns}w" link set br0 up
    ip -n "${ns}c" link set wm0 mtu "$mtu" up
    ip -n "${ns}c" addr add 169.254.0.1/30 dev wm0
    ip -n "${ns}s" link set wm0 mtu "$mtu" up
    ip -n "${ns}s" addr add 169.254.0.2/30 dev wm0
    ip -n "${ns}c" link set lo up
    ip -n "${ns}s" link set lo up
    ip netns exec "${ns}c" ethtool -K wm0 tso off gso off gro off
    ip netns exec "${ns}s" ethtool -K wm0 tso off gso off gro off
    ip netns exec "${ns}w" ethtool -K toclient tso off gso off gro off
    ip netns exec "${ns}w" ethtool -K toserver tso off gso off gro off
    if [ "$kbit" != 0 ]; then
        local bps=$((kbit * 1000 / 8)) frame=$((mtu + 14))
        local burst=$((bps / 1000)) limit=$((bps * 50 / 1000))
        [ "$burst" -gt $((2 * frame)) ] || burst=$((2 * frame))
        [ "$limit" -gt "$frame" ] || limit=$frame
        for end in toclient toserver; do
            ip netns exec "${ns}w" tc qdisc add dev "$end" root handle 1: \
                tbf rate "${kbit}kbit" burst "$burst" limit "$limit"
        done
    fi
}

link_down() {
    for n in c s w; do ip netns del "$ns$n"; done
}

load_before=$(uptime)
echo "wiremeter path benchmark: $(nproc) CPUs, $(uname -r), $(date -u +%FT%TZ)" >&2
echo "load before: $load_before" >&2

# One iperf3 -R of $size over a fresh link into $tmp/i.json; with
# "captured", a tcpdump at each host's end of the link writes a pcap
# meanwhile (and its count of frames the kernel dropped is kept).
iperf_over_link() {   # iperf_over_link RATE plain|captured
    link_up "$1"
    dump_pids=
    if [ "$2" = captured ]; then
        for n in c s; do
            ip netns exec "$ns$n" tcpdump -i wm0 -s 160 -B 32768 -n -w "$tmp/d$n.pcap" \
                "tcp" 2>"$tmp/d$n.log" &
            dump_pids="$dump_pids $!"
        done
        for n in c s; do   # tcpdump says "listening on" once its ring is up
            for _ in $(seq 200); do
                grep -q "listening on" "$tmp/d$n.log" && break
                sleep 0.05
            done
        done
    fi
    local port; port=$(free_port)
    ip netns exec "${ns}s" iperf3 -s -1 -B 169.254.0.2 -p "$port" >"$tmp/iperf-s.log" 2>&1 &
    iperf_pid=$!
    for _ in $(seq 200); do
        ip netns exec "${ns}s" ss -Hltn "sport = :$port" | grep -q . && break
        sleep 0.05
    done
    ip netns exec "${ns}c" iperf3 -c 169.254.0.2 -p "$port" -R -n "$size" -J >"$tmp/i.json"
    wait "$iperf_pid" || true
    iperf_pid=
    for pid in $dump_pids; do
        kill -INT "$pid" 2>/dev/null || true
        wait "$pid" || true
    done
    dump_pids=
    rm -f "$tmp"/d?.pcap
    link_down
}

# Frames both tcpdumps say the kernel dropped, of the last captured run.
dumps_dropped() {
    cat "$tmp"/d?.log | sed -n 's/^\([0-9]*\) packets* dropped by kernel$/\1/p' |
        awk '{n += $1} END {print n + 0}'
}

# (a) round by round: for each rate, wiremeter, iperf3, iperf3 captured.
: >"$tmp/a.txt"
for round in $(seq "$rounds"); do
    for rate in $rates; do
        "$wiremeter" run --size "$size" --path link --rate "$rate" --mtu "$mtu" \
            --pcap "$tmp/r.pcap" --pcap-sender "$tmp/s.pcap" --json >"$tmp/w.json"
        echo "wm $rate $(field "$tmp/w.json" timing.throughput_bps)" \
             "$(field "$tmp/w.json" integrity.verified)" >>"$tmp/a.txt"
        rm -f "$tmp/r.pcap" "$tmp/s.pcap"
        iperf_over_link "$rate" plain
        echo "ip $rate $(field "$tmp/i.json" end.sum_received.bits_per_second) -" >>"$tmp/a.txt"
        iperf_over_link "$rate" captured
        echo "id $rate $(field "$tmp/i.json" end.sum_received.bits_per_second) $(dumps_dropped)" >>"$tmp/a.txt"
    done
    echo "round $round of $rounds done" >&2
done

# (b) interleaved: a 1-byte run over loopback, then over a link.
now_ns() { date +%s%N; }
: >"$tmp/b.txt"
for _ in $(seq "$setup_runs"); do
    for path in loopback link; do
        t0=$(now_ns)
        "$wiremeter" run --size 1B --path "$path" --json >"$tmp/b.json"
        echo "$path $(( $(now_ns) - t0 ))" >>"$tmp/b.txt"
        if [ "$path" = link ]; then
            echo "setup $(field "$tmp/b.json" link.setup_ns)" >>"$tmp/b.txt"
        fi
    done
done
load_after=$(uptime)

python3 - "$tmp/a.txt" "$tmp/b.txt" "$size" "$rounds" "$mtu" "$setup_runs" \
    "$load_before" "$load_after" <<'PY'
import statistics
import sys

a_path, b_path, size, rounds, mtu, setup_runs, before, after = sys.argv[1:]
runs = {}
verified = True
dump_drops = 0
for line in open(a_path):
    tool, rate, bps, ok = line.split()
    runs.setdefault((tool, rate), []).append(float(bps) / 1e6)
    if tool == "id":
        dump_drops += int(ok)
    else:
        verified &= ok in ("True", "-")


def stat(values, fmt="{:.1f}"):
    m = statistics.median(values)
    return (fmt + " (" + fmt + "-" + fmt + ")").format(m, min(values), max(values))


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths]] + rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


print(f"(a) {size} download over path=link, mtu {mtu}, offload off, Mbit/s: "
      f"median (range) of {rounds} runs each, interleaved")
rows = []
for rate in dict.fromkeys(r for _, r in runs):
    wm, ip, dumped = runs[("wm", rate)], runs[("ip", rate)], runs[("id", rate)]
    rows.append(["unlimited" if rate == "0" else rate, stat(wm), stat(ip),
                 f"{statistics.median(wm) / statistics.median(ip):.2f}x", ">= 0.9x",
                 stat(dumped), f"{statistics.median(wm) / statistics.median(dumped):.2f}x"])
table(["rate", "wiremeter, both ends captured, verified", "iperf3 -R, same link, no capture",
       "ratio of medians", "target", "iperf3 -R + tcpdump at both ends", "ratio to it"], rows)
print(f"every wiremeter run's bytes verified: {'yes' if verified else 'NO'}")
print(f"frames the tcpdumps' kernel rings dropped, all runs: {dump_drops}")
print()
times = {}
for line in open(b_path):
    path, ns = line.split()
    times.setdefault(path, []).append(int(ns) / 1e6)
lo, li = times["loopback"], times["link"]
print(f"(b) wiremeter run --size 1B, whole process, ms: median (range) of {setup_runs} runs each, interleaved")
table(["path", "ms"], [["loopback", stat(lo)], ["link", stat(li)],
                       ["link's own result.link.setup_ns", stat(times["setup"], "{:.2f}")]])
print(f"path setup and teardown (link - loopback, medians): "
      f"{statistics.median(li) - statistics.median(lo):.1f} ms (target <= 20 ms)")
print(f"load before: {before}")
print(f"load after:  {after}")
PY
