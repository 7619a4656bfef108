#!/bin/sh
# Records the real_*.pcap captures: real_cases.py's programs in a network
# namespace of their own (Fast Open on, the loopback at a 1500-byte MTU),
# tcpdump on its loopback with nanosecond timestamps. The sack_loss case
# runs with a token bucket on the loopback that drops what overflows it.
# Needs root, ip, tc and tcpdump. Then run regen.sh for their .fields.
# The captures are committed: this is how they were made, not a test.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
ns="wm-real-$$"
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up mtu 1500
in_ns sysctl -q -w net.ipv4.tcp_fastopen=3
port=40400
for case in fastopen urgent keepalive sack_loss; do
    port=$((port + 1))
    if [ "$case" = sack_loss ]; then
        in_ns tc qdisc add dev lo root tbf rate 20mbit burst 6000 limit 9000
    fi
    out="$dir/real_$case.pcap"
    ip netns exec "$ns" tcpdump -q -i lo -s 0 -U --time-stamp-precision=nano \
        -w "$out" "tcp port $port" 2>/dev/null &
    dump=$!
    sleep 1
    in_ns python3 "$dir/real_cases.py" "$case" "$port"
    sleep 0.5
    kill -INT "$dump"
    wait "$dump" || true
    if [ "$case" = sack_loss ]; then
        in_ns tc qdisc del dev lo root
    fi
    echo "$out: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets"
done
