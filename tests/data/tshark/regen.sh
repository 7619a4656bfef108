#!/bin/sh
# Regenerates the synthetic pcaps and what tshark says of each packet in
# them (*.fields, tab-separated with a header line). The unit test
# test_tshark_agreement.c compares our analysis with these files, so that
# the suite needs no tshark at run time; run this after adding a scenario
# to gen_pcaps.py, and commit both kinds of file.
# Generated with: TShark (Wireshark) 4.0.17 (Debian 12).
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
python3 "$dir/gen_pcaps.py" "$dir"
# Fragments and malformed options (gen_packets.py). The real captures
# (ipv4_fragments: a 60,000-byte upload through a 576-byte MTU router with
# IP_PMTUDISC_DONT; sack_loss_s*: a 400,000-byte upload through 3% loss,
# cut with editcap -s 54/64/80; sack_any_s80: the same captured with
# tcpdump -i any (Linux cooked v2), cut at 80; ipv4_fragments_s*: the
# first cut the same way) are checked in as they are: only their tshark
# fields are redone.
python3 "$dir/gen_packets.py" "$dir"
fields="frame.number frame.time_relative ip.src ip.dst ipv6.src ipv6.dst
tcp.srcport tcp.dstport tcp.stream frame.len tcp.flags tcp.seq tcp.ack
tcp.window_size tcp.len tcp.analysis.retransmission
tcp.analysis.fast_retransmission tcp.analysis.spurious_retransmission
tcp.analysis.out_of_order tcp.analysis.duplicate_ack
tcp.analysis.duplicate_ack_num tcp.analysis.duplicate_ack_frame
tcp.analysis.lost_segment tcp.analysis.ack_lost_segment
tcp.analysis.keep_alive tcp.analysis.keep_alive_ack
tcp.analysis.window_update tcp.analysis.window_full tcp.analysis.zero_window
tcp.analysis.zero_window_probe tcp.analysis.zero_window_probe_ack
_ws.col.Info"
args=""
for f in $fields; do args="$args -e $f"; done
for pcap in "$dir"/*.pcap; do
    # shellcheck disable=SC2086
    # status 2: a capture cut short on purpose (lo_and_any_cut_short),
    # of which tshark still prints the frames it could read
    tshark -n -r "$pcap" -T fields -E header=y -E separator=/t $args \
        > "${pcap%.pcap}.fields" 2>/dev/null || [ $? -eq 2 ]
    tshark -n -r "$pcap" -q -z conv,tcp 2>/dev/null > "${pcap%.pcap}.conv" ||
        [ $? -eq 2 ]
done
