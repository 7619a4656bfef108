#!/usr/bin/env bash
# compose_test.sh - `docker compose up` end to end (ctest label "docker").
#
#  1. makes sure a Docker engine runs (docker/ensure-engine.sh: installs
#     docker.io and docker-compose from Debian when missing, starts dockerd);
#  2. makes sure the debian:bookworm-slim base image exists
#     (docker/make-base-image.sh: debootstrap + docker import; no registry);
#  3. builds and starts the service with the repository's compose.yaml, under
#     its own project name and on a free loopback port;
#  4. checks how the container runs: as a non-root user, with NET_RAW as its
#     only capability, published on the host's 127.0.0.1 only, with memory
#     and pids limits, never --open: a token made on the first start, printed
#     in the log, that POST needs (401 without it);
#  5. waits until the container is healthy, POSTs a 1 MB run through the
#     published 127.0.0.1 port and checks its JSON (capture permitted, no
#     drops, handshake and closure complete, 1,000,000 bytes verified) and
#     its pcap (magic; the image's own `wiremeter analyze` and, when the host
#     has it, tshark or tcpdump count the packets the JSON counts);
#  6. restarts the container and checks the run is still there;
#  7. checks that the minimal container says link paths are unavailable, and
#     why; recreates it with compose.paths.yaml over compose.yaml (SYS_ADMIN
#     in the container's set, for seccomp's sake only) and checks that the
#     daemon, still unprivileged, is in a user namespace of its own there and
#     runs a 1 MB link run at mtu 1500, captured at both ends;
#  8. takes it all down with its volume (also on failure), and checks that no
#     container, network or volume of the project is left.
#
# Exit status: 0 passed; 77 skipped (no engine can be started here; set
# WIREMETER_REQUIRE_DOCKER=1 to make that a failure); 1 failed.
#
# Environment: WIREMETER_COMPOSE (the compose command, default: `docker
# compose` when it works, else `docker-compose`), WIREMETER_TEST_PORT (host
# port, default: the first free one from 18080), WIREMETER_KEEP=1 (leave the
# project up for inspection).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PROJECT="wiremeter-test-$$"
SERVICE=wiremeter
export WIREMETER_IMAGE="wiremeter:compose-test"

t0=$(date +%s)
say()  { echo "compose_test [$(( $(date +%s) - t0 ))s]: $*"; }
fail() { say "FAIL: $*"; exit 1; }
skip() {
    if [ "${WIREMETER_REQUIRE_DOCKER:-0}" = 1 ]; then
        fail "$* (WIREMETER_REQUIRE_DOCKER=1, so this is a failure)"
    fi
    say "SKIP: $*"; exit 77
}

# ---------------------------------------------------------------- 1. engine
"$REPO/docker/ensure-engine.sh"
rc=$?
[ "$rc" = 77 ] && skip "no Docker engine can be started here (see above)"
[ "$rc" = 0 ] || fail "docker/ensure-engine.sh exited $rc"

if [ -n "${WIREMETER_COMPOSE:-}" ]; then
    read -r -a COMPOSE <<<"$WIREMETER_COMPOSE"
elif docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
else
    skip "no compose command (docker compose / docker-compose)"
fi
say "engine: $(docker version -f '{{.Server.Version}}' 2>/dev/null); compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?'))"

for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is needed by this test"
done

# ------------------------------------------------------------ 2. base image
"$REPO/docker/make-base-image.sh"
rc=$?
[ "$rc" = 77 ] && skip "the debian:bookworm-slim base image cannot be made here (see above)"
[ "$rc" = 0 ] || fail "docker/make-base-image.sh exited $rc"

# ------------------------------------------------------------- 3. build, up
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${WIREMETER_TEST_PORT:-}
if [ -z "$PORT" ]; then
    for p in $(seq 18080 18180); do
        if port_free "$p"; then PORT=$p; break; fi
    done
    [ -n "$PORT" ] || fail "no free port in 18080-18180"
fi
export WIREMETER_PORT=$PORT
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wiremeter-compose.XXXXXX")

dc() { (cd "$REPO" && "${COMPOSE[@]}" -p "$PROJECT" "$@"); }

cleanup() {
    local rc=$?
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        say "container logs (last 60 lines):"
        dc logs --no-color --tail=60 "$SERVICE" 2>&1 | sed 's/^/    /'
    fi
    if [ "${WIREMETER_KEEP:-0}" = 1 ]; then
        say "WIREMETER_KEEP=1: leaving project $PROJECT up on $BASE"
    else
        dc down -v --remove-orphans >/dev/null 2>&1 || say "warning: compose down failed"
        local label="label=com.docker.compose.project=$PROJECT" left
        left=$( { docker ps -aq --filter "$label"; docker network ls -q --filter "$label";
                  docker volume ls -q --filter "$label"; } 2>/dev/null)
        if [ -n "$left" ]; then
            say "FAIL: left behind after down -v: $(echo $left)"
            [ "$rc" = 0 ] && rc=1
        elif [ "$rc" = 0 ]; then
            say "down -v: no container, network or volume of $PROJECT is left"
        fi
    fi
    rm -rf "$WORK"
    [ "$rc" = 0 ] && say "PASS (in $(( $(date +%s) - t0 ))s)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "building (project $PROJECT)"
b0=$(date +%s)
build_opts=()
# docker-compose 1.x leaves the container of a failed step behind unless asked.
[ "${COMPOSE[0]}" = docker-compose ] && build_opts=(--force-rm)
dc build "${build_opts[@]}" "$SERVICE" >"$WORK/build.log" 2>&1 || { tail -n 60 "$WORK/build.log"; fail "compose build failed"; }
size=$(docker image inspect -f '{{.Size}}' "$WIREMETER_IMAGE" 2>/dev/null)
say "built in $(( $(date +%s) - b0 ))s; image $WIREMETER_IMAGE: $size bytes ($(( size / 1000000 )) MB)"
grep -E 'cap_net_raw[=+]' "$WORK/build.log" | sed 's/^/    /'

dc up -d "$SERVICE" >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; fail "compose up failed"; }
CID=$(dc ps -q "$SERVICE")
[ -n "$CID" ] || fail "no container for service $SERVICE"
say "up: container ${CID:0:12}, published on $BASE"

# ------------------------------------------ 4. how the container runs
# Only NET_RAW is added, everything else dropped; the port is published on
# the host's loopback only; the container has memory and pids limits; the
# daemon is never told --open (it listens on all the container's addresses,
# so it needs its token); it runs as a user other than root, and its
# bounding set holds NET_RAW alone (bit 13: 0x2000).
python3 - "$CID" <<'PY' || fail "the container is not configured as compose.yaml says"
import json, subprocess, sys
c = json.loads(subprocess.check_output(["docker", "inspect", sys.argv[1]]))[0]
hc, cfg = c["HostConfig"], c["Config"]
problems = []
adds = sorted(a.upper().removeprefix("CAP_") for a in (hc.get("CapAdd") or []))
drops = sorted(a.upper().removeprefix("CAP_") for a in (hc.get("CapDrop") or []))
if adds != ["NET_RAW"]:
    problems.append("cap_add is %r, want NET_RAW only" % adds)
if drops != ["ALL"]:
    problems.append("cap_drop is %r, want ALL" % drops)
if hc.get("Privileged"):
    problems.append("privileged")
for port, binds in (hc.get("PortBindings") or {}).items():
    for b in binds or []:
        if b.get("HostIp") != "127.0.0.1":
            problems.append("%s published on %r, not 127.0.0.1" % (port, b.get("HostIp")))
cmd = (c.get("Path") and [c["Path"]] or []) + (c.get("Args") or [])
if "--open" in cmd or any("OPEN=" in e for e in cfg.get("Env") or []):
    problems.append("the daemon is started open: %r" % cmd)
if not hc.get("Memory") or not hc.get("PidsLimit"):
    problems.append("no memory or pids limit: %r, %r" % (hc.get("Memory"), hc.get("PidsLimit")))
if cfg.get("User") in ("", "0", "root", None):
    problems.append("the image's user is %r" % cfg.get("User"))
for p in problems:
    print("    " + p)
sys.exit(1 if problems else 0)
PY
read -r uid capbnd < <(docker exec "$CID" sh -c 'echo "$(id -u) $(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/1/status)"')
[ -n "$uid" ] && [ "$uid" != 0 ] || fail "the daemon runs as uid ${uid:-?}"
[ "$((16#${capbnd:-0}))" = $((1 << 13)) ] || fail "the container's capability bounding set is $capbnd, want 0000000000002000 (NET_RAW)"
say "container: uid $uid ($(docker exec "$CID" id -un)), capabilities $capbnd (NET_RAW only), $(docker exec "$CID" getcap /usr/local/bin/wiremeter 2>/dev/null)"

wait_healthy() {
    local i status
    for i in $(seq 1 120); do
        status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.Status}}' "$CID" 2>/dev/null)
        case "$status" in
            "healthy "*) say "healthy after ${i}s"; return 0 ;;
            *" exited"|*" dead") fail "container stopped ($status)" ;;
            "none "*) fail "the image has no HEALTHCHECK" ;;
        esac
        sleep 1
    done
    fail "not healthy after 120s (last: $status)"
}
wait_healthy

# The token the entrypoint made on the first start, from the log.
TOKEN=$(docker logs "$CID" 2>&1 | sed -n 's/^wiremeter: API token .*: \([0-9a-f]\{48\}\)$/\1/p' | tail -n 1)
[ -n "$TOKEN" ] || fail "no API token in the container's log: $(docker logs "$CID" 2>&1 | head -5)"
AUTH=(-H "Authorization: Bearer $TOKEN")
code=$(curl -sS -X POST -o /dev/null -w '%{http_code}' "$BASE/runs?size=13B") || fail "POST without a token: curl failed"
[ "$code" = 401 ] || fail "POST /runs without the token answered $code, not 401"
say "a token made on the first start is in the log; POST without it: 401"

code=$(curl -sS -o "$WORK/healthz.json" -w '%{http_code}' "$BASE/healthz") || fail "GET /healthz: curl failed"
[ "$code" = 200 ] || fail "GET /healthz answered $code: $(cat "$WORK/healthz.json")"
say "GET /healthz -> 200 $(head -c 200 "$WORK/healthz.json")"
permitted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("capture",{}).get("permitted"))' "$WORK/healthz.json")
[ "$permitted" = True ] || fail "GET /healthz says capture is not permitted in the container: $(cat "$WORK/healthz.json")"

# ---------------------------------------------------------- 5. a 1 MB run
code=$(curl -sS -X POST "${AUTH[@]}" -o "$WORK/post.json" -w '%{http_code}' --max-time 120 "$BASE/runs?size=1MB") \
    || fail "POST /runs?size=1MB: curl failed"
say "POST /runs?size=1MB -> $code"
case "$code" in 200|201|202) ;; *) fail "POST /runs answered $code: $(head -c 600 "$WORK/post.json")" ;; esac

# The run's id, and its status when the answer is the daemon's wrapper.
read -r RUN_ID RUN_STATUS < <(python3 - "$WORK/post.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
# A bare result (no wrapper) counts as done; "-" stands for a missing id.
print(d.get("id", "-") if isinstance(d, dict) else "-",
      d.get("status", "done") if isinstance(d, dict) else "?")
PY
) || fail "POST /runs did not answer JSON: $(head -c 600 "$WORK/post.json")"
[ -n "$RUN_ID" ] && [ "$RUN_ID" != - ] || fail "POST /runs answer has no id: $(head -c 600 "$WORK/post.json")"

# An asynchronous answer: poll the run until it is done.
cp "$WORK/post.json" "$WORK/run.json"
for i in $(seq 1 120); do
    case "$RUN_STATUS" in queued|running) ;; *) break ;; esac
    sleep 1
    curl -sS -o "$WORK/run.json" "$BASE/runs/$RUN_ID" || fail "GET /runs/$RUN_ID: curl failed"
    RUN_STATUS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("status",""))' "$WORK/run.json")
done

check_run() {  # check_run FILE: the run's JSON is a complete 1 MB download
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d.get("result", d) if isinstance(d, dict) else None
problems = []
if d.get("status", "done") != "done":
    problems.append("status %r, error %r" % (d.get("status"), d.get("error")))
if not isinstance(r, dict):
    problems.append("no result")
    r = {}
def get(path):
    cur = r
    for k in path.split("."):
        if not isinstance(cur, dict) or k not in cur:
            return None
        cur = cur[k]
    return cur
if not isinstance(get("schema"), int):
    problems.append("schema is %r, not an integer" % get("schema"))
# 1MB is 1,000,000 bytes of payload in the data direction (a download by
# default); totals.payload_bytes adds the client's small request to it.
down = get("totals.payload_server_to_client")
total = get("totals.payload_bytes")
if down != 1000000 and total != 1000000:
    problems.append("payload: totals.payload_server_to_client=%r totals.payload_bytes=%r, want 1000000" % (down, total))
if get("handshake.complete") is not True:
    problems.append("handshake.complete is %r" % get("handshake.complete"))
if len(get("handshake.packets") or []) != 3:
    problems.append("handshake has %d packets, not 3" % len(get("handshake.packets") or []))
if get("integrity.verified") is not True or get("integrity.received_bytes") != 1000000:
    problems.append("integrity not verified: %r" % get("integrity"))
if get("closure.complete") is not True or get("closure.kind") != "fin":
    problems.append("closure: complete %r, kind %r" % (get("closure.complete"), get("closure.kind")))
if get("capture.dropped") != 0 or get("capture.complete") is not True:
    problems.append("capture: %r" % get("capture"))
packets = get("totals.packets")
if not isinstance(packets, int) or packets < 10:
    problems.append("totals.packets is %r" % packets)
if problems:
    print("; ".join(problems))
    sys.exit(1)
print("schema %s, %s packets, payload %s (server->client %s), handshake complete, closure %s by %s, "
      "capture dropped %s, integrity verified, total %.3f ms"
      % (r["schema"], packets, total, down, get("closure.kind"), get("closure.initiator"),
         get("capture.dropped"), (get("timing.total_ns") or 0) / 1e6))
PY
}
summary=$(check_run "$WORK/run.json") || fail "run $RUN_ID: $summary"
say "run $RUN_ID: $summary"
PACKETS=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("result", d)["totals"]["packets"])' "$WORK/run.json")

# IPv6 on the container's loopback (compose.yaml turns it on): a small run.
code=$(curl -sS -X POST "${AUTH[@]}" -o "$WORK/v6.json" -w '%{http_code}' --max-time 60 "$BASE/runs?size=13B&ipv6=true") \
    || fail "POST /runs?size=13B&ipv6=true: curl failed"
v6=$(python3 - "$WORK/v6.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d.get("result") or {}
c = r.get("connection", {})
ok = d.get("status") == "done" and c.get("ip_version") == 6 and r.get("integrity", {}).get("verified") is True
print("%s -> [%s]:%s, %s packets" % (d.get("status"), c.get("server", {}).get("ip"), c.get("server", {}).get("port"),
                                    r.get("totals", {}).get("packets")) if ok else json.dumps(d)[:400])
sys.exit(0 if ok else 1)
PY
) || fail "POST /runs?size=13B&ipv6=true answered $code: $v6"
say "POST /runs?size=13B&ipv6=true -> $code, $v6"

# ------------------------------------------------------------------ the pcap
code=$(curl -sS -o "$WORK/run.pcap" -w '%{http_code}' "$BASE/runs/$RUN_ID/pcap") || fail "GET /runs/$RUN_ID/pcap: curl failed"
[ "$code" = 200 ] || fail "GET /runs/$RUN_ID/pcap answered $code: $(head -c 300 "$WORK/run.pcap")"
magic=$(od -An -tx1 -N4 "$WORK/run.pcap" | tr -d ' \n')
case "$magic" in
    d4c3b2a1|a1b2c3d4) kind="pcap (microseconds)" ;;
    4d3cb2a1|a1b23c4d) kind="pcap (nanoseconds)" ;;
    0a0d0d0a)          kind="pcapng" ;;
    *) fail "GET /runs/$RUN_ID/pcap is not a capture file (magic $magic)" ;;
esac
say "pcap: $(stat -c %s "$WORK/run.pcap") bytes, $kind"
# The image's own offline analysis of the downloaded file must agree with
# the live result.
docker exec -i "$CID" wiremeter analyze /dev/stdin --json <"$WORK/run.pcap" >"$WORK/analyze.json" 2>"$WORK/analyze.err" \
    || fail "wiremeter analyze of the pcap failed: $(cat "$WORK/analyze.err")"
agree=$(python3 - "$WORK/run.json" "$WORK/analyze.json" <<'PY'
import json, sys
run, off = (json.load(open(p)) for p in sys.argv[1:3])
live = run.get("result", run)
conns = off.get("connections") or []
if len(conns) != 1:
    print("analyze finds %d connections, want 1" % len(conns)); sys.exit(1)
keys = ("packets", "data_packets", "pure_acks", "wire_bytes", "payload_bytes", "retransmissions")
diff = [k for k in keys if conns[0]["totals"].get(k) != live["totals"].get(k)]
if diff or off.get("frames") != live["totals"]["packets"] or off.get("malformed"):
    print("analyze disagrees on %s (frames %r, malformed %r)" % (diff, off.get("frames"), off.get("malformed"))); sys.exit(1)
print("%d frames, %d payload bytes" % (off["frames"], conns[0]["totals"]["payload_bytes"]))
PY
) || fail "the pcap and the run's JSON disagree: $agree"
say "pcap: wiremeter analyze (in the image) reads $agree, as the run's JSON says"
reader=""
if command -v tshark >/dev/null 2>&1; then
    reader=tshark
    frames=$(tshark -n -r "$WORK/run.pcap" -T fields -e frame.number 2>"$WORK/reader.err" | wc -l) || true
elif command -v tcpdump >/dev/null 2>&1; then
    reader=tcpdump
    frames=$(tcpdump -nn -r "$WORK/run.pcap" 2>"$WORK/reader.err" | wc -l) || true
fi
if [ -n "$reader" ]; then
    grep -qiE 'truncated|bad|error' "$WORK/reader.err" && fail "$reader: $(cat "$WORK/reader.err")"
    [ "$frames" = "$PACKETS" ] || fail "$reader reads $frames frames in the pcap, the result counts $PACKETS packets"
    say "pcap: $reader reads $frames frames, as the result counts"
else
    say "pcap: neither tshark nor tcpdump on the host; the image's analyze only"
fi

# ---------------------------------------------------------------- 6. restart
say "restarting the container"
dc restart "$SERVICE" >/dev/null 2>&1 || fail "compose restart failed"
sleep 1
wait_healthy
code=$(curl -sS -o "$WORK/after.json" -w '%{http_code}' "$BASE/runs/$RUN_ID") || fail "GET /runs/$RUN_ID: curl failed"
[ "$code" = 200 ] || fail "after the restart GET /runs/$RUN_ID answered $code: $(head -c 300 "$WORK/after.json")"
summary=$(check_run "$WORK/after.json") || fail "after the restart, run $RUN_ID: $summary"
same=$(python3 - "$WORK/run.json" "$WORK/after.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ra, rb = a.get("result", a), b.get("result", b)
print("yes" if (a.get("id") == b.get("id") and ra.get("totals") == rb.get("totals")) else "no")
PY
)
[ "$same" = yes ] || fail "after the restart run $RUN_ID differs from the one stored"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/runs/$RUN_ID/pcap")
[ "$code" = 200 ] || fail "after the restart GET /runs/$RUN_ID/pcap answered $code"
say "after the restart run $RUN_ID is still there, same totals, pcap still served"
AFTER=$(docker logs "$CID" 2>&1 | sed -n 's/^wiremeter: API token .*: \([0-9a-f]\{48\}\)$/\1/p' | tail -n 1)
[ "$AFTER" = "$TOKEN" ] || fail "the token changed across the restart"
say "the same token after the restart (kept in the volume)"

# ----------------------------------------------------------------- 7. paths
healthz_field() {  # healthz_field FILE EXPR: a Python expression over doc
    python3 -c 'import json,sys; doc=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
curl -sS -o "$WORK/healthz.json" "$BASE/healthz" || fail "GET /healthz: curl failed"
link=$(healthz_field "$WORK/healthz.json" 'doc["capabilities"]["link"]["available"]')
rights=$(healthz_field "$WORK/healthz.json" 'doc["capabilities"]["rights"]')
[ "$link" = False ] || fail "the minimal container says it can run a link: $(cat "$WORK/healthz.json")"
say "minimal compose: link unavailable; rights $rights"
code=$(curl -sS -X POST "${AUTH[@]}" -o "$WORK/nolink.json" -w '%{http_code}' "$BASE/runs?size=13B&path=link")
[ "$code" = 400 ] || fail "POST /runs?path=link in the minimal container answered $code, not 400"

say "recreating with compose.paths.yaml"
dcp() { (cd "$REPO" && "${COMPOSE[@]}" -p "$PROJECT" -f compose.yaml -f compose.paths.yaml "$@"); }
dcp up -d "$SERVICE" >"$WORK/up-paths.log" 2>&1 || { cat "$WORK/up-paths.log"; fail "compose up with compose.paths.yaml failed"; }
CID=$(dcp ps -q "$SERVICE")
[ -n "$CID" ] || fail "no container for service $SERVICE with compose.paths.yaml"
wait_healthy
uid=$(docker exec "$CID" id -u)
[ "$uid" != 0 ] || fail "with compose.paths.yaml the container's user is root"
curl -sS -o "$WORK/healthz.json" "$BASE/healthz" || fail "GET /healthz: curl failed"
mode=$(healthz_field "$WORK/healthz.json" 'doc["capabilities"]["rights"]["mode"]')
link=$(healthz_field "$WORK/healthz.json" 'doc["capabilities"]["link"]')
[ "$mode" = user_namespace ] || fail "with compose.paths.yaml, rights: $(healthz_field "$WORK/healthz.json" 'doc["capabilities"]["rights"]')"
say "compose.paths.yaml: user uid $uid, healthy (the health check reaches the daemon), rights $mode, link $link"
code=$(curl -sS -X POST "${AUTH[@]}" -o "$WORK/link.json" -w '%{http_code}' --max-time 120 "$BASE/runs?size=1MB&path=link&mtu=1500") \
    || fail "POST /runs?size=1MB&path=link: curl failed"
linkrun=$(python3 - "$WORK/link.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d.get("result") or {}
ends = r.get("ends") or {}
ok = (d.get("status") == "done" and r.get("integrity", {}).get("verified") is True
      and r.get("totals", {}).get("packets", 0) >= 700 and ends)
print("%s packets, integrity verified, ends captured" % r["totals"]["packets"] if ok else json.dumps(d)[:600])
sys.exit(0 if ok else 1)
PY
) || fail "POST /runs?size=1MB&path=link answered $code: $linkrun"
say "POST /runs?size=1MB&path=link&mtu=1500 -> $code, $linkrun"

# ------------------------------------------------------------------- 8. down
# (the EXIT trap runs `down -v`, checks nothing is left and says PASS)
say "every check passed; taking the project down"
exit 0
