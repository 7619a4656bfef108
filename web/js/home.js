// home: the page at #/ — the run form, the lab's tables (medians per size,
// one table per group of runs with the same settings), the two charts of
// the lab's Figure 1 and the history. The tables and charts are drawn from
// the newest CHART_RUNS runs: the medians (the tables and the charts'
// lines) as GET /lab computed them per group — never across settings —
// and the charts' points from the runs of the group shown; the history
// lists the runs a page at a time with their settings.

import * as api from './api.js';
import * as fmt from './format.js';
import { LabCharts, chartAvailable } from './charts.js';
import { History } from './history.js';
import { RunForm } from './run-form.js';
import { PathForm } from './path-form.js';
import { runPackets, runSize, runTotalNs, settingsText } from './model.js';

const CHART_RUNS = 1000; // GET /lab's largest limit too
const LIST_PAGE = 200;   // the daemon's largest page of GET /runs
const LAB_BYTES = new Set([13, 2000, 439000, 1000000]); // the handout's sizes

// The groups of GET /lab: [{settings, key, runs, table}]. A daemon without
// groups answers one table; it is shown as one group.
function labGroups(lab) {
  if (Array.isArray(lab.groups)) return lab.groups;
  return lab.table && lab.table.length ? [{ settings: null, key: '', runs: lab.runs, table: lab.table }] : [];
}

// A run belongs to a group when each of the group's settings is the run's.
function inGroup(run, group) {
  if (!group.settings) return true;
  const p = run.params || {};
  return Object.entries(group.settings).every(([k, v]) => p[k] === v);
}

function cell(text, className, exact, unit) {
  const td = document.createElement('td');
  if (className) td.className = className;
  fmt.setValue(td, text, exact, unit);
  return td;
}

export class Home {
  constructor(root, { onOpen, onSweep, confirmDelete, announce }) {
    this.root = root;
    this.announce = announce;
    this.charts = null;
    this.groups = [];
    this.done = [];
    this.chartNote = root.querySelector('#charts-note');
    this.groupSelect = root.querySelector('#chart-group');
    this.labOnly = root.querySelector('#chart-lab-only');
    this.groupSelect.addEventListener('change', () => this.drawCharts());
    this.labOnly.addEventListener('change', () => this.drawCharts());
    this.form = new RunForm(root, {
      onRunDone: (run) => onOpen(run.id),
      onSweepDone: onSweep,
      onBatchDone: () => this.refresh(),
      announce,
    });
    this.form.ready.then(() => { this.pathForm = new PathForm(root, this.form); });
    this.history = new History(root, {
      onOpen,
      confirmDelete,
      onDeleted: (id) => {
        announce(`Run ${id} deleted.`);
        this.refreshFigures();
      },
      announce,
    });
    root.querySelector('#refresh-button').addEventListener('click', () => this.refresh());
  }

  // The newest CHART_RUNS runs, for the tables and charts.
  async recentRuns() {
    const runs = [];
    let before;
    while (runs.length < CHART_RUNS) {
      const page = await api.listRuns(LIST_PAGE, before);
      runs.push(...page.runs);
      if (page.next === null) break;
      before = page.next;
    }
    return runs;
  }

  // One table per group of GET /lab, by size; each figure its median.
  labTable(group, index) {
    const wrap = document.createElement('div');
    wrap.className = 'table-wrap lab-group';
    wrap.dataset.key = group.key;
    const table = document.createElement('table');
    table.className = 'data-table lab-table';
    const caption = document.createElement('caption');
    caption.className = 'lab-caption';
    const what = group.settings ? settingsText(group.settings) || 'the defaults' : 'all runs';
    caption.textContent = `Settings ${index + 1}: ${what} · ${group.runs} run${group.runs === 1 ? '' : 's'}`;
    const head = document.createElement('thead');
    head.innerHTML = '<tr><th scope="col">Size</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Packets</th>'
      + '<th scope="col" class="num">Total time</th><th scope="col" class="num">Avg packet</th></tr>';
    const tbody = document.createElement('tbody');
    tbody.append(...group.table.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.size = String(r.size);
      const th = document.createElement('th');
      th.scope = 'row';
      fmt.setValue(th, fmt.bytes(r.size), r.size, 'bytes');
      const packets = r.packets.median;
      const totalNs = r.total_ns.median;
      const average = r.average_packet_size.median;
      tr.append(th, cell(String(r.runs), 'num'),
        cell(fmt.integer(packets), 'num', packets, 'packets'),
        cell(fmt.duration(totalNs), 'num', totalNs, 'ns'),
        cell(fmt.bytes(average), 'num', average, 'bytes'));
      return tr;
    }));
    table.append(caption, head, tbody);
    wrap.appendChild(table);
    return wrap;
  }

  drawLabTables(groups) {
    this.root.querySelector('#lab-groups').replaceChildren(...groups.map((g, i) => this.labTable(g, i)));
    this.root.querySelector('#lab-empty').hidden = groups.length > 0;
  }

  async refreshFigures() {
    let runs;
    let lab;
    try {
      [runs, lab] = await Promise.all([this.recentRuns(), api.getLab(CHART_RUNS)]);
    } catch (err) {
      this.chartNote.textContent = `The runs could not be read: ${err.message}`;
      return;
    }
    this.done = runs.filter((r) => r.status === 'done');
    const previous = this.groups[this.groupSelect.selectedIndex];
    this.groups = labGroups(lab);
    this.drawLabTables(this.groups);
    this.groupSelect.replaceChildren(...this.groups.map((g, i) => {
      const option = document.createElement('option');
      option.value = String(i);
      option.textContent = `Settings ${i + 1}: ${g.settings ? settingsText(g.settings) || 'the defaults' : 'all runs'}`;
      return option;
    }));
    // The same group as before, else the one with the most runs.
    const keep = previous ? this.groups.findIndex((g) => g.key === previous.key) : -1;
    const most = this.groups.reduce((best, g, i) => (g.runs > this.groups[best].runs ? i : best), 0);
    this.groupSelect.selectedIndex = keep >= 0 ? keep : most;
    this.groupSelect.disabled = this.groups.length < 2;
    this.drawCharts();
  }

  // The charts of the chosen group, the lab's sizes only when asked: the
  // axes scale to what is drawn, so a 1 GiB run elsewhere cannot squash
  // the lab's four sizes.
  drawCharts() {
    if (!chartAvailable()) {
      this.chartNote.textContent = 'Chart.js is not available at /vendor/chart.js (install libjs-chart.js), '
        + 'so the charts cannot be drawn.';
      return;
    }
    if (!this.charts) {
      this.charts = new LabCharts(this.root.querySelector('#chart-packets'),
        this.root.querySelector('#chart-time'), (id) => { window.location.hash = `#/runs/${id}`; });
    }
    const group = this.groups[this.groupSelect.selectedIndex];
    const shown = (size) => !this.labOnly.checked || LAB_BYTES.has(size);
    const runs = group ? this.done.filter((r) => inGroup(r, group) && shown(runSize(r))) : [];
    const rows = group ? group.table.filter((r) => shown(r.size)) : [];
    const drawn = this.charts.update(runs, rows, { size: runSize, packets: runPackets, totalNs: runTotalNs });
    const n = drawn.packets.points.length;
    const sizes = drawn.packets.medians.length;
    this.chartNote.textContent = n
      ? `${n} finished run${n === 1 ? '' : 's'} of ${sizes} size${sizes === 1 ? '' : 's'}, settings ${this.groupSelect.selectedIndex + 1}.`
      : 'No finished runs to draw: start one above, or the lab sweep.';
    this.root.dataset.chartRuns = String(n);
  }

  refresh() {
    return Promise.all([this.history.load(), this.refreshFigures()]);
  }
}
