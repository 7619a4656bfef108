#!/bin/bash
# The HTTP service's speed, from one sitting:
#   (a) GET /runs/{id} with wrk: requests/s and p99 latency of the daemon,
#       against Debian's nginx serving the very same JSON document as a
#       static file on another loopback port (target >= 0.5x nginx's
#       requests/s);
#   (b) POST /runs?size=13B end to end, 500 in a row on one keep-alive
#       connection: p50 and p99 latency (target p50 <= 0.5 ms), with the
#       daemon's own split of where the time went, beside the same client
#       fetching nginx's static copy of a run's document 500 times in a
#       row (the floor of one request through this client on this host);
#       the same POSTs and GETs again with a client whose own floor is
#       small (wrk -t1 -c1, one connection, one request at a time);
#       The daemon's CPU time per POST (user + system, /proc/PID/stat) and
#       its system calls per POST (strace -f -c over WM_BENCH_STRACE_POSTS
#       more, after the timed ones: strace slows what it watches): the
#       counts do not change with the machine's load, the CPU time less
#       than the latencies; beside them,
#       the disk's floor: one 4 KiB write + fdatasync in the data directory
#       (dd oflag=dsync), which every fsync of a run costs at least;
#   (c) runs per second with 8 POST /runs?size=13B in flight at once (wrk).
# Nothing here is a test: the figures vary with the machine and its load;
# read them, do not gate on them. wrk, nginx and the daemon share the
# machine's cores, as they would on a small host.
#
# usage: bench/http.sh [WIREMETER]   (default: build/wiremeter)
# env:   WM_BENCH_SECONDS (wrk duration, 10), WM_BENCH_CONNECTIONS (wrk
#        connections for (a), 32), WM_BENCH_POSTS (500), WM_BENCH_SIZE
#        (the run whose document (a) fetches, 1MB), WM_BENCH_STRACE_POSTS
#        (200; 0 skips strace)
set -euo pipefail
cd "$(dirname "$0")/.."
wiremeter=$(realpath "${1:-build/wiremeter}")
seconds=${WM_BENCH_SECONDS:-10}
connections=${WM_BENCH_CONNECTIONS:-32}
posts=${WM_BENCH_POSTS:-500}
doc_size=${WM_BENCH_SIZE:-1MB}
strace_posts=${WM_BENCH_STRACE_POSTS:-200}
tmp=$(mktemp -d /tmp/wm-bench-http.XXXXXX)
daemon_pid=
nginx_pid=

cleanup() {
    for pid in "$daemon_pid" "$nginx_pid"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

bench=http.sh
. bench/lib.sh
need_binary "$wiremeter"
need wrk "apt-get install wrk"
need python3 "apt-get install python3"
need ss "apt-get install iproute2"
[ "$strace_posts" = 0 ] || need strace "apt-get install strace"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "http.sh: nginx is needed (apt-get install nginx-light)" >&2; exit 1; }

# wrk's figures as "requests/s p99_ms non_2xx p50_ms"; wrk prints
# latencies with their own unit (us, ms, s).
wrk_figures() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, text, re.M)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
p99, p50 = pct(99), pct(50)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
print(f"{rps} {p99} {int(bad.group(1)) if bad else 0} {p50}")
if errors:
    print(f"wrk: socket errors: {errors.group(1)}", file=sys.stderr)
PY
}

echo "wiremeter HTTP benchmark: $(nproc) CPUs, $(uname -r), $(date -u +%FT%TZ)" >&2
load_before=$(uptime)
# Each run leaves a socket in TIME_WAIT, and a run's bind to port 0 walks
# past all of them on the machine: a latency means little without it.
timewait() { ss -s | sed -n 's/.*timewait \([0-9]*\).*/\1/p'; }
timewait_before=$(timewait)

# ---- the daemon, and the run whose document (a) fetches
port=$(free_port)
"$wiremeter" serve --listen "127.0.0.1:$port" --data-dir "$tmp/data" >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
wait_port "$port" "$tmp/daemon.log"
base="http://127.0.0.1:$port"
python3 - "$base" <<'PY' || exit 1
import json, sys, urllib.request
health = json.load(urllib.request.urlopen(sys.argv[1] + "/healthz"))
if not health["capture"]["permitted"]:
    sys.exit(f"http.sh: the daemon may not capture ({health['capture']['reason']}); run as root")
PY
run_id=$(curl -sf -X POST "$base/runs?size=$doc_size" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
mkdir -p "$tmp/www/runs"
curl -sf "$base/runs/$run_id" -o "$tmp/www/runs/$run_id"
doc_bytes=$(stat -c %s "$tmp/www/runs/$run_id")

# ---- nginx on its own loopback port, the same document as a file
nport=$(free_port)
mkdir -p "$tmp/nginx"
chmod 755 "$tmp" "$tmp/www" "$tmp/www/runs"   # nginx's workers run as nobody
chmod 644 "$tmp/www/runs/$run_id"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
daemon off;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$nport;
        root $tmp/www;
        default_type application/json;
    }
}
EOF
"$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
nginx_pid=$!
wait_port "$nport" "$tmp/nginx/error.log"
cmp -s <(curl -sf "http://127.0.0.1:$nport/runs/$run_id") "$tmp/www/runs/$run_id" ||
    { echo "http.sh: nginx does not serve the run's document" >&2; exit 1; }

# ---- (a) GET /runs/{id}: wrk against both, each warmed up first
get_bench() {   # name url
    wrk -t2 -c"$connections" -d2s "$2" >/dev/null
    echo "wrk -t2 -c$connections -d${seconds}s --latency $2" >&2
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "$2" >"$tmp/wrk-$1.txt"
    wrk_figures "$tmp/wrk-$1.txt"
}
read -r wm_rps wm_p99 wm_bad _ < <(get_bench wiremeter "$base/runs/$run_id")
read -r ng_rps ng_p99 ng_bad _ < <(get_bench nginx "http://127.0.0.1:$nport/runs/$run_id")

# ---- (b) POST /runs?size=13B, one after another on one connection
echo "POST /runs?size=13B x $posts, sequential; nginx GET x $posts with the same client ..." >&2
python3 - "$port" "$posts" "$nport" "/runs/$run_id" "$daemon_pid" >"$tmp/posts.txt" <<'PY'
import http.client, json, os, sys, time
port, count, nport, npath = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
daemon_pid = sys.argv[5]
def daemon_cpu_s():   # utime + stime of every thread, in seconds
    fields = open(f"/proc/{daemon_pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
conn = http.client.HTTPConnection("127.0.0.1", port)
nconn = http.client.HTTPConnection("127.0.0.1", nport)
def get_static():
    t0 = time.perf_counter_ns()
    nconn.request("GET", npath)
    resp = nconn.getresponse()
    resp.read()
    elapsed = time.perf_counter_ns() - t0
    if resp.status != 200:
        sys.exit(f"http.sh: nginx answered {resp.status}")
    return elapsed
def post():
    sent_ns = time.time_ns()   # the wall clock, as the daemon's *_ns
    t0 = time.perf_counter_ns()
    conn.request("POST", "/runs?size=13B")
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter_ns() - t0
    received_ns = time.time_ns()
    doc = json.loads(body)
    if resp.status != 201 or doc["status"] != "done":
        sys.exit(f"http.sh: POST answered {resp.status} {doc.get('status')}: {body[:300]!r}")
    doc["sent_ns"], doc["received_ns"] = sent_ns, received_ns
    return elapsed, doc
for _ in range(20):   # warm-up, not counted
    post()
    get_static()
lat, queued, ran, static, inward, outward = [], [], [], [], [], []
cpu_s = 0.0
for _ in range(count):   # in turn, so that the load hits both alike
    cpu0 = daemon_cpu_s()
    elapsed, doc = post()
    cpu_s += daemon_cpu_s() - cpu0
    lat.append(elapsed / 1e6)
    queued.append((doc["started_ns"] - doc["created_ns"]) / 1e6)
    ran.append((doc["finished_ns"] - doc["started_ns"]) / 1e6)
    inward.append((doc["created_ns"] - doc["sent_ns"]) / 1e6)
    outward.append((doc["received_ns"] - doc["finished_ns"]) / 1e6)
    static.append(get_static() / 1e6)
def pct(values, p):   # nearest rank
    s = sorted(values)
    return s[max(0, -(-len(s) * p // 100) - 1)]
print(pct(lat, 50), pct(lat, 99), pct(queued, 50), pct(ran, 50),
      pct(static, 50), pct(static, 99), cpu_s * 1e3 / count,
      pct(inward, 50), pct(outward, 50))
PY
read -r post_p50 post_p99 queued_p50 ran_p50 static_p50 static_p99 cpu_ms \
    inward_p50 outward_p50 <"$tmp/posts.txt"

# ---- (b) again with wrk -t1 -c1: one connection, one request at a time,
# a client whose own floor is a fraction of Python's
cat >"$tmp/post.lua" <<'EOF'
wrk.method = "POST"
EOF
one_bench() {   # name url [wrk args]
    local name=$1 url=$2
    shift 2
    wrk -t1 -c1 -d2s "$@" "$url" >/dev/null
    echo "wrk -t1 -c1 -d${seconds}s --latency $* $url" >&2
    wrk -t1 -c1 -d"${seconds}s" --latency "$@" "$url" >"$tmp/wrk-$name.txt"
    wrk_figures "$tmp/wrk-$name.txt"
}
read -r _ wrk_post_p99 wrk_post_bad wrk_post_p50 < <(one_bench post1 "$base/runs?size=13B" -s "$tmp/post.lua")
read -r _ wrk_static_p99 wrk_static_bad wrk_static_p50 < <(one_bench static1 "http://127.0.0.1:$nport/runs/$run_id")

# The system calls of strace_posts more POSTs, per POST: all of them, and
# those the small run's time was found in (bench/README.md).
syscalls="- -"
if [ "$strace_posts" != 0 ]; then
    echo "strace -f -c -p $daemon_pid over $strace_posts POST /runs?size=13B ..." >&2
    strace -f -c -o "$tmp/strace.txt" -p "$daemon_pid" 2>/dev/null &
    strace_pid=$!
    sleep 1   # attached to every thread
    python3 - "$port" "$strace_posts" <<'PY'
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    conn.request("POST", "/runs?size=13B")
    conn.getresponse().read()
PY
    kill -INT "$strace_pid"
    wait "$strace_pid" || true
    syscalls=$(python3 - "$tmp/strace.txt" "$strace_posts" <<'PY'
import sys
calls = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 5 and f[3].isdigit():
        calls[f[-1]] = int(f[3])
n = int(sys.argv[2])
each = " / ".join(f"{calls.get(name, 0) / n:.1f}" for name in
                  ("fsync", "openat", "clone3", "fcntl", "pwrite64", "futex"))
print(f"{calls.get('total', 0) / n:.0f} {each}")
PY
)
fi

# The disk's floor: one 4 KiB write + fdatasync in the data directory.
dd_s=$(dd if=/dev/zero of="$tmp/data/dsync.test" bs=4k count=500 oflag=dsync 2>&1 |
       sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p')
rm -f "$tmp/data/dsync.test"

# ---- (c) runs per second, 8 in flight
wrk -t2 -c8 -d2s -s "$tmp/post.lua" "$base/runs?size=13B" >/dev/null
echo "wrk -t2 -c8 -d${seconds}s -s post.lua $base/runs?size=13B" >&2
wrk -t2 -c8 -d"${seconds}s" --latency -s "$tmp/post.lua" "$base/runs?size=13B" >"$tmp/wrk-post.txt"
read -r runs_s runs_p99 runs_bad _ < <(wrk_figures "$tmp/wrk-post.txt")
workers=$(python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]+"/healthz"))["runs"]["workers"])' "$base")

load_after=$(uptime)
python3 - "$wm_rps" "$wm_p99" "$wm_bad" "$ng_rps" "$ng_p99" "$ng_bad" \
    "$post_p50" "$post_p99" "$queued_p50" "$ran_p50" "$runs_s" "$runs_p99" "$runs_bad" \
    "$static_p50" "$static_p99" "$cpu_ms" "$dd_s" "$syscalls" "$strace_posts" \
    "$doc_bytes" "$doc_size" "$posts" "$connections" "$workers" \
    "$inward_p50" "$outward_p50" "$wrk_post_p50" "$wrk_post_p99" \
    "$wrk_static_p50" "$wrk_static_p99" "$wrk_post_bad" "$seconds" <<'PY'
import sys
(wm_rps, wm_p99, wm_bad, ng_rps, ng_p99, ng_bad, p50, p99, q50, r50,
 runs_s, runs_p99, runs_bad, s50, s99, cpu_ms, dd_s) = map(float, sys.argv[1:18])
syscalls, strace_posts = sys.argv[18:20]
doc_bytes, doc_size, posts, conns, workers = sys.argv[20:25]
(in50, out50, w50, w99, ws50, ws99, w_bad) = map(float, sys.argv[25:32])
seconds = sys.argv[32]
rows = [
    ("figure", "wiremeter", "nginx", "ratio", "target"),
    (f"GET /runs/{{id}} ({doc_size} run, {doc_bytes} B), requests/s, {conns} conns",
     f"{wm_rps:.0f}", f"{ng_rps:.0f}", f"{wm_rps/ng_rps:.2f}x", ">= 0.5x"),
    ("GET /runs/{id} p99 latency (ms)", f"{wm_p99:.2f}", f"{ng_p99:.2f}",
     f"{wm_p99/ng_p99:.2f}x", "-"),
    (f"POST /runs?size=13B p50, {posts} sequential (ms); nginx: GET of the static copy",
     f"{p50:.3f}", f"{s50:.3f}", f"{p50/0.5:.2f}x the target", "<= 0.5 ms"),
    (f"POST /runs?size=13B p99, {posts} sequential (ms); nginx: the same GET",
     f"{p99:.3f}", f"{s99:.3f}", "-", "-"),
    ("  of which send -> created / queued / running / finished -> received, p50 (ms)",
     f"{in50:.2f} / {q50:.2f} / {r50:.2f} / {out50:.2f}", "-", "-", "-"),
    (f"POST /runs?size=13B p50, wrk -t1 -c1 {seconds} s (ms); nginx: the static GET",
     f"{w50:.3f}", f"{ws50:.3f}", f"{w50/0.5:.2f}x the target", "<= 0.5 ms"),
    (f"POST /runs?size=13B p99, wrk -t1 -c1 {seconds} s (ms); nginx: the same GET",
     f"{w99:.3f}", f"{ws99:.3f}", "-", "-"),
    ("  daemon CPU per POST, user + system (ms)", f"{cpu_ms:.3f}", "-", "-", "-"),
    (f"  syscalls per POST (strace -f -c, {strace_posts} POSTs)", syscalls.split(None, 1)[0], "-", "-", "-"),
    ("    of which fsync / openat / clone3 / fcntl / pwrite64 / futex", syscalls.split(None, 1)[1],
     "-", "-", "-"),
    ("  disk floor: 4 KiB write + fdatasync in the data dir (ms)",
     f"{dd_s / 500 * 1e3:.3f}", "-", "-", "-"),
    (f"runs/s, 8 POSTs in flight ({workers} workers)", f"{runs_s:.1f}", "-", "-", "-"),
    ("  p99 latency at 8 in flight (ms)", f"{runs_p99:.2f}", "-", "-", "-"),
]
widths = [max(len(r[i]) for r in rows) for i in range(5)]
for i, r in enumerate(rows):
    print(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if i == 0:
        print("-|-".join("-" * w for w in widths))
for what, n in (("GET (wiremeter)", wm_bad), ("GET (nginx)", ng_bad), ("POST at 8", runs_bad),
                ("POST at 1 (wrk)", w_bad)):
    if n:
        print(f"warning: {what}: {n:.0f} non-2xx answers")
PY
echo "load before: $load_before"
echo "load after:  $load_after"
echo "sockets in TIME_WAIT (ss -s): $timewait_before before, $(timewait) after"
