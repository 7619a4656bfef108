#!/bin/bash
# The engine's speed and memory against references, from one sitting:
#   (a) throughput of a 1 GiB download with capture on, against iperf3
#       -n 1G on 127.0.0.1 with no capture (target >= 1.0x), and the
#       capture's drops;
#   (b) `wiremeter analyze` of that run's pcap against `tshark -q -z
#       conv,tcp` on the same file (target >= 10x faster), timed with
#       hyperfine when present;
#   (c) peak memory (max RSS) of the 1 GiB run (target <= 64 MiB), iperf3's
#       client beside it for scale.
# One wiremeter run serves all three. Nothing here is a test: the figures
# vary with the machine and its load; read them, do not gate on them.
#
# usage: bench/engine.sh [WIREMETER]   (default: build/wiremeter)
# env:   WM_BENCH_SIZE (default 1GiB), WM_BENCH_RUNS (hyperfine runs, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
wiremeter=$(realpath "${1:-build/wiremeter}")
size=${WM_BENCH_SIZE:-1GiB}
runs=${WM_BENCH_RUNS:-5}
tmp=$(mktemp -d /tmp/wm-bench.XXXXXX)
iperf_pid=

cleanup() {
    if [ -n "$iperf_pid" ] && kill -0 "$iperf_pid" 2>/dev/null; then
        kill "$iperf_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

bench=engine.sh
. bench/lib.sh
need_binary "$wiremeter"
need iperf3 "apt-get install iperf3"
need tshark "apt-get install tshark"
need python3 "apt-get install python3"
need ss "apt-get install iproute2"
[ -x /usr/bin/time ] || { echo "engine.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

max_rss_kib() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

echo "wiremeter engine benchmark: $(nproc) CPUs, $(uname -r), $(date -u +%FT%TZ)" >&2

# ---- the wiremeter run: throughput, drops, memory, and the pcap for (b)
echo "running wiremeter run --size $size (capture on) ..." >&2
/usr/bin/time -v -o "$tmp/wm.time" \
    "$wiremeter" run --size "$size" --max-size "$size" --json --pcap "$tmp/run.pcap" \
    >"$tmp/run.json"
wm_bps=$(field "$tmp/run.json" timing.throughput_bps)
wm_drops=$(( $(field "$tmp/run.json" capture.dropped) + $(field "$tmp/run.json" capture.if_dropped) ))
wm_rss=$(max_rss_kib "$tmp/wm.time")
packets=$(field "$tmp/run.json" totals.packets)
size_bytes=$(field "$tmp/run.json" params.size)

# ---- iperf3 on loopback, no capture
port=$(free_port)
iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$tmp/iperf-server.log" 2>&1 &
iperf_pid=$!
wait_port "$port" "$tmp/iperf-server.log"
echo "running iperf3 -n $size_bytes ..." >&2
/usr/bin/time -v -o "$tmp/iperf.time" \
    iperf3 -c 127.0.0.1 -p "$port" -n "$size_bytes" -J >"$tmp/iperf.json"
wait "$iperf_pid" 2>/dev/null || true
iperf_pid=
iperf_bps=$(field "$tmp/iperf.json" end.sum_received.bits_per_second)
iperf_rss=$(max_rss_kib "$tmp/iperf.time")

# ---- analyze against tshark on the run's pcap
echo "timing analyze vs tshark on $packets packets ..." >&2
wm_analyze=("$wiremeter" analyze --json "$tmp/run.pcap")
ts_conv=(tshark -n -q -r "$tmp/run.pcap" -z conv,tcp)
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$tmp/hf.json" \
        "${wm_analyze[*]}" "${ts_conv[*]}" >&2
    wm_s=$(field "$tmp/hf.json" results.0.median)
    ts_s=$(field "$tmp/hf.json" results.1.median)
else
    t0=$(date +%s.%N); "${wm_analyze[@]}" >/dev/null; t1=$(date +%s.%N)
    "${ts_conv[@]}" >/dev/null 2>&1; t2=$(date +%s.%N)
    wm_s=$(echo "$t1 - $t0" | bc -l); ts_s=$(echo "$t2 - $t1" | bc -l)
fi

python3 - "$wm_bps" "$iperf_bps" "$wm_drops" "$wm_s" "$ts_s" "$packets" "$wm_rss" "$iperf_rss" "$size" <<'PY'
import sys
wm_bps, iperf_bps, drops, wm_s, ts_s, packets, wm_rss, iperf_rss = map(float, sys.argv[1:9])
size = sys.argv[9]
rows = [
    ("figure", "wiremeter", "reference", "ratio", "target"),
    (f"throughput, {size} download (Gbit/s)", f"{wm_bps/1e9:.2f}",
     f"{iperf_bps/1e9:.2f} (iperf3)", f"{wm_bps/iperf_bps:.2f}x", ">= 1.0x"),
    ("capture drops", f"{drops:.0f}", "-", "-", "0"),
    (f"analyze {packets:.0f} packets (s)", f"{wm_s:.4f}",
     f"{ts_s:.4f} (tshark conv,tcp)", f"{ts_s/wm_s:.1f}x faster", ">= 10x"),
    (f"peak memory, {size} run (MiB)", f"{wm_rss/1024:.1f}",
     f"{iperf_rss/1024:.1f} (iperf3 client)", f"{wm_rss/1024/64:.2f} of 64 MiB", "<= 64 MiB"),
]
widths = [max(len(r[i]) for r in rows) for i in range(5)]
for i, r in enumerate(rows):
    print(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if i == 0:
        print("-|-".join("-" * w for w in widths))
PY
