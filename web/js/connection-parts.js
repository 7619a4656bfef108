// connection-parts: the pieces of one TCP connection's view that a run's
// view (run-view.js) and a capture's (captures-view.js) both draw: the
// cards and their common five, the ladder's folded middle and the facts
// beside it, why the closure has the packets it has, and the totals. Every
// figure keeps the API's exact value in data-value (fmt.setValue).

import * as fmt from './format.js';
import { endpointText } from './format.js';
import { withTerms } from './glossary.js';

export function card(field, label, text, exact, unit, sub) {
  const div = document.createElement('div');
  div.className = 'card';
  div.dataset.card = field;
  const dt = document.createElement('p');
  dt.className = 'card-label';
  dt.textContent = label;
  const dd = document.createElement('p');
  dd.className = 'card-value';
  dd.dataset.field = field;
  fmt.setValue(dd, text, exact, unit);
  div.append(dt, dd);
  if (sub) {
    const s = document.createElement('p');
    s.className = 'card-sub';
    s.textContent = sub;
    div.appendChild(s);
  }
  return div;
}

// The endpoints card's value: client and server in their colours, the
// text still reading "client → server".
export function endpointsValue(div, c) {
  const value = div.querySelector('.card-value');
  const client = document.createElement('span');
  client.className = 'ep client';
  client.textContent = endpointText(c.client);
  const server = document.createElement('span');
  server.className = 'ep server';
  server.textContent = endpointText(c.server);
  value.replaceChildren(client, ' → ', server);
  return div;
}

export function connectionNote(c) {
  if (!c) return '';
  const parts = [`IPv${c.ip_version}`];
  if (c.mss && c.mss.client) parts.push(`MSS ${c.mss.client}/${c.mss.server ?? '?'}`);
  if (c.window_scale && c.window_scale.client !== null && c.window_scale.client !== undefined) {
    parts.push(`WS ${c.window_scale.client}/${c.window_scale.server ?? '?'}`);
  }
  if (c.sack_permitted) parts.push('SACK');
  if (c.timestamps) parts.push('TS');
  return parts.join(' · ');
}

// The cards a run's connection and a capture's both have: endpoints,
// packets, total time, average packet size and throughput, whose second
// line (throughputSub) is the caller's: a run's says whether its data was
// verified, a capture's cannot.
export function connectionCards(result, throughputSub) {
  const c = result.connection || {};
  const t = result.totals || {};
  const tm = result.timing || {};
  const avg = result.average_packet_size || {};
  const endpoints = `${endpointText(c.client)} → ${endpointText(c.server)}`;
  return [
    endpointsValue(card('endpoints', 'Endpoints (client → server)', endpoints, endpoints, '', connectionNote(c)), c),
    card('packets', 'Packets', fmt.integer(t.packets), t.packets, 'packets',
      `${fmt.integer(t.client_to_server)} from client · ${fmt.integer(t.server_to_client)} from server · ${fmt.integer(t.data_packets)} with data`),
    card('total_ns', 'Total time', fmt.duration(tm.total_ns), tm.total_ns, 'ns',
      `handshake ${fmt.duration(tm.handshake_ns)} · transfer ${fmt.duration(tm.transfer_ns)} · closure ${fmt.duration(tm.closure_ns)}`),
    card('average_packet_size', 'Average packet size', fmt.bytes(avg.all), avg.all, 'bytes',
      `data packets: ${fmt.bytes(avg.data)} · ${fmt.bytes(t.wire_bytes)} on the wire`),
    card('throughput_bps', 'Throughput', fmt.bitrate(tm.throughput_bps), tm.throughput_bps, 'bit/s', throughputSub),
  ];
}

// The two lines of the ladder's folded middle: the data transfer.
export function middleText(result) {
  const t = result.totals || {};
  const hs = (result.handshake && result.handshake.packets) || [];
  const cl = (result.closure && result.closure.packets) || [];
  const n = Math.max(0, (t.packets ?? 0) - hs.length - cl.length);
  return [`${fmt.integer(n)} packets of data transfer`,
    `${fmt.integer(t.data_packets)} with data · ${fmt.bytes(t.payload_bytes)} payload`];
}

// label: a text, or parts for withTerms (strings and [term, label]).
export function fact(label, text, exact) {
  const dt = document.createElement('dt');
  if (Array.isArray(label)) withTerms(dt, label);
  else dt.textContent = label;
  const dd = document.createElement('dd');
  fmt.setValue(dd, text, exact);
  return [dt, dd];
}

// Everything the totals, the capture and TCP_INFO say, as a list.
export function buildTotals(result) {
  const t = result.totals || {};
  const cap = result.capture || {};
  const ti = result.tcp_info;
  const n = (v) => fmt.integer(v);
  const rows = [
    ...fact('Packets client → server', n(t.client_to_server), t.client_to_server),
    ...fact('Packets server → client', n(t.server_to_client), t.server_to_client),
    ...fact('With data / pure ACKs', `${n(t.data_packets)} / ${n(t.pure_acks)}`),
    ...fact('Bytes on the wire', `${n(t.wire_bytes)} B`, t.wire_bytes),
    ...fact('Payload client → server', `${n(t.payload_client_to_server)} B`, t.payload_client_to_server),
    ...fact('Payload server → client', `${n(t.payload_server_to_client)} B`, t.payload_server_to_client),
    ...fact([['retransmission', 'Retransmissions']], n(t.retransmissions), t.retransmissions),
    ...fact([['duplicate ACK', 'Duplicate ACKs'], ' / ', ['out of order', 'out of order']], `${n(t.duplicate_acks)} / ${n(t.out_of_order)}`),
    ...fact('Captured / dropped', `${n(cap.frames)} frames / ${n(cap.dropped)}`),
  ];
  if (ti) {
    rows.push(...fact(['Sender ', ['RTT'], ' (TCP_INFO)'], `${n(ti.rtt_us)} µs ± ${n(ti.rttvar_us)} µs`, ti.rtt_us));
    rows.push(...fact(['Sender ', ['cwnd'], ', ', ['MSS']], `${n(ti.snd_cwnd)} segments, ${n(ti.snd_mss)} B`));
    rows.push(...fact('Congestion control', ti.congestion || '—'));
  }
  return rows;
}

// The lab's handshake and closure questions, answered beside the ladder.
export function buildFacts(result) {
  const c = result.connection || {};
  const hs = result.handshake || {};
  const cl = result.closure || {};
  const isn = hs.isn || {};
  const pair = (v) => (v ? `${v.client ?? '?'} / ${v.server ?? '?'}` : '—');
  const opts = [c.sack_permitted ? 'SACK permitted' : null, c.timestamps ? 'timestamps' : null]
    .filter(Boolean).join(', ') || 'none';
  let closed = '—';
  if (cl.kind === 'fin' || cl.kind === 'rst') {
    closed = cl.simultaneous ? 'both at once' : `the ${cl.initiator ?? '?'}`;
    if (cl.kind === 'rst') closed += ' (RST)';
  }
  return [
    ...fact(['Client ', ['ISN'], ' (', ['raw'], ')'], isn.client ?? '—', isn.client),
    ...fact(['Server ', ['ISN'], ' (', ['raw'], ')'], isn.server ?? '—', isn.server),
    ...fact([['MSS'], ' client / server'], pair(c.mss)),
    ...fact([['window scale', 'Window scale'], ' client / server'], pair(c.window_scale)),
    ...fact(['Options: ', ['SACK'], ', ', ['timestamps']], opts),
    ...fact('Handshake took', fmt.duration(hs.duration_ns), hs.duration_ns),
    ...fact('Closed first by', closed),
    ...fact('Closure took', fmt.duration(cl.duration_ns), cl.duration_ns),
  ];
}

const other = (side) => (side === 'client' ? 'server' : 'client');

// Why the closure has the packets it has: three when the second FIN rides
// on the ACK of the first, four when they travel apart, and the FIN riding
// on the last data segment.
export function closureWhy(closure) {
  const packets = (closure && closure.packets) || [];
  if (!closure || closure.kind === 'none' || !packets.length) {
    return ['The closure was not captured (the capture ended first).'];
  }
  if (closure.kind === 'rst') {
    return ['The connection ended with a ', ['RST'], ': one side reset it instead of the ', ['FIN'], ' exchange, '
      + 'so there is no orderly closure to count.'];
  }
  const fins = packets.filter((p) => p.flags.includes('FIN'));
  const parts = [`${packets.length} packets here. `];
  const first = fins[0];
  if (first && first.len > 0) {
    parts.push(`The ${first.from}'s `, ['FIN'], ` rode on its last data segment (Len=${first.len}), so that segment `
      + 'both ends the data and starts the closure. ');
  }
  if (closure.simultaneous) {
    parts.push('Both sides sent their ', ['FIN'], ' at about the same time, and each acknowledged the other\'s.');
    return parts;
  }
  const second = fins[1];
  const piggy = second && second.flags.includes('ACK') && packets.indexOf(second) === packets.indexOf(first) + 1;
  if (packets.length === 3 || piggy) {
    parts.push(`The ${first ? first.from : 'first side'} closed first; the ${first ? other(first.from) : 'other side'} `
      + 'had nothing left to send, so its own ', ['FIN'], ' rode on the ', ['ACK'], ' of the first FIN (FIN, FIN-ACK, '
      + 'ACK): three packets instead of four.');
  } else if (packets.length >= 4) {
    parts.push(`The ${first ? first.from : 'first side'} closed first; the ${first ? other(first.from) : 'other side'} `
      + 'acknowledged that FIN at once and sent its own ', ['FIN'], ' separately when its application closed '
      + '(FIN, ACK, FIN, ACK): four packets. Had the second FIN been ready in time, it would have ridden on the ACK '
      + 'and made three.');
  }
  return parts;
}
