#!/bin/sh
# The container's daemon: `wiremeter serve` on all the container's
# addresses, with an API token. Inside a container the daemon is reachable
# from every other container on its network, so it never runs open:
#
# - WIREMETER_TOKEN or WIREMETER_TOKEN_FILE, when set, is the token;
# - otherwise one is made on the first start (24 random bytes, hex) in
#   <data>/token, mode 600, kept in the volume across restarts, and printed
#   in the log at every start (`docker compose logs wiremeter`), so the
#   page, which asks for it, and scripts can use it.
#
# Arguments are passed on to `wiremeter serve`; its exit status is this
# script's.
set -eu

data=${WIREMETER_DATA_DIR:-/var/lib/wiremeter}
# compose passes these through even when the host left them unset: an
# empty one means "not given", not an empty token.
[ -n "${WIREMETER_TOKEN:-}" ] || unset WIREMETER_TOKEN
[ -n "${WIREMETER_TOKEN_FILE:-}" ] || unset WIREMETER_TOKEN_FILE
if [ -z "${WIREMETER_TOKEN:-}" ] && [ -z "${WIREMETER_TOKEN_FILE:-}" ]; then
    file="$data/token"
    if [ ! -s "$file" ]; then
        umask 077
        token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
        printf '%s\n' "$token" >"$file.tmp"
        mv "$file.tmp" "$file"
        echo "wiremeter: made an API token on this first start, kept in $file"
    fi
    echo "wiremeter: API token (the page asks for it; curl -H 'Authorization: Bearer TOKEN'): $(cat "$file")"
    export WIREMETER_TOKEN_FILE="$file"
fi
# Not exec'd: with compose.paths.yaml the daemon moves into a network
# namespace of its own (README, "Without root"), and `docker exec` — the
# health check among them — joins the namespaces of the container's first
# process. So this shell stays the first process, in the container's
# namespace where the daemon's socket listens, and hands it the stop signal.
set +e
wiremeter serve --listen 0.0.0.0:8080 --data-dir "$data" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
# A trapped signal ends `wait` early: wait again until the daemon is gone,
# and leave with its status.
while :; do
    wait "$pid"
    rc=$?
    kill -0 "$pid" 2>/dev/null || break
done
exit "$rc"
