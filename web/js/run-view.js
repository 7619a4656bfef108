// run-view: one run at #/runs/{id}: the lab's six answers, summary cards,
// the handshake/closure ladder, the time–sequence graph, the packet list,
// the pcap link and the raw JSON (what a capture's view shows too, drawn
// by item-view.js), and what only a run has: why its numbers differ from
// the handout, its path and its graphs over time. A run still under way is
// followed until it ends, then drawn. Every figure keeps the API's exact
// value in data-value, so what is shown can be checked against GET /runs/{id}.

import * as api from './api.js';
import * as fmt from './format.js';
import { follow } from './progress.js';
import { isFinal, runSize } from './model.js';
import { withTerms } from './glossary.js';
import { drawPath } from './path-view.js';
import { chartAvailable } from './charts.js';
import { SeriesCharts } from './series-charts.js';
import { buildTotals, card, connectionCards } from './connection-parts.js';
import { ItemView } from './item-view.js';

// A run's cards: the connection's five, and the drops of its capture.
export function buildCards(result) {
  const t = result.totals || {};
  const cap = result.capture || {};
  const integ = result.integrity || {};
  const dropped = cap.dropped ?? null;
  const dropsSub = [`${fmt.integer(cap.received)} received`];
  if (cap.if_dropped) dropsSub.push(`${fmt.integer(cap.if_dropped)} by the interface`);
  dropsSub.push(cap.complete ? 'capture complete' : 'capture incomplete');
  const verified = integ.verified ? 'verified' : 'NOT verified';
  return [
    ...connectionCards(result, `${fmt.bytes(integ.received_bytes ?? t.payload_bytes)} payload, ${verified}`),
    card('dropped', 'Drops', fmt.integer(dropped), dropped, 'frames', dropsSub.join(' · ')),
  ];
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

export class RunView extends ItemView {
  constructor(root, { onDeleted, confirmDelete, announce }) {
    super(root, {
      ids: {
        title: 'run-title', subtitle: 'run-subtitle', status: 'run-status', pcap: 'run-pcap', delete: 'run-delete',
        error: 'run-error', body: 'run-body', rawDetails: 'raw-details', rawJson: 'raw-json',
        answers: 'run-answers', cards: 'cards', ladder: 'ladder', ladderFacts: 'ladder-facts',
        closureWhy: 'closure-why', totals: 'totals-list', tsgChart: 'chart-tsg', tsgNote: 'tsg-note',
      },
      noun: 'Run',
      failed: 'This run failed',
      missing: 'deleted, or never made',
      packetPrefix: '',
      onDeleted,
      confirmDelete,
      announce,
    });
    this.seriesCharts = null;
  }

  download(run) {
    return api.downloadPcap(run);
  }

  deleteItem(id) {
    return api.deleteRun(id);
  }

  reset(id) {
    super.reset(id);
    this.el('run-progress').replaceChildren();
    this.el('run-progress').hidden = true;
    this.el('cards').replaceChildren();
    this.el('run-answers').replaceChildren();
  }

  // A run still under way is followed (progress.js) until it ends.
  async fetchFinal(id, signal) {
    let run = await api.getRun(id, signal);
    this.header(run);
    if (!isFinal(run.status)) {
      run = await follow(this.el('run-progress'), id, run.params && run.params.size_text, signal);
      this.header(run);
    }
    return run;
  }

  header(run) {
    const size = runSize(run);
    const p = run.params || {};
    const bits = [`${fmt.bytes(size)} ${p.direction || ''}`.trim()];
    if (p.chunk) bits.push(`chunk ${fmt.sizeParam(p.chunk)}`);
    if (p.nodelay) bits.push('TCP_NODELAY');
    if (run.label) bits.push(`“${run.label}”`);
    bits.push(run.created_time ? `${fmt.exactTime(run.created_time)} UTC` : fmt.clock(run.created_ns));
    this.showHeader(run, {
      subtitle: bits.join(' · '),
      pcap: api.pcapUrl(run),
      fileName: `wiremeter-run-${run.id}.pcap`,
      title: `Run ${run.id} · ${fmt.bytes(size)} · wiremeter`,
    });
    this.el('run-subtitle').dataset.size = String(size);
  }

  async render(run, signal) {
    const result = run.result;
    this.el('run-progress').hidden = true;
    this.el('run-body').hidden = false;
    this.drawConnection(result, `Each answer is a field of result in GET /runs/${run.id}, named beside it.`,
      buildCards(result), buildTotals(result));
    this.el('why-list').replaceChildren(...whyDiffer(run));
    const total = result.totals && result.totals.packets;
    const listed = this.packets.open(run.id, total);
    const graphed = this.drawGraph(run.id, signal);
    drawPath(this.el('path-drawing'), run);
    const series = this.drawSeries(run, signal);
    await Promise.all([listed, graphed, series]);
    this.root.dataset.renderedRun = String(run.id);
    this.announce(`Run ${run.id} loaded: ${fmt.integer(total)} packets in ${fmt.duration(result.timing && result.timing.total_ns)}.`);
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
}
