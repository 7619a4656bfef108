// home: the page at #/ — the run form, the lab's tables (medians per size),
// the two charts of the lab's Figure 1 and the history. The tables and
// charts are drawn from the newest CHART_RUNS runs: the medians (the table
// and the charts' lines) as GET /lab computed them, the charts' points from
// the runs themselves; the history lists the runs a page at a time.

import * as api from './api.js';
import * as fmt from './format.js';
import { LabCharts, chartAvailable } from './charts.js';
import { History } from './history.js';
import { RunForm } from './run-form.js';
import { runPackets, runSize, runTotalNs } from './model.js';

const CHART_RUNS = 1000; // GET /lab's largest limit too
const LIST_PAGE = 200;   // the daemon's largest page of GET /runs

function cell(text, className, exact, unit) {
  const td = document.createElement('td');
  if (className) td.className = className;
  fmt.setValue(td, text, exact, unit);
  return td;
}

export class Home {
  constructor(root, { onOpen, confirmDelete, announce }) {
    this.root = root;
    this.announce = announce;
    this.charts = null;
    this.chartNote = root.querySelector('#charts-note');
    this.form = new RunForm(root, {
      onRunDone: (run) => onOpen(run.id),
      onBatchDone: () => this.refresh(),
      announce,
    });
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

  // rows: GET /lab's table, by size; each figure shown is its median.
  drawLabTable(rows) {
    const tbody = this.root.querySelector('#lab-table tbody');
    tbody.replaceChildren(...rows.map((r) => {
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
    this.root.querySelector('#lab-table').hidden = rows.length === 0;
    this.root.querySelector('#lab-empty').hidden = rows.length > 0;
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
    const done = runs.filter((r) => r.status === 'done');
    this.drawLabTable(lab.table);
    if (!chartAvailable()) {
      this.chartNote.textContent = 'Chart.js is not available at /vendor/chart.js (install libjs-chart.js), '
        + 'so the charts cannot be drawn.';
      return;
    }
    if (!this.charts) {
      this.charts = new LabCharts(this.root.querySelector('#chart-packets'),
        this.root.querySelector('#chart-time'), (id) => { window.location.hash = `#/runs/${id}`; });
    }
    const drawn = this.charts.update(done, lab.table, { size: runSize, packets: runPackets, totalNs: runTotalNs });
    const n = drawn.packets.points.length;
    this.chartNote.textContent = n
      ? `${n} finished run${n === 1 ? '' : 's'} of ${drawn.packets.medians.length} size${drawn.packets.medians.length === 1 ? '' : 's'}.`
      : 'No finished runs yet: start one above, or the lab sweep.';
    this.root.dataset.chartRuns = String(n);
  }

  refresh() {
    return Promise.all([this.history.load(), this.refreshFigures()]);
  }
}
