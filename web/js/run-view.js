// run-view: one run at #/runs/{id}: the lab's six answers, summary cards,
// the handshake/closure ladder, the time–sequence graph, the packet list,
// the pcap link and the raw JSON. A run still under way is followed until it ends, then drawn.
// Every figure keeps the API's exact value in data-value, so what is shown
// can be checked against GET /runs/{id}.

import * as api from './api.js';
import * as fmt from './format.js';
import { endpointText } from './format.js';
import { drawLadder } from './ladder.js';
import { chartAvailable, drawTimeSequence } from './charts.js';
import { PacketList, fetchAll } from './packets.js';
import { follow } from './progress.js';
import { isFinal, runSize } from './model.js';
import { withTerms } from './glossary.js';
import { buildAnswers } from './captures-answers.js';
import { drawPath } from './path-view.js';
import { SeriesCharts } from './series-charts.js';

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

export function buildCards(result) {
  const c = result.connection || {};
  const t = result.totals || {};
  const tm = result.timing || {};
  const avg = result.average_packet_size || {};
  const cap = result.capture || {};
  const integ = result.integrity || {};
  const endpoints = `${endpointText(c.client)} → ${endpointText(c.server)}`;
  const dropped = cap.dropped ?? null;
  const dropsSub = [`${fmt.integer(cap.received)} received`];
  if (cap.if_dropped) dropsSub.push(`${fmt.integer(cap.if_dropped)} by the interface`);
  dropsSub.push(cap.complete ? 'capture complete' : 'capture incomplete');
  const verified = integ.verified ? 'verified' : 'NOT verified';
  return [
    endpointsValue(card('endpoints', 'Endpoints (client → server)', endpoints, endpoints, '', connectionNote(c)), c),
    card('packets', 'Packets', fmt.integer(t.packets), t.packets, 'packets',
      `${fmt.integer(t.client_to_server)} from client · ${fmt.integer(t.server_to_client)} from server · ${fmt.integer(t.data_packets)} with data`),
    card('total_ns', 'Total time', fmt.duration(tm.total_ns), tm.total_ns, 'ns',
      `handshake ${fmt.duration(tm.handshake_ns)} · transfer ${fmt.duration(tm.transfer_ns)} · closure ${fmt.duration(tm.closure_ns)}`),
    card('average_packet_size', 'Average packet size', fmt.bytes(avg.all), avg.all, 'bytes',
      `data packets: ${fmt.bytes(avg.data)} · ${fmt.bytes(t.wire_bytes)} on the wire`),
    card('throughput_bps', 'Throughput', fmt.bitrate(tm.throughput_bps), tm.throughput_bps, 'bit/s',
      `${fmt.bytes(integ.received_bytes ?? t.payload_bytes)} payload, ${verified}`),
    card('dropped', 'Drops', fmt.integer(dropped), dropped, 'frames', dropsSub.join(' · ')),
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
function fact(label, text, exact) {
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

function li(parts) {
  return withTerms(document.createElement('li'), parts);
}

// "Why your numbers differ from the handout", from what this run did: the
// MSS (and the MTU it implies), segments larger than an MSS (segmentation
// offload), the application's write size, and wiremeter's exchange.
export function whyDiffer(run) {
  const r = run.result || {};
  const c = r.connection || {};
  const p = run.params || {};
  const ti = r.tcp_info || {};
  const avg = r.average_packet_size || {};
  const t = r.totals || {};
  const items = [];
  const mss = (c.mss && (c.mss.server ?? c.mss.client)) || null;
  const used = ti.snd_mss || null;
  const headers = c.ip_version === 6 ? 60 : 40;
  const iface = (r.capture && r.capture.interface) || p.interface || 'the interface';
  if (mss) {
    items.push(li([`The `, ['MSS'], ` offered in the SYNs is ${fmt.integer(mss)} bytes`
      + (used ? ` and the sender used ${fmt.integer(used)}` : '') + `: ${iface}'s `, ['MTU'],
    ` is at least ${fmt.integer(mss + headers)} bytes (MSS + ${headers} bytes of IP and TCP headers). `
      + (p.mss ? `You set mss=${p.mss}. ` : '')
      + 'The handout\'s Ethernet had an MTU of 1500, an MSS of 1460: a segment here can carry '
      + `${fmt.integer(Math.round((used || mss) / 1460))} times as much.`]));
  }
  if (avg.data && used && avg.data > used + headers + 14) {
    items.push(li(['Data packets average ', fmt.bytes(avg.data), ', more than one MSS: TCP handed the interface '
      + 'several segments at once (', ['segmentation', 'segmentation offload'], '), and on loopback nobody cuts them '
      + 'to the MSS, so the capture counts fewer, larger packets than an Ethernet wire would carry.']));
  } else if (avg.data && used) {
    items.push(li(['Data packets average ', fmt.bytes(avg.data), `, within one MSS: here one segment may carry up to `
      + `${fmt.integer(used)} bytes. On Ethernet the same data leaves the card in 1460-byte packets (`,
    ['segmentation', 'segmentation offload'], '; a capture on the sending host would still see the large segments).']));
  }
  if (p.chunk) {
    items.push(li(['The application wrote ', `${fmt.sizeParam(p.chunk)} at a time (`, ['chunk'], `${p.nodelay ? ', TCP_NODELAY on' : ''}). `
      + 'Smaller writes make smaller segments, so more packets for the same bytes; the handout\'s program wrote '
      + 'what its HTTP server wrote.']));
  }
  const hs = ((r.handshake && r.handshake.packets) || []).length;
  const cl = ((r.closure && r.closure.packets) || []).length;
  items.push(li([`wiremeter's exchange is minimal: the `, ['handshake'], ` (${hs} packets), a 16-byte request, `
    + `the data and its ACKs, the `, ['closure'], ` (${cl} packets): ${fmt.integer(t.packets)} packets in all. `
    + 'The handout\'s program spoke HTTP — a request with headers, a response with headers, often a second '
    + 'connection — which is why even 13 B took 24 packets there.']));
  return items;
}

// Where the graphs' figures come from, in a sentence.
function seriesIntro(doc) {
  const k = doc.kernel || {};
  const samples = (k.samples || []).length;
  return `From the ${doc.source === 'sender' ? 'data sender\'s' : 'only'} capture, and the sender's TCP_INFO `
    + `(${k.congestion || 'its congestion control'}) sampled every ${fmt.duration(doc.interval_ns)}: ${fmt.integer(samples)} samples`
    + `${k.dropped ? `, ${fmt.integer(k.dropped)} not kept` : ''}. Time is counted from the connection's first SYN in that capture; `
    + 'a point\'s tooltip gives its frame number in that capture, for Wireshark.';
}

export class RunView {
  constructor(root, { onDeleted, confirmDelete, announce }) {
    this.root = root;
    this.el = (id) => root.querySelector(`#${id}`);
    this.onDeleted = onDeleted;
    this.confirmDelete = confirmDelete;
    this.announce = announce;
    this.packets = new PacketList(root, (err) => this.showError(err.message));
    this.tsgChart = null;
    this.seriesCharts = null;
    this.controller = null;
    this.run = null;
    this.el('run-delete').addEventListener('click', () => this.remove());
    this.el('raw-details').addEventListener('toggle', () => this.fillRaw());
    this.el('run-pcap').addEventListener('click', (e) => {
      if (!api.hasToken() || !this.run) return; // the plain link will do
      e.preventDefault();
      api.downloadPcap(this.run).catch((err) => this.showError(err.message));
    });
  }

  showError(message) {
    const box = this.el('run-error');
    box.textContent = message;
    box.hidden = !message;
  }

  close() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  reset(id) {
    this.run = null;
    this.el('run-title').textContent = `Run ${id}`;
    this.el('run-subtitle').textContent = '';
    this.el('run-status').textContent = '';
    this.el('run-status').className = 'badge';
    this.el('run-pcap').hidden = true;
    this.el('run-body').hidden = true;
    this.el('run-progress').replaceChildren();
    this.el('run-progress').hidden = true;
    this.el('raw-details').open = false;
    this.el('raw-json').textContent = '';
    this.el('cards').replaceChildren();
    this.el('run-answers').replaceChildren();
    this.showError('');
  }

  async open(id) {
    this.close();
    this.controller = new AbortController();
    const { signal } = this.controller;
    this.id = id;
    this.reset(id);
    try {
      let run = await api.getRun(id, signal);
      this.header(run);
      if (!isFinal(run.status)) {
        run = await follow(this.el('run-progress'), id, run.params && run.params.size_text, signal);
        this.header(run);
      }
      if (signal.aborted) return;
      this.run = run;
      if (run.status === 'failed') {
        this.showError(`This run failed: ${(run.error && run.error.message) || 'no reason given'}`);
        return;
      }
      this.el('run-progress').hidden = true;
      await this.render(run, signal);
    } catch (err) {
      if (err.name === 'AbortError') return;
      this.showError(err.status === 404 ? `There is no run ${id} (deleted, or never made).` : err.message);
    }
  }

  header(run) {
    const size = runSize(run);
    const p = run.params || {};
    const bits = [`${fmt.bytes(size)} ${p.direction || ''}`.trim()];
    if (p.chunk) bits.push(`chunk ${fmt.sizeParam(p.chunk)}`);
    if (p.nodelay) bits.push('TCP_NODELAY');
    if (run.label) bits.push(`“${run.label}”`);
    bits.push(run.created_time ? `${fmt.exactTime(run.created_time)} UTC` : fmt.clock(run.created_ns));
    this.el('run-title').textContent = `Run ${run.id}`;
    const sub = this.el('run-subtitle');
    sub.textContent = bits.join(' · ');
    sub.dataset.size = String(size);
    const badge = this.el('run-status');
    badge.textContent = run.status;
    badge.className = `badge status-${run.status}`;
    const pcap = this.el('run-pcap');
    pcap.href = api.pcapUrl(run);
    pcap.setAttribute('download', `wiremeter-run-${run.id}.pcap`);
    pcap.hidden = run.status !== 'done';
    document.title = `Run ${run.id} · ${fmt.bytes(size)} · wiremeter`;
  }

  async render(run, signal) {
    const result = run.result;
    this.el('run-body').hidden = false;
    this.el('run-answers').replaceChildren(...buildAnswers(result,
      `Each answer is a field of result in GET /runs/${run.id}, named beside it.`));
    this.el('cards').replaceChildren(...buildCards(result));
    drawLadder(this.el('ladder'), result, middleText(result));
    this.el('ladder-facts').replaceChildren(...buildFacts(result));
    withTerms(this.el('closure-why'), closureWhy(result.closure));
    this.el('why-list').replaceChildren(...whyDiffer(run));
    this.el('totals-list').replaceChildren(...buildTotals(result));
    const total = result.totals && result.totals.packets;
    const listed = this.packets.open(run.id, total);
    const graphed = this.drawGraph(run.id, signal);
    drawPath(this.el('path-drawing'), run);
    const series = this.drawSeries(run, signal);
    await Promise.all([listed, graphed, series]);
    this.root.dataset.renderedRun = String(run.id);
    this.announce(`Run ${run.id} loaded: ${fmt.integer(total)} packets in ${fmt.duration(result.timing && result.timing.total_ns)}.`);
  }

  async drawGraph(id, signal) {
    const note = this.el('tsg-note');
    note.textContent = '';
    if (!chartAvailable()) {
      note.textContent = 'Chart.js is not available at /vendor/chart.js, so the graph cannot be drawn.';
      return;
    }
    try {
      const { packets, truncated } = await fetchAll(id, signal);
      if (signal.aborted) return;
      this.tsgChart = drawTimeSequence(this.el('chart-tsg'), packets, this.tsgChart);
      if (truncated) note.textContent = `Only the first ${fmt.integer(packets.length)} packets are drawn.`;
    } catch (err) {
      if (err.name !== 'AbortError') note.textContent = `The packet list could not be read: ${err.message}`;
    }
  }

  // The graphs over time, when the run has a series: its links say so
  // (links.series), so a run stored before series were kept costs no 404.
  async drawSeries(run, signal) {
    const panel = this.el('series-panel');
    const note = this.el('series-note');
    if (this.seriesCharts) this.seriesCharts.destroy();
    this.seriesCharts = null;
    panel.hidden = true;
    note.textContent = '';
    if (!chartAvailable() || !(run.links && run.links.series)) return;
    let doc;
    try {
      doc = await api.getSeries(run.id, signal);
    } catch (err) {
      if (err.name === 'AbortError') return;
      panel.hidden = false;
      note.textContent = `The time series could not be read: ${err.message}`;
      return;
    }
    if (!doc || signal.aborted) return;
    panel.hidden = false;
    this.el('series-intro').textContent = seriesIntro(doc);
    this.seriesCharts = new SeriesCharts(this.el('series-graphs'), [{ doc, name: '', colour: null }],
      { csv: (table) => api.seriesCsvUrl(run.id, table), idPrefix: 'series' });
    if (doc.truncated) note.textContent = 'A table reached its bound: the graphs end where it stopped.';
    this.root.dataset.seriesRun = String(run.id);
  }

  // The server's text as received: JSON.stringify of the parsed object
  // would print the BigInt times differently and reorder nothing useful.
  fillRaw() {
    const details = this.el('raw-details');
    if (!details.open || !this.run) return;
    this.el('raw-json').textContent = api.rawText(this.run) ?? '';
  }

  async remove() {
    if (!this.id) return;
    const ok = await this.confirmDelete(this.id);
    if (!ok) return;
    try {
      await api.deleteRun(this.id);
      this.onDeleted(this.id);
    } catch (err) {
      this.showError(err.message);
    }
  }
}
