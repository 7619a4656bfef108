// A run's time-series document (the shape of GET /runs/{id}/series,
// docs/result.md) built from its pcaps with tshark, for a daemon that does
// not serve the route yet: the browser test intercepts the page's fetch
// with it (page.route) so that the graphs can be drawn and checked before
// the series land. The capture-derived tables are tshark's own fields
// (tcp.analysis.ack_rtt, bytes_in_flight, window_size); a segment is
// lost_on_link when the receiver's pcap has no frame with its raw
// sequence number, length and TSval. tshark cannot see TCP_INFO, so the
// kernel's samples are STAND-INS (cwnd from the bytes in flight, srtt a
// moving average of the ACKs' RTT): enough to draw, not a measurement.
//
//   node tests/browser/series-fixture.mjs SENDER.pcap [RECEIVER.pcap] [RUN]

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIELDS = ['frame.number', 'frame.time_epoch', 'tcp.srcport', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.seq',
  'tcp.ack', 'tcp.len', 'tcp.analysis.ack_rtt', 'tcp.analysis.bytes_in_flight', 'tcp.window_size',
  'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.seq_raw', 'tcp.options.timestamp.tsval'];
const SAMPLES_BOUND = 4096;
const POINTS_BOUND = 200000;

// Epoch seconds with nine decimals, as BigInt ns (a double would lose them).
function epochNs(text) {
  const [s, frac = ''] = text.split('.');
  return BigInt(s) * 1000000000n + BigInt((frac + '000000000').slice(0, 9));
}

function frames(pcap) {
  const args = ['-r', pcap, '-n', '-o', 'tcp.relative_sequence_numbers:TRUE', '-o', 'tcp.calculate_timestamps:TRUE',
    '-T', 'fields', '-E', 'separator=\t', '-Y', 'tcp', ...FIELDS.flatMap((f) => ['-e', f])];
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter(Boolean).map((line) => {
    const v = line.split('\t');
    const num = (i) => (v[i] === '' || v[i] === undefined ? null : Number(v[i].split(',')[0]));
    return {
      frame: num(0), ns: epochNs(v[1]), port: num(2), syn: v[3] === '1' || v[3] === 'True', ack: v[4] === '1' || v[4] === 'True',
      seq: num(5), ackNo: num(6), len: num(7) || 0, ackRtt: num(8), inFlight: num(9), window: num(10),
      retrans: v[11] !== '' || v[12] !== '', seqRaw: v[13], tsval: v[14],
    };
  });
}

function sampleInterval(durationNs) {
  // About 500 intervals a run, at least 100 µs.
  return Math.max(100000, Math.ceil(durationNs / 500 / 100000) * 100000);
}

export function seriesFromPcaps(senderPcap, receiverPcap, run) {
  const all = frames(senderPcap);
  const syn = all.find((f) => f.syn);
  if (!syn) throw new Error(`${senderPcap}: no SYN`);
  const start = syn.ns;
  const bytesFrom = new Map();
  for (const f of all) bytesFrom.set(f.port, (bytesFrom.get(f.port) || 0) + f.len);
  const senderPort = [...bytesFrom.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const t = (f) => Number(f.ns - start);
  const received = new Set();
  if (receiverPcap) {
    for (const f of frames(receiverPcap)) if (f.port === senderPort && f.len > 0) received.add(`${f.seqRaw}/${f.len}/${f.tsval}`);
  }
  const data = all.filter((f) => f.port === senderPort && f.len > 0);
  const fromReceiver = all.filter((f) => f.port !== senderPort);
  const last = all[all.length - 1];
  const interval = sampleInterval(t(last));
  const bins = Math.floor(t(last) / interval) + 1;
  const sent = new Array(bins).fill(0);
  for (const f of data) sent[Math.floor(t(f) / interval)] += f.len;
  const acked = new Array(bins).fill(0);
  let highest = 1;
  for (const f of fromReceiver) {
    if (!f.ack || f.ackNo === null || f.ackNo <= highest) continue;
    acked[Math.floor(t(f) / interval)] += f.ackNo - highest;
    highest = f.ackNo;
  }
  const perInterval = (bytes) => bytes.map((b, i) => ({ t_ns: i * interval, bytes: b,
    bits_per_second: Math.round((b * 8 * 1e9) / interval) }));
  const rtt = fromReceiver.filter((f) => f.ackRtt !== null)
    .map((f) => ({ t_ns: t(f), frame: f.frame, rtt_ns: Math.round(f.ackRtt * 1e9) }));
  const inFlight = data.filter((f) => f.inFlight !== null).map((f) => ({ t_ns: t(f), frame: f.frame, bytes: f.inFlight }));
  const mss = Math.max(...data.map((f) => f.len));
  // The stand-in kernel: per interval, the most in flight and the RTT's
  // moving average up to then.
  const samples = [];
  let srtt = null;
  let r = 0;
  let flight = 0;
  let d = 0;
  for (let i = 0; i < Math.min(bins, SAMPLES_BOUND); i += 1) {
    const end = (i + 1) * interval;
    while (r < rtt.length && rtt[r].t_ns < end) {
      srtt = srtt === null ? rtt[r].rtt_ns : (7 * srtt + rtt[r].rtt_ns) / 8;
      r += 1;
    }
    let most = 0;
    while (d < inFlight.length && inFlight[d].t_ns < end) { most = Math.max(most, inFlight[d].bytes); d += 1; }
    flight = most || flight;
    samples.push({ t_ns: i * interval, cwnd: Math.max(10, Math.ceil(flight / mss)), ssthresh: null, mss,
      rtt_us: srtt === null ? 0 : Math.round(srtt / 1000), rttvar_us: 0, unacked: Math.ceil(flight / mss), retrans: 0,
      total_retrans: 0, lost: 0, delivery_rate_bps: 0, pacing_rate_bps: 0, bytes_acked: 0, bytes_sent: 0 });
  }
  return {
    run: run ?? 0,
    source: 'sender',
    start_ns: Number(start),
    start_time: new Date(Number(start / 1000000n)).toISOString(),
    interval_ns: interval,
    kernel: { congestion: 'fixture', samples, dropped: Math.max(0, bins - SAMPLES_BOUND) },
    throughput: perInterval(sent),
    goodput: perInterval(acked),
    rtt,
    in_flight: inFlight,
    window: fromReceiver.filter((f) => f.window !== null).map((f) => ({ t_ns: t(f), frame: f.frame, bytes: f.window })),
    segments: data.map((f) => ({ t_ns: t(f), frame: f.frame, seq: f.seq, len: f.len, retransmission: f.retrans,
      lost_on_link: receiverPcap ? !received.has(`${f.seqRaw}/${f.len}/${f.tsval}`) : false })),
    acks: fromReceiver.filter((f) => f.ack && f.ackNo !== null).map((f) => ({ t_ns: t(f), frame: f.frame, ack: f.ackNo })),
    truncated: false,
    bounds: { samples: SAMPLES_BOUND, points: POINTS_BOUND },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [sender, receiver, run] = process.argv.slice(2);
  process.stdout.write(`${JSON.stringify(seriesFromPcaps(sender, receiver, run ? Number(run) : 0))}\n`);
}
