// series: a run's time-series document (GET /runs/{id}/series,
// docs/result.md) turned into the points of Wireshark's TCP stream graphs:
// time–sequence, throughput, round-trip time, and window with bytes in
// flight, with the kernel's TCP_INFO beside what the capture shows. Only
// data here, no drawing (series-charts.js draws), so that one run's graphs
// and the compare view's overlay read the document the same way.
//
// Every point keeps the row it came from (raw.row) and its frame number,
// so that a tooltip can name the frame to find in Wireshark and a test can
// hold a drawn point against the document. Time is the document's t_ns
// (ns since the connection's first SYN) drawn in ms: every graph shares
// that axis.

import * as fmt from './format.js';

export const ms = (ns) => ns / 1e6;

// The graphs, in the order they are stacked. tables: the CSV tables
// (?format=csv&table=) a graph is drawn from.
export const GRAPHS = [
  { key: 'tsg', title: 'Time–sequence', tables: ['segments', 'acks'],
    intro: 'The last byte of each data segment the sender put on the wire, and the ACK line of the receiver.',
    compareIntro: 'The last byte of each data segment; a cross: lost on the link or sent again.',
    yTitle: 'Relative seq (bytes)', yTick: (v) => fmt.bytes(v) },
  { key: 'throughput', title: 'Throughput', tables: ['throughput', 'goodput'],
    intro: 'Bytes the sender put on the wire per interval (retransmissions included), and new data acknowledged.',
    compareIntro: 'Bytes each sender put on the wire per interval, retransmissions included.',
    yTitle: 'Rate (Mbit/s)', yTick: (v) => `${Number(v.toPrecision(3))}` },
  { key: 'rtt', title: 'Round-trip time', tables: ['rtt', 'kernel'],
    intro: 'One point per ACK of data (tshark\'s ack_rtt), and the kernel\'s smoothed RTT (TCP_INFO).',
    compareIntro: 'One point per ACK of data, and each kernel\'s smoothed RTT as a line.',
    yTitle: 'RTT (ms)', yTick: (v) => `${Number(v.toPrecision(3))}` },
  { key: 'window', title: 'Window, bytes in flight and cwnd', compareTitle: 'Congestion window',
    tables: ['window', 'in_flight', 'kernel'],
    intro: 'The receiver\'s advertised window, the bytes in flight at each segment, and the kernel\'s congestion window '
      + '(cwnd × MSS).',
    compareIntro: 'Each kernel\'s congestion window (cwnd × MSS, TCP_INFO).',
    yTitle: 'Bytes', yTick: (v) => fmt.bytes(v) },
];

export const GRAPH_KEYS = GRAPHS.map((g) => g.key);

// Marks of the time–sequence graph; the colours are a run's own in the
// compare view, these in a run's view.
export const MARKS = {
  segment: '#2563eb',
  ack: '#0f172a',
  retransmission: '#d97706',
  lost: '#dc2626',
  goodput: '#15803d',
  kernel: '#7c3aed',
  window: '#0891b2',
};

const rows = (doc, table) => (Array.isArray(doc && doc[table]) ? doc[table] : []);

// The segments split three ways: a segment the link dropped is "lost on
// the link" whatever else it is (the mark a reader looks for), else a
// retransmission, else a plain segment. y: its last byte, as tshark's
// time–sequence (Stevens) graph plots it.
export function segmentPoints(doc) {
  const out = { plain: [], retransmission: [], lost: [] };
  for (const row of rows(doc, 'segments')) {
    const point = { x: ms(row.t_ns), y: row.seq + row.len, frame: row.frame, row };
    if (row.lost_on_link) out.lost.push(point);
    else if (row.retransmission) out.retransmission.push(point);
    else out.plain.push(point);
  }
  return out;
}

export function ackPoints(doc) {
  return rows(doc, 'acks').map((row) => ({ x: ms(row.t_ns), y: row.ack, frame: row.frame, row }));
}

// Per interval, drawn at the interval's start with a stepped line: the
// value holds until the next interval begins.
export function ratePoints(doc, table) {
  return rows(doc, table).map((row) => ({ x: ms(row.t_ns), y: row.bits_per_second / 1e6, row }));
}

export function rttPoints(doc) {
  return rows(doc, 'rtt').map((row) => ({ x: ms(row.t_ns), y: row.rtt_ns / 1e6, frame: row.frame, row }));
}

// The kernel's samples; a sample without the figure (rtt 0 before the
// first ACK) is left out rather than drawn at zero.
export function kernelPoints(doc, figure) {
  const samples = (doc && doc.kernel && doc.kernel.samples) || [];
  const out = [];
  for (const row of samples) {
    if (figure === 'srtt' && row.rtt_us > 0) out.push({ x: ms(row.t_ns), y: row.rtt_us / 1e3, row });
    if (figure === 'cwnd' && row.cwnd > 0 && row.mss > 0) out.push({ x: ms(row.t_ns), y: row.cwnd * row.mss, row });
  }
  return out;
}

export function bytePoints(doc, table) {
  return rows(doc, table).map((row) => ({ x: ms(row.t_ns), y: row.bytes, frame: row.frame, row }));
}

// The time axis's end: the last time any table reaches.
export function lastMs(doc) {
  let last = 0;
  for (const table of ['segments', 'acks', 'rtt', 'window', 'in_flight', 'throughput']) {
    const r = rows(doc, table);
    if (r.length) last = Math.max(last, r[r.length - 1].t_ns);
  }
  const samples = (doc && doc.kernel && doc.kernel.samples) || [];
  if (samples.length) last = Math.max(last, samples[samples.length - 1].t_ns);
  return ms(last + ((doc && doc.interval_ns) || 0));
}

function points(data, extra) {
  return { showLine: false, pointRadius: 1.6, pointHoverRadius: 4, borderWidth: 0, data, ...extra };
}

function line(data, extra) {
  return { type: 'line', showLine: true, pointRadius: 0, pointHoverRadius: 3, borderWidth: 1.6, tension: 0, data,
    ...extra };
}

// One run's datasets for a graph. colour: null for a run's own view (each
// kind of mark in its colour, every legend entry), else the run's colour
// in the compare view, where fewer kinds are drawn so that runs stay
// apart: the segments (lost ones crossed), throughput, the per-ACK RTT with
// the kernel's srtt, and the congestion window.
export function datasets(key, doc, colour, name = '') {
  const c = (own) => colour || own;
  const tag = name ? `${name}: ` : '';
  const run = name || null;
  if (key === 'tsg') {
    const s = segmentPoints(doc);
    const out = [
      points(s.plain, { label: `${tag}segments`, kind: 'segment', run, backgroundColor: c(MARKS.segment), pointStyle: 'rect' }),
    ];
    if (!colour) {
      out.push(line(ackPoints(doc), { label: 'ACKs', kind: 'ack', borderColor: MARKS.ack, backgroundColor: MARKS.ack,
        borderWidth: 1.2, stepped: true }));
      out.push(points(s.retransmission, { label: 'retransmissions', kind: 'retransmission', backgroundColor: MARKS.retransmission,
        borderColor: MARKS.retransmission, pointStyle: 'triangle', pointRadius: 3.5, borderWidth: 1 }));
    } else {
      s.lost.push(...s.retransmission.map((p) => ({ ...p, retransmissionOnly: true })));
    }
    out.push(points(s.lost, { label: colour ? `${tag}lost or retransmitted` : 'lost on the link', kind: 'lost', run,
      backgroundColor: c(MARKS.lost), borderColor: c(MARKS.lost), pointStyle: 'crossRot', pointRadius: 4, borderWidth: 1.5 }));
    return out;
  }
  if (key === 'throughput') {
    const out = [line(ratePoints(doc, 'throughput'), { label: `${tag}throughput`, kind: 'throughput', run,
      borderColor: c(MARKS.segment), backgroundColor: c(MARKS.segment), stepped: true })];
    if (!colour) {
      out.push(line(ratePoints(doc, 'goodput'), { label: 'goodput', kind: 'goodput', borderColor: MARKS.goodput,
        backgroundColor: MARKS.goodput, stepped: true, borderDash: [5, 3] }));
    }
    return out;
  }
  if (key === 'rtt') {
    return [
      points(rttPoints(doc), { label: `${tag}RTT per ACK`, kind: 'rtt', run, backgroundColor: c(MARKS.segment),
        pointStyle: 'circle', pointRadius: colour ? 1.2 : 1.6 }),
      line(kernelPoints(doc, 'srtt'), { label: `${tag}kernel srtt`, kind: 'srtt', run, borderColor: c(MARKS.kernel),
        backgroundColor: c(MARKS.kernel), borderWidth: 2 }),
    ];
  }
  if (key === 'window') {
    const cwnd = line(kernelPoints(doc, 'cwnd'), { label: `${tag}cwnd × MSS (kernel)`, kind: 'cwnd', run,
      borderColor: c(MARKS.kernel), backgroundColor: c(MARKS.kernel), borderWidth: 2, stepped: true });
    if (colour) return [cwnd];
    return [
      line(bytePoints(doc, 'window'), { label: 'advertised window', kind: 'window', borderColor: MARKS.window,
        backgroundColor: MARKS.window, stepped: true }),
      points(bytePoints(doc, 'in_flight'), { label: 'bytes in flight', kind: 'in_flight', backgroundColor: MARKS.segment,
        pointStyle: 'circle' }),
      cwnd,
    ];
  }
  throw new Error(`no graph ${key}`);
}

// A tooltip's line: what the point is, its time and figure, and the frame
// to look for in Wireshark (Go > Go to Packet) when it is one.
export function describe(dataset, raw) {
  const r = raw.row || {};
  const when = `${raw.x.toFixed(3)} ms`;
  const who = dataset.run ? `${dataset.run}, ` : '';
  const frame = raw.frame ? `frame ${raw.frame}` : 'TCP_INFO';
  switch (dataset.kind) {
    case 'segment':
    case 'retransmission':
    case 'lost': {
      const what = r.lost_on_link ? 'lost on the link' : r.retransmission ? 'retransmission' : 'segment';
      return `${who}${frame} at ${when}: ${what}, seq ${fmt.integer(r.seq)}, len ${fmt.integer(r.len)}`;
    }
    case 'ack': return `${frame} at ${when}: ACK ${fmt.integer(r.ack)}`;
    case 'throughput':
    case 'goodput':
      return `${who}${dataset.kind} from ${when}: ${Number(raw.y.toPrecision(4))} Mbit/s (${fmt.integer(r.bytes)} bytes)`;
    case 'rtt': return `${who}${frame} at ${when}: RTT ${fmt.duration(r.rtt_ns)}`;
    case 'srtt': return `${who}${frame} at ${when}: srtt ${fmt.integer(r.rtt_us)} µs ± ${fmt.integer(r.rttvar_us)} µs`;
    case 'cwnd': return `${who}${frame} at ${when}: cwnd ${fmt.integer(r.cwnd)} × MSS ${fmt.integer(r.mss)} = ${fmt.bytes(raw.y)}`;
    case 'window': return `${frame} at ${when}: window ${fmt.integer(r.bytes)} bytes`;
    case 'in_flight': return `${frame} at ${when}: ${fmt.integer(r.bytes)} bytes in flight`;
    default: return `${when}: ${raw.y}`;
  }
}
