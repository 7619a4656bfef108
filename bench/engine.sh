#!/bin/bash
# The engine's speed and memory against references, from one sitting:
#   (a) throughput of a 1 GiB download, wiremeter with capture on and every
#       byte verified against iperf3 on 127.0.0.1 with neither, at equal
#       write sizes (our --chunk, iperf3's -l: 64 KiB, 128 KiB, 1 MiB) and
#       at each tool's defaults (64 KiB for us, 128 KiB for iperf3), and
#       our sendfile send path (--sendfile) against iperf3 -Z (sendfile),
#       both at 128 KiB (target >= 1.0x at every write size), with the
#       capture's drops and the CPU seconds per GiB of both;
#   (b) `wiremeter analyze` of a run's pcap against `tshark -q -z
#       conv,tcp` on the same file (target >= 10x faster), timed with
#       hyperfine when present;
#   (c) peak memory of a 1 GiB run (target <= 64 MiB): `wiremeter run`'s
#       max RSS, and the daemon's VmHWM around a 1 GiB POST /runs, iperf3's
#       client beside them for scale.
# (a) runs the tools in turn (w, i, w, i, ...), every write size once per
# round, WM_BENCH_ROUNDS rounds, so that a change in the machine's load
# hits both alike; it prints each figure's median and range. The machine's
# load (uptime) is printed before and after. Nothing here is a test: the
# figures vary with the machine and its load; read them, do not gate on
# them.
#
# At the defaults it takes 1 to 3 minutes on a 2-core VM (5 minutes at
# most under a load of 20); a longer campaign raises WM_BENCH_ROUNDS.
#
# usage: bench/engine.sh [WIREMETER]   (default: build/wiremeter)
# env:   WM_BENCH_SIZE (default 1GiB), WM_BENCH_ROUNDS (rounds of (a), 5;
#        e.g. 20 for a longer campaign), WM_BENCH_RUNS (hyperfine runs of
#        (b), 5)
set -euo pipefail
cd "$(dirname "$0")/.."
wiremeter=$(realpath "${1:-build/wiremeter}")
size=${WM_BENCH_SIZE:-1GiB}
rounds=${WM_BENCH_ROUNDS:-5}
runs=${WM_BENCH_RUNS:-5}
tmp=$(mktemp -d /tmp/wm-bench.XXXXXX)
iperf_pid=
daemon_pid=

cleanup() {
    for pid in "$iperf_pid" "$daemon_pid"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
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
need curl "apt-get install curl"
[ -x /usr/bin/time ] || { echo "engine.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

max_rss_kib() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

load_before=$(uptime)
echo "wiremeter engine benchmark: $(nproc) CPUs, $(uname -r), $(date -u +%FT%TZ)" >&2
echo "load before: $load_before" >&2

# ---- (a) throughput, interleaved
# name | wiremeter arguments ("" for its defaults) | iperf3 arguments
configs=(
    "64 KiB|--chunk 64KiB|-l 64K"
    "128 KiB|--chunk 128KiB|-l 128K"
    "1 MiB|--chunk 1MiB|-l 1M"
    "defaults (64 KiB / 128 KiB)||"
    "sendfile, 128 KiB (--sendfile / -Z)|--chunk 128KiB --sendfile|-Z -l 128K"
)
: >"$tmp/a.txt"   # lines: config-index tool Gbit/s drops
run_wm() {   # index "wiremeter arguments"
    local args=()
    read -r -a args <<<"$2"
    /usr/bin/time -f "%U %S" -o "$tmp/a.cpu" \
        "$wiremeter" run --size "$size" --max-size "$size" --json "${args[@]}" >"$tmp/a.json" ||
        { echo "engine.sh: wiremeter run failed (capture needs CAP_NET_RAW)" >&2; exit 1; }
    python3 - "$tmp/a.json" "$1" "$(cat "$tmp/a.cpu")" >>"$tmp/a.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
drops = d["capture"]["dropped"] + d["capture"]["if_dropped"]
if not d["integrity"]["verified"]:
    sys.exit("engine.sh: a run was not verified")
cpu = sum(map(float, sys.argv[3].split()))
print(sys.argv[2], "wm", d["timing"]["throughput_bps"] / 1e9, drops, cpu)
PY
    size_bytes=$(field "$tmp/a.json" params.size)   # iperf3 -n takes bytes
}
run_iperf() {   # index args...
    local index=$1
    shift
    local port
    port=$(free_port)
    /usr/bin/time -f "%U %S" -o "$tmp/server.cpu" \
        iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$tmp/iperf-server.log" 2>&1 &
    iperf_pid=$!
    wait_port "$port" "$tmp/iperf-server.log"
    # shellcheck disable=SC2068 # the arguments are words on purpose
    /usr/bin/time -f "%U %S" -o "$tmp/client.cpu" \
        iperf3 -c 127.0.0.1 -p "$port" -n "$size_bytes" -J $@ >"$tmp/iperf.json"
    wait "$iperf_pid" 2>/dev/null || true
    iperf_pid=
    local cpu
    cpu=$(cat "$tmp/server.cpu" "$tmp/client.cpu" | awk '{s += $1 + $2} END {print s}')
    echo "$index iperf $(field "$tmp/iperf.json" end.sum_received.bits_per_second | awk '{print $1 / 1e9}') 0 $cpu" >>"$tmp/a.txt"
}
for round in $(seq "$rounds"); do
    echo "round $round of $rounds ..." >&2
    for i in "${!configs[@]}"; do
        IFS='|' read -r _ wm_args iperf_args <<<"${configs[$i]}"
        run_wm "$i" "$wm_args"
        run_iperf "$i" "$iperf_args"
    done
done

# ---- (b) and (c): one run with its pcap, under /usr/bin/time
echo "running wiremeter run --size $size --pcap (for analyze and memory) ..." >&2
/usr/bin/time -v -o "$tmp/wm.time" \
    "$wiremeter" run --size "$size" --max-size "$size" --json --pcap "$tmp/run.pcap" \
    >"$tmp/run.json"
wm_rss=$(max_rss_kib "$tmp/wm.time")
packets=$(field "$tmp/run.json" totals.packets)
port=$(free_port)
iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$tmp/iperf-server.log" 2>&1 &
iperf_pid=$!
wait_port "$port" "$tmp/iperf-server.log"
/usr/bin/time -v -o "$tmp/iperf.time" \
    iperf3 -c 127.0.0.1 -p "$port" -n "$size_bytes" -J >/dev/null
wait "$iperf_pid" 2>/dev/null || true
iperf_pid=
iperf_rss=$(max_rss_kib "$tmp/iperf.time")

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
rm -f "$tmp/run.pcap"

# The daemon's peak around a run of the same size, POSTed and waited for.
echo "daemon: POST /runs?size=$size ..." >&2
dport=$(free_port)
"$wiremeter" serve --listen "127.0.0.1:$dport" --data-dir "$tmp/data" \
    --max-size "$size" --max-wait 120 >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
wait_port "$dport" "$tmp/daemon.log"
daemon_idle_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon_pid/status")
curl -sf -X POST "http://127.0.0.1:$dport/runs?size=$size&wait=120" -o "$tmp/post.json" ||
    { echo "engine.sh: the daemon's run failed; see $tmp/daemon.log" >&2; cat "$tmp/daemon.log" >&2; exit 1; }
[ "$(field "$tmp/post.json" status)" = "done" ] ||
    { echo "engine.sh: the daemon's run did not end done: $(head -c 300 "$tmp/post.json")" >&2; exit 1; }
daemon_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon_pid/status")
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=

load_after=$(uptime)
python3 - "$tmp/a.txt" "$rounds" "$size" "$wm_s" "$ts_s" "$packets" "$wm_rss" \
    "$iperf_rss" "$daemon_kib" "$daemon_idle_kib" "$size_bytes" "${configs[@]}" <<'PY'
import statistics, sys
path, rounds, size = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wm_s, ts_s, packets, wm_rss, iperf_rss, daemon_kib, daemon_idle, size_bytes = \
    map(float, sys.argv[4:12])
gib = size_bytes / 2**30
configs = [c.split("|") for c in sys.argv[12:]]
runs = {}
for line in open(path):
    index, tool, gbps, drops, cpu = line.split()
    runs.setdefault((int(index), tool), []).append(
        (float(gbps), int(float(drops)), float(cpu)))

def table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print("-|-".join("-" * w for w in widths))

def spread(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

print(f"(a) {size} download, Gbit/s: median (range) of {rounds} runs each, interleaved")
rows = [("write size (wiremeter --chunk / iperf3 -l)", "wiremeter, capture on, verified",
         "iperf3, no capture", "ratio of medians", "capture drops", "target")]
cpu_rows = [("write size", "wiremeter (whole process)", "iperf3 (client + server)",
             "ratio of medians")]
for i, (name, wm_args, iperf_args) in enumerate(configs):
    ip = [g for g, _, _ in runs[(i, "iperf")]]
    ip_cpu = [c / gib for _, _, c in runs[(i, "iperf")]]
    wm = runs[(i, "wm")]
    wg = [g for g, _, _ in wm]
    wm_cpu = [c / gib for _, _, c in wm]
    drops = sum(d for _, d, _ in wm)
    rows.append((name, spread(wg), spread(ip),
                 f"{statistics.median(wg) / statistics.median(ip):.2f}x",
                 f"{drops}", ">= 1.0x, 0 drops"))
    cpu_rows.append((name, spread(wm_cpu), spread(ip_cpu),
                     f"{statistics.median(wm_cpu) / statistics.median(ip_cpu):.2f}x"))
table(rows)
print()
# CPU seconds are what load changes least: a busy machine stretches the
# wall clock, not the work done per byte.
print(f"(a') CPU seconds per GiB (user + system) of the same runs: median (range)")
table(cpu_rows)
print()
table([
    ("figure", "wiremeter", "reference", "ratio", "target"),
    (f"analyze {packets:.0f} packets (s)", f"{wm_s:.4f}",
     f"{ts_s:.4f} (tshark conv,tcp)", f"{ts_s/wm_s:.1f}x faster", ">= 10x"),
    (f"peak memory, wiremeter run --size {size} (MiB)", f"{wm_rss/1024:.1f}",
     f"{iperf_rss/1024:.1f} (iperf3 client)", f"{wm_rss/1024/64:.2f} of 64 MiB", "<= 64 MiB"),
    (f"peak memory, daemon around POST /runs?size={size} (MiB)",
     f"{daemon_kib/1024:.1f}", f"{daemon_idle/1024:.1f} (the daemon idle)",
     f"{daemon_kib/1024/64:.2f} of 64 MiB", "<= 64 MiB"),
])
PY
echo "load before: $load_before"
echo "load after:  $load_after"
