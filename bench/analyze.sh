#!/bin/bash
# `wiremeter analyze` of a ~1 GB capture against tshark, from one sitting:
#   (a) the summary (`analyze --json`) against `tshark -q -z conv,tcp`
#       (target >= 50x faster);
#   (b) the packet list (`analyze --json --packets`) against
#       `tshark -T fields` with the Info column (target: faster);
#   (c) peak memory (max RSS) of both (target <= 64 MiB each), tshark's
#       beside them.
# The capture is real: tcpdump, full snaplen, of an iperf3 transfer over a
# 1500-byte loopback in a network namespace of its own (GSO limited to one
# segment, so that every frame is one wire-sized segment), stopped at
# WM_BENCH_PACKETS frames — about 1 GB. Nothing here is a test: the
# figures vary with the machine and its load (printed with them).
#
# usage: bench/analyze.sh [WIREMETER]   (default: build/wiremeter)
# env:   WM_BENCH_PACKETS (default 700000: ~1 GB of 1514-byte frames)
#        WM_BENCH_PCAP    a capture to use instead of making one
set -euo pipefail
cd "$(dirname "$0")/.."
wiremeter=$(realpath "${1:-build/wiremeter}")
packets=${WM_BENCH_PACKETS:-700000}
tmp=$(mktemp -d /tmp/wm-bench-analyze.XXXXXX)
ns=wm-bench-analyze-$$
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

bench=analyze.sh
. bench/lib.sh
need_binary "$wiremeter"
need tshark "apt-get install tshark"
need python3 "apt-get install python3"
[ -x /usr/bin/time ] || { echo "$bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

max_rss_kib() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
# user + system CPU seconds: on a shared machine the wall time follows the
# load, the CPU time much less
cpu_s() { awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1"; }

echo "wiremeter analyze benchmark: $(nproc) CPUs, $(uname -r), $(date -u +%FT%TZ)" >&2
echo "load: $(uptime)" >&2

# ---- the capture
if [ -n "${WM_BENCH_PCAP:-}" ]; then
    pcap=$WM_BENCH_PCAP
else
    need tcpdump "apt-get install tcpdump"
    need iperf3 "apt-get install iperf3"
    pcap=$tmp/bench.pcap
    echo "capturing $packets frames of an iperf3 transfer (netns $ns) ..." >&2
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo mtu 1500 up
    ip netns exec "$ns" ip link set lo gso_max_segs 1 gso_max_size 1500
    ip netns exec "$ns" iperf3 -s -B 127.0.0.1 -p 5201 >"$tmp/iperf-server.log" 2>&1 &
    pids+=($!)
    ip netns exec "$ns" tcpdump -i lo -s 0 -B 262144 -c "$packets" -w "$pcap" \
        tcp port 5201 2>"$tmp/tcpdump.log" &
    tcpdump_pid=$!
    pids+=("$tcpdump_pid")
    for _ in $(seq 100); do
        grep -q listening "$tmp/tcpdump.log" && break
        sleep 0.05
    done
    ip netns exec "$ns" iperf3 -c 127.0.0.1 -p 5201 -b 1G -t 120 >"$tmp/iperf.log" 2>&1 &
    pids+=($!)
    wait "$tcpdump_pid"
fi
size=$(stat -c %s "$pcap")
echo "capture: $pcap, $size bytes" >&2

# ---- the four commands, one after the other, each timed alone
run() {   # run NAME COMMAND...: wall time (s), max RSS (KiB), CPU time (s)
    local name=$1 t0 t1 rc=0
    shift
    echo "running $name ..." >&2
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$tmp/$name.time" "$@" >"${out:-/dev/null}" 2>"$tmp/$name.err" || rc=$?
    t1=$(date +%s.%N)
    # 3: `analyze` read a file cut short (WM_BENCH_PCAP may be one)
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
        echo "$bench: $name failed:" >&2; cat "$tmp/$name.err" >&2; exit 1
    fi
    echo "$(python3 -c "print($t1 - $t0)") $(max_rss_kib "$tmp/$name.time") $(cpu_s "$tmp/$name.time")"
}
fields=(-e frame.number -e frame.time_relative -e ip.src -e ip.dst
        -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq -e tcp.ack
        -e tcp.window_size -e tcp.len -e tcp.analysis.flags -e _ws.col.Info)
wm_sum=$(out=$tmp/summary.json run wm-summary "$wiremeter" analyze --json "$pcap")
wm_rows=$(run wm-packets "$wiremeter" analyze --json --packets "$pcap")
ts_conv=$(run tshark-conv tshark -n -q -r "$pcap" -z conv,tcp)
ts_fields=$(run tshark-fields tshark -n -r "$pcap" -T fields "${fields[@]}")
frames=$(field "$tmp/summary.json" frames)
echo "load after: $(uptime)" >&2

python3 - "$size" "$frames" $wm_sum $wm_rows $ts_conv $ts_fields <<'PY'
import sys
size, frames = int(sys.argv[1]), sys.argv[2]
(ws, wr, wc, rs, rr, rc, cs, cr, cc, fs, fr, fc) = map(float, sys.argv[3:15])
mib = lambda kib: f"{kib / 1024:.1f}"
def ratio(ref, ours, word):   # below the timer's 10 ms there is no ratio
    return f"{ref / ours:.1f}x {word}" if ours > 0 else "-"
rows = [
    ("figure", "wiremeter", "tshark", "ratio", "target"),
    ("summary: wall time (s)", f"{ws:.2f}", f"{cs:.2f} (-q -z conv,tcp)",
     ratio(cs, ws, "faster"), ">= 50x"),
    ("summary: CPU time (s)", f"{wc:.2f}", f"{cc:.2f}",
     ratio(cc, wc, "less"), ""),
    ("summary: peak memory (MiB)", mib(wr), mib(cr), "-", "<= 64 MiB"),
    ("packet list: wall time (s)", f"{rs:.2f}", f"{fs:.2f} (-T fields, Info)",
     ratio(fs, rs, "faster"), "> 1x"),
    ("packet list: CPU time (s)", f"{rc:.2f}", f"{fc:.2f}",
     ratio(fc, rc, "less"), ""),
    ("packet list: peak memory (MiB)", mib(rr), mib(fr), "-", "<= 64 MiB"),
]
print(f"capture: {size / 1e9:.2f} GB, {frames} frames")
widths = [max(len(r[i]) for r in rows) for i in range(5)]
for i, r in enumerate(rows):
    print(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if i == 0:
        print("-|-".join("-" * w for w in widths))
PY
