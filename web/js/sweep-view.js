// sweep-view: one sweep as the lab's report at #/sweeps/{id} — the table of
// packets, start, end and total time and average packet size by size (each
// the median over the repeats with the smallest and largest below it, the
// handout's figures beside them), Figure 1 from this sweep alone, and the
// downloads: the server's CSV and SVG, the figure as PNG from the canvas,
// and the print layout (style.css, @media print: one A4 page). Also the
// list of sweeps at #/sweeps. Every figure keeps the API's exact value in
// data-value (absolute times: the RFC 3339 text, and the ns as the API
// wrote them), so what is shown can be checked against GET /sweeps/{id}.

import * as api from './api.js';
import * as fmt from './format.js';
import { chartAvailable, drawFigure1 } from './charts.js';
import { follow } from './progress.js';
import { settingsText } from './model.js';

// The time of day of an RFC 3339 time, with all its digits: the date is
// the report's, shown once in the column head.
function timeOfDay(text) {
  const m = /T([0-9:.]+)/.exec(text || '');
  return m ? m[1] : '—';
}

function dateOf(text) {
  const m = /^(\d{4}-\d{2}-\d{2})T/.exec(text || '');
  return m ? m[1] : '';
}

function node(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// A cell of median and range: {median, min, max} shown with format f; the
// exact values in data-value, data-min and data-max.
const LABELS = { packets: 'Packets', total_ns: 'Total time', average_packet_size: 'Avg packet', start: 'Start',
  end: 'End', handout: 'Handout', runs: 'Runs' };

function rangeCell(field, stat, f, unit) {
  const td = node('td', 'num');
  td.dataset.field = field;
  td.dataset.label = LABELS[field];
  if (!stat || stat.median === null || stat.median === undefined) {
    td.textContent = '—';
    return td;
  }
  const main = node('span', 'median');
  fmt.setValue(main, f(stat.median), stat.median, unit);
  const range = node('span', 'range', `${f(stat.min)} – ${f(stat.max)}`);
  range.setAttribute('aria-label', `from ${f(stat.min)} to ${f(stat.max)}`);
  td.append(main, range);
  td.dataset.value = String(stat.median);
  td.dataset.min = String(stat.min);
  td.dataset.max = String(stat.max);
  return td;
}

// An absolute time: the API's RFC 3339 texts shown as they are (the time
// of day, to the nanosecond), the ns integers kept exact in data-ns.
function timeCell(field, times, ns) {
  const td = node('td', 'num time');
  td.dataset.field = field;
  td.dataset.label = LABELS[field];
  if (!times || !times.median) {
    td.textContent = '—';
    return td;
  }
  const main = node('time', 'median', timeOfDay(times.median));
  main.dateTime = times.median;
  main.title = times.median;
  const min = node('span', 'range', `${timeOfDay(times.min)} min`);
  min.title = times.min;
  const max = node('span', 'range', `${timeOfDay(times.max)} max`);
  max.title = times.max;
  td.append(main, min, max);
  td.dataset.value = times.median;
  td.dataset.min = times.min;
  td.dataset.max = times.max;
  if (ns) td.dataset.ns = String(ns.median);
  return td;
}

function handoutCell(h) {
  const td = node('td', 'num handout-col');
  td.dataset.field = 'handout';
  td.dataset.label = LABELS.handout;
  if (!h) {
    td.textContent = '—';
    td.title = 'The handout has no figure for this size';
    return td;
  }
  const packets = node('span', 'median', `${fmt.integer(h.packets)} packets`);
  const rest = node('span', 'range', `${fmt.duration(h.total_s * 1e9)} · ${fmt.bytes(h.average_packet_size)}`);
  td.append(packets, rest);
  td.dataset.packets = String(h.packets);
  td.dataset.totalS = String(h.total_s);
  td.dataset.averagePacketSize = String(h.average_packet_size);
  return td;
}

export function reportRow(r) {
  const tr = document.createElement('tr');
  tr.dataset.size = String(r.size);
  const th = node('th');
  th.scope = 'row';
  fmt.setValue(th, fmt.bytes(r.size), r.size, 'bytes');
  const runs = node('td', 'num');
  runs.dataset.field = 'runs';
  runs.dataset.label = LABELS.runs;
  runs.textContent = r.failed ? `${r.runs} (${r.failed} failed)` : String(r.runs);
  runs.dataset.value = String(r.runs);
  tr.append(th, runs,
    rangeCell('packets', r.packets, fmt.integer, 'packets'),
    timeCell('start', r.start_time, r.start_ns),
    timeCell('end', r.end_time, r.end_ns),
    rangeCell('total_ns', r.total_ns, fmt.duration, 'ns'),
    rangeCell('average_packet_size', r.average_packet_size, fmt.bytes, 'bytes'),
    handoutCell(r.handout));
  return tr;
}

export class SweepView {
  constructor(root, { announce }) {
    this.root = root;
    this.el = (id) => root.querySelector(`#${id}`);
    this.announce = announce;
    this.chart = null;
    this.sweep = null;
    this.controller = null;
    this.el('sweep-png').addEventListener('click', () => this.savePng());
    this.el('sweep-print').addEventListener('click', () => window.print());
    // The figure is redrawn for the printed page's width, and back.
    const redraw = () => { if (this.chart) this.chart.resize(); };
    window.matchMedia('print').addEventListener('change', redraw);
    window.addEventListener('beforeprint', redraw);
    window.addEventListener('afterprint', redraw);
    for (const [id, what] of [['sweep-csv', 'The table'], ['sweep-svg', 'The figure'], ['sweep-html', 'The printable page']]) {
      this.el(id).addEventListener('click', (e) => {
        if (!api.hasToken() || !this.sweep) return; // the plain link will do
        e.preventDefault();
        const link = this.el(id);
        api.download(link.getAttribute('href'), link.dataset.file || link.getAttribute('download'), what)
          .catch((err) => this.showError(err.message));
      });
    }
  }

  showError(message) {
    const box = this.el('sweep-error');
    box.textContent = message;
    box.hidden = !message;
  }

  close() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  async open(id) {
    this.close();
    this.controller = new AbortController();
    const { signal } = this.controller;
    this.sweep = null;
    delete this.root.dataset.renderedSweep;
    this.el('sweep-title').textContent = `Sweep ${id}`;
    this.el('sweep-subtitle').textContent = '';
    this.el('sweep-body').hidden = true;
    this.el('sweep-progress').replaceChildren();
    this.el('sweep-progress').hidden = true;
    this.showError('');
    try {
      let sweep = await api.getSweep(id, signal);
      const open = (sweep.runs || []).filter((r) => r.status !== 'done' && r.status !== 'failed');
      if (open.length) {
        await Promise.all(open.map((r) => follow(this.el('sweep-progress'), r.id, fmt.bytes(r.size), signal)));
        sweep = await api.getSweep(id, signal);
      }
      if (signal.aborted) return;
      this.el('sweep-progress').hidden = true;
      this.render(sweep);
    } catch (err) {
      if (err.name === 'AbortError') return;
      this.showError(err.status === 404 ? `There is no sweep ${id}.` : err.message);
    }
  }

  render(sweep) {
    this.sweep = sweep;
    const p = sweep.params || {};
    const table = sweep.table || [];
    this.el('sweep-title').textContent = `Sweep ${sweep.id}: the lab's report`;
    const when = sweep.created_time ? `${fmt.exactTime(sweep.created_time)} UTC` : fmt.clock(sweep.created_ns);
    this.el('sweep-subtitle').textContent = [`${(p.sizes || table.map((r) => r.size_text)).join(', ')}`,
      `${p.repeat ?? '?'} repeat${p.repeat === 1 ? '' : 's'} each`, settingsText(p), when].filter(Boolean).join(' · ');
    const badge = this.el('sweep-status');
    badge.textContent = sweep.status || '';
    badge.className = `badge status-${sweep.status}`;
    const links = sweep.links || {};
    for (const [id, link, name] of [['sweep-csv', links.csv, `wiremeter-sweep-${sweep.id}.csv`],
      ['sweep-svg', links.svg, `wiremeter-sweep-${sweep.id}-figure1.svg`]]) {
      const a = this.el(id);
      a.hidden = !link;
      if (link) {
        a.href = link;
        a.setAttribute('download', name);
      }
    }
    const html = this.el('sweep-html');
    html.hidden = !links.html;
    if (links.html) {
      html.href = links.html;
      html.dataset.file = `wiremeter-sweep-${sweep.id}.html`; // saved, with a token: a link cannot send it
    }
    const first = table.find((r) => r.start_time && r.start_time.min);
    this.el('report-date').textContent = first ? `(${dateOf(first.start_time.min)}, UTC)` : '';
    this.el('report-table').querySelector('tbody').replaceChildren(...table.map(reportRow));
    this.el('report-note').textContent = 'Handout: the lab\'s own figures (another machine, another program), '
      + 'for comparison. Start and end: the first and last packet\'s capture time, to the nanosecond.';
    this.el('sweep-body').hidden = false;
    document.title = `Sweep ${sweep.id} · wiremeter`;
    const note = this.el('figure-note');
    if (!chartAvailable()) {
      note.textContent = 'Chart.js is not available at /vendor/chart.js, so Figure 1 cannot be drawn here.';
    } else {
      this.chart = drawFigure1(this.el('chart-figure1'), table, this.chart);
      note.textContent = '';
    }
    this.root.dataset.renderedSweep = String(sweep.id);
    this.announce(`Sweep ${sweep.id} loaded: ${table.length} sizes.`);
  }

  // The figure as drawn, on white (the canvas itself is transparent).
  savePng() {
    if (!this.chart) return;
    const src = this.el('chart-figure1');
    const out = document.createElement('canvas');
    out.width = src.width;
    out.height = src.height;
    const ctx = out.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(src, 0, 0);
    out.toBlob((blob) => api.saveBlob(blob, `wiremeter-sweep-${this.sweep.id}-figure1.png`), 'image/png');
  }
}

// The list of sweeps at #/sweeps, newest first, a page at a time.
export class SweepList {
  constructor(root) {
    this.root = root;
    this.tbody = root.querySelector('#sweeps-table tbody');
    this.more = root.querySelector('#sweeps-more');
    this.error = root.querySelector('#sweeps-error');
    this.next = null;
    this.more.addEventListener('click', () => this.load(true));
  }

  row(s) {
    const tr = document.createElement('tr');
    tr.dataset.sweepId = String(s.id);
    const p = s.params || {};
    const first = node('td');
    first.dataset.label = 'Sweep';
    const link = node('a', '', `Sweep ${s.id}`);
    link.href = `#/sweeps/${s.id}`;
    first.appendChild(link);
    const cells = [['Sizes', (p.sizes || []).join(', ')], ['Repeats', String(p.repeat ?? '—')],
      ['Settings', settingsText(p)], ['Status', s.status || '']];
    const tds = cells.map(([label, text]) => {
      const td = node('td', label === 'Repeats' ? 'num' : '', text);
      td.dataset.label = label;
      return td;
    });
    const when = node('td');
    when.dataset.label = 'Time';
    const time = node('time', '', s.created_time ? `${fmt.exactTime(s.created_time)} UTC` : fmt.clock(s.created_ns));
    if (s.created_time) time.dateTime = s.created_time;
    when.appendChild(time);
    tr.append(first, ...tds, when);
    tr.addEventListener('click', (e) => {
      if (!e.target.closest('a')) window.location.hash = `#/sweeps/${s.id}`;
    });
    return tr;
  }

  async load(append = false) {
    this.error.hidden = true;
    let page;
    try {
      page = await api.listSweeps(20, append ? this.next : undefined);
    } catch (err) {
      this.error.textContent = `The sweeps could not be read: ${err.message}`;
      this.error.hidden = false;
      return;
    }
    const rows = page.sweeps.map((s) => this.row(s));
    if (append) this.tbody.append(...rows);
    else this.tbody.replaceChildren(...rows);
    this.next = page.next;
    this.more.hidden = this.next === null;
    const any = this.tbody.children.length > 0;
    this.root.querySelector('#sweeps-empty').hidden = any;
    this.root.querySelector('#sweeps-table').hidden = !any;
    this.root.dataset.loaded = 'true';
  }
}
