#!/bin/sh
# Proves path=link's delay on a kernel that has sch_netem: boots Debian's
# cloud kernel under qemu (software emulation, no KVM needed) with a
# busybox initramfs holding our binary, its libraries and the modules
# veth, bridge (with llc and stp), sch_netem, sch_tbf, sch_ingress and
# cls_bpf, runs one
# small link run with delay=DELAY_MS and prints what the run measured: its
# handshake time and the sender's smoothed RTT (tcp_info), against
# 2 x DELAY_MS. A second run with loss=LOSS (default 2) is captured at both
# ends: the frames of each pcap, the frames lost each way by matching them
# (result.ends: data, then acks) and the eBPF loss filter's own counts
# (result.link) are printed. Both on Debian's kernel: netem is made
# by rtnetlink here as on any host, and cls_bpf is a module there.
# Then each preset of PRESETS (default the two with delay, home-broadband
# and lossy-wifi) runs a PRESET_SIZE transfer (default 200kB) twice: as
# named, and with its delay and jitter set to 0, the emulated machine's
# own round trip to subtract; for each, the handshake, the RTT of every
# ACK in the sender's capture (the series' rtt table) and the sender's
# TCP_INFO rtt samples (its kernel table), each as min, median, max and
# standard deviation, and the last srtt are printed.
#
# Why a VM: this machine's kernel has no sch_netem, Debian's own kernels
# have it as a module. Everything used comes from Debian's packages
# (apt-get install qemu-system-x86 busybox-static cpio kmod; the kernel
# package is fetched with apt-get download).
#
# usage: scripts/netem-vm.sh WIREMETER [DELAY_MS] [SIZE]
#   WORK=dir (default /tmp/wiremeter-netem-vm) keeps the kernel between runs.
#   SUMMARY_ONLY=1 boots nothing: prints the figures of WORK/console.txt,
#   the last boot's serial console, again (qemu here is slow and shared).
# Exit status: 0 when the handshake took at least 2 x DELAY_MS and every
# preset's transfer was verified, 1 if not, 2 when something needed is
# missing.
set -eu
BIN=$(readlink -f "${1:?usage: scripts/netem-vm.sh WIREMETER [DELAY_MS] [SIZE]}")
DELAY_MS=${2:-20}
SIZE=${3:-100kB}
LOSS=${LOSS:-2}          # percent, for a second run captured at both ends
PRESETS=${PRESETS:-home-broadband lossy-wifi}
PRESET_SIZE=${PRESET_SIZE:-200kB}
WORK=${WORK:-/tmp/wiremeter-netem-vm}
KERNEL_PACKAGE=${KERNEL_PACKAGE:-linux-image-6.1.0-47-cloud-amd64}
VM_TIMEOUT_S=${VM_TIMEOUT_S:-300}

for tool in qemu-system-x86_64 busybox cpio gzip ldd; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "netem-vm: $tool is missing (apt-get install qemu-system-x86 busybox-static cpio kmod)" >&2
        exit 2
    }
done
mkdir -p "$WORK"
cd "$WORK"
if [ ! -d k ]; then
    apt-get download "$KERNEL_PACKAGE" >/dev/null
    dpkg-deb -x "$KERNEL_PACKAGE"_*.deb k
fi
M=$(echo k/lib/modules/*/kernel)
rm -rf initrd && mkdir -p initrd/bin initrd/proc initrd/sys initrd/dev initrd/tmp initrd/lib/modules initrd/usr/sbin
cp "$(command -v busybox)" initrd/bin/
for a in sh insmod mount poweroff cat grep tr; do ln -s busybox "initrd/bin/$a"; done
# The link is made by rtnetlink (no ip or tc); loss is an eBPF filter
# under clsact (sch_ingress) with cls_bpf.
cp "$M/drivers/net/veth.ko" "$M/net/sched/sch_netem.ko" "$M/net/sched/sch_tbf.ko" \
   "$M/net/sched/sch_ingress.ko" "$M/net/sched/cls_bpf.ko" \
   "$M/net/llc/llc.ko" "$M/net/802/stp.ko" "$M/net/bridge/bridge.ko" initrd/lib/modules/
cp "$BIN" initrd/bin/wiremeter
for f in "$BIN"; do
    for l in $(ldd "$f" | grep -oE '/[^ ]+'); do
        mkdir -p "initrd$(dirname "$l")" && cp -L "$l" "initrd$l"
    done
done
cat > initrd/init <<INIT
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in veth sch_netem sch_tbf sch_ingress cls_bpf llc stp bridge; do insmod /lib/modules/\$m.ko; done
export TMPDIR=/tmp
echo "netem-vm: run begins"
/bin/wiremeter run --size $SIZE --path link --delay $DELAY_MS --json > /tmp/result.json 2>/tmp/error.txt
echo "netem-vm: exit \$?"
cat /tmp/error.txt
echo "netem-vm: result begins"
cat /tmp/result.json
echo
echo "netem-vm: result ends"
/bin/wiremeter run --size $SIZE --path link --loss $LOSS --pcap /tmp/r.pcap --pcap-sender /tmp/s.pcap --json > /tmp/loss.json 2>/tmp/error.txt
echo "netem-vm: loss exit \$?"
cat /tmp/error.txt
echo "netem-vm: loss filter \$(tr -d ' \n' < /tmp/loss.json | grep -o '"loss_to_client":{[^}]*},"loss_to_server":{[^}]*}')"
echo "netem-vm: loss ends \$(tr -d ' \n' < /tmp/loss.json | grep -o '"lost_frames":[0-9]*' | tr -dc '0-9\n' | tr '\n' ' ')"
for end in s r; do
    echo "netem-vm: frames \$end \$(/bin/wiremeter analyze /tmp/\$end.pcap --json | grep -m1 '"frames":' | tr -dc 0-9)"
done
for p in $PRESETS; do
    for variant in asked nodelay; do
        extra=""
        rm -f /tmp/series.json /tmp/preset.json
        [ \$variant = nodelay ] && extra="--delay 0 --jitter 0"
        /bin/wiremeter run --size $PRESET_SIZE --preset \$p \$extra --series /tmp/series.json --json > /tmp/preset.json 2>/tmp/error.txt
        echo "netem-vm: preset \$p \$variant exit \$?"
        cat /tmp/error.txt
        echo "netem-vm: preset begins \$p \$variant"
        cat /tmp/preset.json
        echo
        echo "netem-vm: series"
        cat /tmp/series.json
        echo
        echo "netem-vm: preset ends"
    done
done
poweroff -f
INIT
chmod +x initrd/init
(cd initrd && find . | cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz)
if [ "${SUMMARY_ONLY:-0}" = 1 ]; then
    [ -s console.txt ] || { echo "netem-vm: no $WORK/console.txt to summarise" >&2; exit 2; }
else
    timeout "$VM_TIMEOUT_S" qemu-system-x86_64 -m 512 -nographic -no-reboot \
        -kernel k/boot/vmlinuz-* -initrd initrd.gz \
        -append "console=ttyS0 quiet panic=-1" > console.txt 2>&1 || true
fi
tr -d '\r' < console.txt | sed -n '/^netem-vm: result begins/,/^netem-vm: result ends/p' \
    | sed '1d;$d' > result.json
grep -a "^netem-vm: exit" console.txt | tr -d '\r' || true
sent=$(tr -d '\r' < console.txt | sed -n 's/^netem-vm: frames s //p')
arrived=$(tr -d '\r' < console.txt | sed -n 's/^netem-vm: frames r //p')
# Each pcap holds both ways (what its end sent and what reached it), so
# the two differ by the data lost less the acks lost: the ends' match and
# the filter's counts say each way.
echo "loss=$LOSS%: $sent frames in the sender's pcap, $arrived in the receiver's"
tr -d '\r' < console.txt | grep -a "^netem-vm: loss" || true
delay_status=0
python3 - "$DELAY_MS" result.json <<'PY' || delay_status=1
import json, sys
delay_ms = int(sys.argv[1])
try:
    doc = json.load(open(sys.argv[2]))
except ValueError:
    print("netem-vm: no result from the VM; see console.txt")
    sys.exit(1)
hs = doc["handshake"]["duration_ns"] / 1e6 if "duration_ns" in doc.get("handshake", {}) else doc["timing"]["handshake_ns"] / 1e6
info = doc.get("tcp_info") or {}
print(f"asked: delay={delay_ms} ms each way, so a round trip of {2 * delay_ms} ms")
print(f"measured: handshake {hs:.3f} ms (SYN to the client's ACK, captured at the client's end)")
print(f"measured: sender's srtt {info.get('rtt_us', 0) / 1000:.3f} ms, rttvar {info.get('rttvar_us', 0) / 1000:.3f} ms (tcp_info)")
print(f"transfer: {doc['params']['size']} bytes, integrity verified: {doc['integrity']['verified']}")
sys.exit(0 if hs >= 2 * delay_ms and doc["integrity"]["verified"] else 1)
PY
# Each preset's run as asked against the same without delay and jitter.
tr -d '\r' < console.txt > console.clean
python3 - console.clean <<'PY' || delay_status=1
import json, statistics, sys
text = open(sys.argv[1], errors="replace").read()
failed = False


def stats(values):
    return (f"min {min(values):.2f}, median {statistics.median(values):.2f}, "
            f"max {max(values):.2f}, stdev {statistics.pstdev(values):.2f}")


for block in text.split("netem-vm: preset begins ")[1:]:
    head, _, rest = block.partition("\n")
    name, variant = head.split()
    result, _, rest = rest.partition("netem-vm: series\n")
    series = rest.partition("netem-vm: preset ends")[0]
    try:
        doc, ser = json.loads(result), json.loads(series)
    except ValueError:
        print(f"{name} {variant}: no result from the VM; see console.txt")
        failed = True
        continue
    p, t = doc["params"], doc["totals"]
    acks = [r["rtt_ns"] / 1e6 for r in ser["rtt"]]
    kernel = [s["rtt_us"] / 1e3 for s in ser["kernel"]["samples"] if s["rtt_us"]]
    info = doc.get("tcp_info") or {}
    print(f"{name}, delay {p['delay']} ms jitter {p['jitter']} ms each way: "
          f"handshake {doc['timing']['handshake_ns'] / 1e6:.2f} ms; "
          f"{len(acks)} ACK RTTs (ms) {stats(acks)}; "
          f"{len(kernel)} kernel rtt samples (ms) {stats(kernel)}; "
          f"final srtt {info.get('rtt_us', 0) / 1e3:.2f} ms rttvar {info.get('rttvar_us', 0) / 1e3:.2f} ms; "
          f"retransmissions {t['retransmissions']}, out of order {t['out_of_order']}, "
          f"lost on the link {doc['link']['loss_to_client']['dropped_frames']}+"
          f"{doc['link']['loss_to_server']['dropped_frames']}; "
          f"verified {doc['integrity']['verified']}")
    failed |= not doc["integrity"]["verified"]
sys.exit(1 if failed else 0)
PY
exit $delay_status
