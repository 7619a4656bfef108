#!/bin/sh
# ensure-engine.sh - make sure a Docker engine and a compose command are usable.
#
# Installs Debian's docker.io (and docker-compose, when neither `docker compose`
# nor `docker-compose` exists) if missing, starts dockerd in the background if
# none answers, and waits until `docker info` works.
#
# Exit status: 0 ready; 77 no engine can be started here (the caller should
# skip, not fail); 1 unexpected error.
#
# Environment:
#   WIREMETER_DOCKERD_LOG   where dockerd's output goes
#                           (default /var/log/wiremeter-dockerd.log)
#   WIREMETER_DOCKER_WAIT   seconds to wait for the engine (default 60)
set -u

log()  { echo "ensure-engine: $*" >&2; }
skip() { log "SKIP: $*"; exit 77; }

DOCKERD_LOG=${WIREMETER_DOCKERD_LOG:-/var/log/wiremeter-dockerd.log}
WAIT=${WIREMETER_DOCKER_WAIT:-60}

is_root() { [ "$(id -u)" = 0 ]; }

have_compose() {
    docker compose version >/dev/null 2>&1 && return 0
    command -v docker-compose >/dev/null 2>&1
}

apt_updated=0
apt_install() {
    is_root || return 1
    command -v apt-get >/dev/null 2>&1 || return 1
    export DEBIAN_FRONTEND=noninteractive
    if [ "$apt_updated" = 0 ]; then
        log "apt-get update"
        apt-get update -qq >&2 || log "apt-get update failed; trying the lists we have"
        apt_updated=1
    fi
    log "apt-get install $*"
    apt-get install -y -q --no-install-recommends "$@" >&2
}

engine_ok() { docker info >/dev/null 2>&1; }

# A dockerd that is alive: a killed one can linger as a zombie for a while
# (its parent gone, not yet reaped), which pgrep still lists.
dockerd_alive() {
    for pid in $(pgrep -x dockerd); do
        state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
        [ -n "$state" ] && [ "$state" != Z ] && return 0
    done
    return 1
}

# 1. The client, the daemon and a compose command.
if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
    if ! engine_ok; then
        apt_install docker.io iptables ca-certificates \
            || skip "no Docker engine installed and docker.io could not be installed (need root and apt-get)"
    fi
fi
if ! have_compose; then
    apt_install docker-compose \
        || skip "neither 'docker compose' nor 'docker-compose' is available and docker-compose could not be installed"
fi

engine_ok && exit 0

# 2. Start dockerd when none runs.
if dockerd_alive; then
    log "a dockerd is already running; waiting for it to answer"
else
    is_root || skip "no Docker engine answers and starting dockerd needs root (run as root or start the engine)"
    command -v dockerd >/dev/null 2>&1 || skip "dockerd is not installed"
    # A stale pid file from a killed daemon stops a new one from starting.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        rm -f /var/run/docker.pid
    fi
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    # setsid: the daemon must outlive this script and its caller's process group.
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
fi

i=0
while [ "$i" -lt "$WAIT" ]; do
    engine_ok && { log "engine ready after ${i}s"; exit 0; }
    if ! dockerd_alive && [ "$i" -gt 2 ]; then
        log "dockerd exited; last lines of $DOCKERD_LOG:"
        tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null
        skip "dockerd could not be started on this machine"
    fi
    sleep 1
    i=$((i + 1))
done
log "last lines of $DOCKERD_LOG:"
tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null
skip "the Docker engine did not answer within ${WAIT}s"
