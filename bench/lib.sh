# Helpers the benchmark scripts share; sourced after `bench` (the script's
# name, for messages) is set.

need() {   # need COMMAND "how to get it"
    command -v "$1" >/dev/null || { echo "$bench: $1 is needed ($2)" >&2; exit 1; }
}

need_binary() {   # need_binary PATH: the wiremeter under test
    [ -x "$1" ] || { echo "$bench: no wiremeter binary at $1" >&2; exit 1; }
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Until something listens on 127.0.0.1:$1; else shows the log $2 and exits.
# Looking with ss, not by connecting: a probe connection would use up a
# server that takes one client (iperf3 -1).
wait_port() {
    for _ in $(seq 200); do
        ss -Hltn "sport = :$1" | grep -q . && return 0
        sleep 0.05
    done
    echo "$bench: nothing listens on port $1; see $2" >&2
    cat "$2" >&2
    exit 1
}

# A JSON field by dotted path, from a file.
field() {
    python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"
}
