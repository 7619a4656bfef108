#!/usr/bin/env bash
# fresh_debian.sh - the README's two set-up commands, pasted as written into
# a fresh Debian 12 (by hand, not a ctest test: the second one runs the whole
# suite, so it takes most of an hour on two cores).
#
#   tests/docker/fresh_debian.sh serve   ./scripts/install-deps.sh && ./scripts/build.sh
#                                        && ./build/wiremeter serve, then
#                                        curl -X POST 'localhost:8080/runs?size=1MB'
#   tests/docker/fresh_debian.sh test    ./scripts/install-deps.sh --test && ./scripts/test.sh
#
# The fresh machine is a container of an image made from `debootstrap
# bookworm` (the default variant: Debian's required and important packages,
# as a new installation without tasks; no sudo, no curl, no python3, no
# nodejs), imported as wiremeter-fresh:bookworm when missing. Into it goes a
# `git clone` of this repository's committed HEAD (not the work tree), at
# /root/wiremeter; the commands run there as root, with the container's own
# network and loopback. The container may run its own Docker engine (for the
# docker suite of the second command): it gets every capability the host's
# engine can give, no seccomp filter, all devices, rw cgroups and a volume
# for /var/lib/docker. Everything the script started is removed at the end;
# the image stays. Logs and the run's JSON go to OUT (default
# /var/tmp/wiremeter-fresh/MODE-DATE).
#
# Environment: WM_TEST_SKIP_DOCKER=1 is passed on to test.sh;
# WIREMETER_DEBIAN_MIRROR (default http://deb.debian.org/debian);
# WM_FRESH_EXTRA_CA=FILE, CA certificates the fresh machine's Node.js trusts
# as well (NODE_EXTRA_CA_CERTS), where the way to the npm registry re-signs
# TLS with a CA of its own that the host trusts but a new machine would be
# given by its network's set-up.
set -euo pipefail

MODE=${1:-}
case "$MODE" in serve|test) ;; *) echo "usage: $0 serve|test [OUT]" >&2; exit 2 ;; esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
IMAGE=wiremeter-fresh:bookworm
MIRROR=${WIREMETER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
OUT=${2:-/var/tmp/wiremeter-fresh/$MODE-$(date +%Y%m%d-%H%M%S)}
NAME="wiremeter-fresh-$MODE-$$"
mkdir -p "$OUT"

t0=$(date +%s)
say() { echo "fresh_debian [$(( $(date +%s) - t0 ))s]: $*"; }

"$REPO/docker/ensure-engine.sh"

# ------------------------------------------------------- the fresh image
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null || apt-get install -y -q --no-install-recommends debootstrap
    root=$(mktemp -d /var/tmp/wiremeter-fresh-rootfs.XXXXXX)
    say "debootstrap bookworm (default variant) into $root"
    debootstrap bookworm "$root" "$MIRROR" >"$OUT/debootstrap.log" 2>&1 \
        || { tail -n 20 "$OUT/debootstrap.log"; exit 1; }
    cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
    rm -f "$root"/var/cache/apt/archives/*.deb
    : >"$root/etc/resolv.conf"
    tar --numeric-owner --xattrs --acls -C "$root" -c . \
        | docker import --change 'CMD ["bash"]' - "$IMAGE" >/dev/null
    rm -rf "$root"
    say "imported $IMAGE"
fi

# ---------------------------------------------------- the clean clone
clone=$(mktemp -d /var/tmp/wiremeter-fresh-clone.XXXXXX)
git clone -q "$REPO" "$clone/wiremeter"
say "clone of $(git -C "$clone/wiremeter" log --oneline -1)"

# ------------------------------------------------------- the machine
# --privileged where the engine can give it; otherwise (an engine that lacks
# a capability itself, such as CAP_SYS_RESOURCE here) the same by parts.
run_opts=(--privileged)
if ! docker run --rm --privileged "$IMAGE" true >/dev/null 2>&1; then
    run_opts=(--cap-add ALL --security-opt seccomp=unconfined
              --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm')
    docker run --rm --cap-add ALL "$IMAGE" true >/dev/null 2>&1 \
        || run_opts+=(--cap-drop SYS_RESOURCE)
    [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] \
        && run_opts+=(-v /sys/fs/cgroup:/sys/fs/cgroup:rw)
fi
cleanup() {
    docker rm -f -v "$NAME" >/dev/null 2>&1 || true
    rm -rf "$clone"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# A machine has ::1 on lo (the live suite runs over IPv6 too); Docker turns
# IPv6 off in a container unless asked.
run_opts+=(--sysctl net.ipv6.conf.lo.disable_ipv6=0)
if [ -n "${WM_FRESH_EXTRA_CA:-}" ]; then
    run_opts+=(-v "$WM_FRESH_EXTRA_CA:/etc/fresh-extra-ca.crt:ro" -e NODE_EXTRA_CA_CERTS=/etc/fresh-extra-ca.crt)
fi
docker run -d --name "$NAME" --hostname fresh "${run_opts[@]}" \
    --mount type=volume,dst=/var/lib/docker "$IMAGE" sleep infinity >/dev/null
docker cp "$clone/wiremeter" "$NAME:/root/wiremeter"
say "container $NAME from $IMAGE: $(docker exec "$NAME" cat /etc/debian_version), $(docker exec "$NAME" sh -c 'dpkg -l | grep -c ^ii') packages"

in_box() { docker exec -e WM_TEST_SKIP_DOCKER="${WM_TEST_SKIP_DOCKER:-0}" "$NAME" bash -c "cd /root/wiremeter && $1"; }

if [ "$MODE" = serve ]; then
    # The README's first command, in the background since it ends serving.
    cmd="./scripts/install-deps.sh && ./scripts/build.sh && ./build/wiremeter serve"
    say "\$ $cmd"
    docker exec -d "$NAME" bash -c "cd /root/wiremeter && { $cmd; } >/root/first.log 2>&1; echo \$? >/root/first.rc"
    for _ in $(seq 1 600); do
        sleep 1
        in_box 'grep -q "listening on" /root/first.log || [ -f /root/first.rc ]' 2>/dev/null && break
    done
    docker cp "$NAME:/root/first.log" "$OUT/first.log"
    grep -q "listening on" "$OUT/first.log" || { tail -n 30 "$OUT/first.log"; say "FAIL: the service did not start"; exit 1; }
    say "serving after $(( $(date +%s) - t0 ))s:"
    sed -n '/^built:/,$p' "$OUT/first.log" | sed 's/^/    /'
    say "\$ curl -X POST 'localhost:8080/runs?size=1MB'"
    in_box "curl -sS -X POST 'localhost:8080/runs?size=1MB'" >"$OUT/run.json"
    python3 - "$OUT/run.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d.get("result") or {}
t, c, i = r.get("totals", {}), r.get("capture", {}), r.get("integrity", {})
print("    run %s %s: %s packets, payload %s, handshake %s, closure %s (%s), capture dropped %s, "
      "integrity verified %s, total %.3f ms, average packet %.0f B"
      % (d.get("id"), d.get("status"), t.get("packets"), t.get("payload_bytes"),
         [p["flags"] for p in r.get("handshake", {}).get("packets", [])],
         r.get("closure", {}).get("kind"), r.get("closure", {}).get("initiator"),
         c.get("dropped"), i.get("verified"), r.get("timing", {}).get("total_ns", 0) / 1e6,
         r.get("average_packet_size", {}).get("all", 0)))
ok = (d.get("status") == "done" and i.get("verified") is True and c.get("dropped") == 0
      and r.get("handshake", {}).get("complete") is True)
sys.exit(0 if ok else 1)
PY
    say "PASS: the first command serves, and the curl answers a result"
else
    cmd="./scripts/install-deps.sh --test && ./scripts/test.sh"
    say "\$ $cmd${WM_TEST_SKIP_DOCKER:+ (WM_TEST_SKIP_DOCKER=$WM_TEST_SKIP_DOCKER)}"
    rc=0
    in_box "$cmd" >"$OUT/second.log" 2>&1 || rc=$?
    say "exit status $rc after $(( $(date +%s) - t0 ))s; log: $OUT/second.log"
    grep -E '^==== |tests passed|tests failed|Total Test time|\*\*\*Skipped|Not Run|\(Failed\)|Skipped$' "$OUT/second.log" \
        | sed 's/^/    /'
    [ "$rc" = 0 ] && say "PASS: the second command ends with every test passed" || say "FAIL"
    exit "$rc"
fi
