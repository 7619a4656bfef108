// compare: two to four runs side by side at #/compare?runs=a,b,c — their
// settings in one table (the rows that differ marked), a few result
// figures, and their time series overlaid on the same graphs
// (series-charts.js), one colour per run, each named by what sets it apart
// ("Run 7 · congestion cubic" against "Run 8 · congestion reno"). Also the
// history's picker: tick 2 to 4 runs, then "Compare".

import * as api from './api.js';
import * as fmt from './format.js';
import { chartAvailable } from './charts.js';
import { SeriesCharts } from './series-charts.js';
import { isLinkSetting } from './model.js';

export const MIN_RUNS = 2;
export const MAX_RUNS = 4;
// One per run, told apart in colour and by colour-blind readers (blue,
// orange, green, purple differ in lightness too).
export const RUN_COLOURS = ['#2563eb', '#ea580c', '#15803d', '#7e22ce'];

// Never a difference worth a legend: the echo of the size and where the
// capture was taken.
const NOT_DISTINGUISHING = new Set(['size_text', 'interface']);

// The run ids of #/compare?runs=1,2: distinct positive integers, in order;
// null when there are fewer than 2 or more than 4, or one is not a number.
export function compareIds(hash) {
  const m = /^#\/compare\?(.*)$/.exec(hash);
  if (!m) return null;
  const text = new URLSearchParams(m[1]).get('runs') || '';
  const ids = [];
  for (const part of text.split(',')) {
    if (!/^\d+$/.test(part.trim())) return null;
    const id = Number(part.trim());
    if (!ids.includes(id)) ids.push(id);
  }
  return ids.length >= MIN_RUNS && ids.length <= MAX_RUNS ? ids : null;
}

export function compareHash(ids) {
  return `#/compare?runs=${ids.join(',')}`;
}

const SIZES = new Set(['chunk', 'sndbuf', 'rcvbuf', 'queue']);

function paramText(name, value) {
  if (value === null || value === undefined) return '—';
  if (value === '') return name === 'label' ? '—' : 'default';
  if (name === 'size') return `${fmt.bytes(value)}`;
  if (name === 'rate') return value ? fmt.bitrate(value) : 'unlimited';
  if (SIZES.has(name) && value) return fmt.bytes(value);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

// The names whose values are not all the same, in the params' order; a
// link's settings count only when a run is on a link (a loopback run
// carries their defaults).
export function differing(runs) {
  const names = [];
  for (const run of runs) for (const name of Object.keys(run.params || {})) if (!names.includes(name)) names.push(name);
  return names.filter((name) => {
    if (NOT_DISTINGUISHING.has(name)) return false;
    const values = runs.map((r) => JSON.stringify((r.params || {})[name] ?? null));
    return new Set(values).size > 1;
  });
}

// "Run 7 · congestion cubic": what sets a run apart from the others.
export function runName(run, names) {
  const p = run.params || {};
  const bits = names.filter((n) => p.path === 'link' || !isLinkSetting(n))
    .map((n) => (n === 'size' ? fmt.bytes(p.size) : `${n} ${paramText(n, p[n])}`));
  return [`Run ${run.id}`, ...bits].join(' · ');
}

function node(tag, attrs = {}, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// A few figures of each result, beside the settings.
const FIGURES = [
  ['packets', 'Packets', (r) => r.totals && r.totals.packets, fmt.integer],
  ['total_ns', 'Total time', (r) => r.timing && r.timing.total_ns, fmt.duration],
  ['throughput_bps', 'Throughput', (r) => r.timing && r.timing.throughput_bps, fmt.bitrate],
  ['retransmissions', 'Retransmissions', (r) => r.totals && r.totals.retransmissions, fmt.integer],
  ['lost_frames', 'Lost on the link (frames)', (r) => r.ends && r.ends.sender_to_receiver
    && r.ends.sender_to_receiver.lost_frames, fmt.integer],
];

export class CompareView {
  constructor(root) {
    this.root = root;
    this.el = (id) => root.querySelector(`#${id}`);
    this.charts = null;
    this.controller = null;
  }

  close() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  showError(message) {
    const box = this.el('compare-error');
    box.textContent = message;
    box.hidden = !message;
  }

  async open(ids) {
    this.close();
    this.controller = new AbortController();
    const { signal } = this.controller;
    delete this.root.dataset.renderedCompare;
    if (this.charts) this.charts.destroy();
    this.charts = null;
    this.el('compare-body').hidden = true;
    this.el('compare-title').textContent = 'Compare runs';
    this.el('compare-subtitle').textContent = '';
    this.showError('');
    if (!ids) {
      this.showError(`Give ${MIN_RUNS} to ${MAX_RUNS} run numbers: #/compare?runs=1,2. Tick them in the history.`);
      return;
    }
    document.title = `Runs ${ids.join(', ')} compared · wiremeter`;
    let runs;
    let docs;
    try {
      runs = await Promise.all(ids.map((id) => api.getRun(id, signal)));
      docs = await Promise.all(ids.map((id) => api.getSeries(id, signal).catch((err) => {
        if (err.name === 'AbortError') throw err;
        return null;
      })));
    } catch (err) {
      if (err.name !== 'AbortError') this.showError(err.message);
      return;
    }
    if (signal.aborted) return;
    this.render(runs, docs);
  }

  render(runs, docs) {
    const names = differing(runs);
    const labels = runs.map((run) => runName(run, names));
    this.el('compare-title').textContent = `Runs ${runs.map((r) => r.id).join(', ')} compared`;
    this.el('compare-subtitle').textContent = names.length
      ? `They differ in ${names.join(', ')}.`
      : 'Their settings are the same: what differs is the machine\'s noise.';
    this.el('compare-body').hidden = false;
    this.table(runs, names, labels);
    const legend = this.el('compare-legend');
    legend.replaceChildren(...runs.map((run, i) => {
      const li = node('li', { 'data-run': String(run.id) });
      const swatch = node('span', { class: 'run-swatch', 'aria-hidden': 'true' });
      swatch.style.background = RUN_COLOURS[i];
      const link = node('a', { href: `#/runs/${run.id}` }, labels[i]);
      li.append(swatch, link);
      return li;
    }));
    const drawn = runs.map((run, i) => ({ doc: docs[i], name: labels[i], colour: RUN_COLOURS[i], id: run.id }))
      .filter((r) => r.doc);
    const missing = runs.filter((run, i) => !docs[i]).map((run) => run.id);
    this.el('compare-note').textContent = missing.length
      ? `No time series for run ${missing.join(', ')} (a run from before the series, or one that failed).` : '';
    if (drawn.length && chartAvailable()) {
      this.charts = new SeriesCharts(this.el('compare-graphs'), drawn, { idPrefix: 'compare' });
    } else {
      this.el('compare-graphs').replaceChildren();
    }
    this.root.dataset.renderedCompare = runs.map((r) => r.id).join(',');
  }

  // Rows: every parameter, then the figures; a row whose values differ is
  // marked (class diff, and "differs" for screen readers).
  table(runs, names, labels) {
    const head = node('tr');
    head.append(node('th', { scope: 'col' }, 'Setting'));
    runs.forEach((run, i) => {
      const th = node('th', { scope: 'col', 'data-run': String(run.id) });
      const swatch = node('span', { class: 'run-swatch', 'aria-hidden': 'true' });
      swatch.style.background = RUN_COLOURS[i];
      th.append(swatch, node('a', { href: `#/runs/${run.id}`, title: labels[i] }, `Run ${run.id}`));
      head.appendChild(th);
    });
    const rows = [];
    const all = [];
    for (const run of runs) for (const name of Object.keys(run.params || {})) if (!all.includes(name)) all.push(name);
    for (const name of all) {
      const tr = node('tr', { 'data-param': name });
      const differs = names.includes(name);
      if (differs) tr.className = 'diff';
      const th = node('th', { scope: 'row' }, name);
      if (differs) th.append(node('span', { class: 'visually-hidden' }, ' (differs)'));
      tr.appendChild(th);
      for (const run of runs) {
        const value = (run.params || {})[name];
        const td = node('td', { 'data-value': JSON.stringify(value ?? null) }, paramText(name, value));
        tr.appendChild(td);
      }
      rows.push(tr);
    }
    for (const [key, label, of, format] of FIGURES) {
      const values = runs.map((run) => (run.result ? of(run.result) : null));
      if (values.every((v) => v === null || v === undefined)) continue;
      const tr = node('tr', { 'data-figure': key, class: 'figure-row' });
      tr.appendChild(node('th', { scope: 'row' }, label));
      for (const v of values) {
        const td = node('td', { class: 'num' });
        fmt.setValue(td, v === null || v === undefined ? '—' : format(v), v);
        tr.appendChild(td);
      }
      rows.push(tr);
    }
    const table = this.el('compare-table');
    table.querySelector('thead').replaceChildren(head);
    table.querySelector('tbody').replaceChildren(...rows);
  }
}

// The history's picker: a box per done run (history.js draws it), and the
// Compare link, shown for 2 to 4 ticked runs; a fifth box cannot be ticked.
export class ComparePicker {
  constructor(tbody, link) {
    this.tbody = tbody;
    this.link = link;
    tbody.addEventListener('change', (e) => {
      if (e.target.matches('input.compare-pick')) this.update();
    });
    // Rows are replaced when the history reloads: their boxes with them.
    new MutationObserver(() => this.update()).observe(tbody, { childList: true });
    this.update();
  }

  picked() {
    return [...this.tbody.querySelectorAll('input.compare-pick:checked')].map((box) => Number(box.value));
  }

  update() {
    const ids = this.picked();
    for (const box of this.tbody.querySelectorAll('input.compare-pick')) {
      box.disabled = !box.checked && ids.length >= MAX_RUNS;
    }
    this.link.hidden = ids.length < MIN_RUNS;
    this.link.textContent = `Compare ${ids.length} runs`;
    this.link.href = compareHash([...ids].sort((a, b) => a - b));
  }
}
