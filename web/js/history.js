// history: the table of runs from GET /runs, newest first, a page at a
// time ("More" follows the next_before cursor). A row opens its run on a
// click; its link does the same for the keyboard; its Delete button asks
// first. Each figure keeps the API's exact value in data-value.

import * as api from './api.js';
import * as fmt from './format.js';
import { runAveragePacket, runPackets, runSize, runSizeText, runTotalNs, settingsText } from './model.js';

const PAGE = 20;

function td(label, text, className, exact, unit) {
  const cell = document.createElement('td');
  cell.dataset.label = label;
  if (className) cell.className = className;
  fmt.setValue(cell, text, exact, unit);
  return cell;
}

export function statusBadge(status) {
  const badge = document.createElement('span');
  badge.className = `badge status-${status}`;
  badge.textContent = status;
  return badge;
}

export class History {
  constructor(root, { onOpen, confirmDelete, onDeleted, announce }) {
    this.table = root.querySelector('#history-table');
    this.tbody = this.table.querySelector('tbody');
    this.empty = root.querySelector('#history-empty');
    this.more = root.querySelector('#more-button');
    this.error = root.querySelector('#history-error');
    this.onOpen = onOpen;
    this.confirmDelete = confirmDelete;
    this.onDeleted = onDeleted;
    this.announce = announce;
    this.next = null;
    this.more.addEventListener('click', () => this.load(true));
    this.tbody.addEventListener('click', (e) => {
      if (e.target.closest('a, button, input')) return;
      const tr = e.target.closest('tr[data-run-id]');
      if (tr) this.onOpen(Number(tr.dataset.runId));
    });
  }

  row(run) {
    const tr = document.createElement('tr');
    tr.dataset.runId = String(run.id);
    tr.dataset.status = run.status;
    const first = document.createElement('td');
    first.dataset.label = 'Run';
    const link = document.createElement('a');
    link.href = `#/runs/${run.id}`;
    link.textContent = `Run ${run.id}`;
    if (run.status === 'done') {
      // Ticked for the compare view (compare.js's picker).
      const pick = document.createElement('input');
      pick.type = 'checkbox';
      pick.className = 'compare-pick';
      pick.value = String(run.id);
      pick.setAttribute('aria-label', `Compare run ${run.id}`);
      first.appendChild(pick);
    }
    first.appendChild(link);
    if (run.label) {
      const label = document.createElement('span');
      label.className = 'run-label';
      label.textContent = run.label;
      first.append(' ', label);
    }
    const size = runSize(run);
    const sizeCell = td('Size', fmt.bytes(size), 'col-size', size, 'bytes');
    if (run.params && run.params.direction === 'upload') sizeCell.append(' ↑');
    sizeCell.title = `${fmt.integer(size)} bytes (${runSizeText(run)}), ${run.params ? run.params.direction : ''}`;
    const status = document.createElement('td');
    status.dataset.label = 'Status';
    status.appendChild(statusBadge(run.status));
    if (run.status === 'failed' && run.error) status.title = run.error.message;
    const when = document.createElement('td');
    when.dataset.label = 'Time';
    const time = document.createElement('time');
    // The exact time, as the API wrote it (UTC, ns); a daemon without
    // created_time: the local clock to the second.
    time.dateTime = run.created_time || fmt.isoTime(run.created_ns);
    time.title = run.created_time ? `${fmt.exactTime(run.created_time)} UTC` : fmt.clock(run.created_ns);
    time.textContent = fmt.ago(run.created_ns);
    when.appendChild(time);
    const actions = document.createElement('td');
    actions.className = 'actions-cell';
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'button small quiet';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', `Delete run ${run.id}`);
    del.addEventListener('click', () => this.remove(run.id, tr));
    actions.appendChild(del);
    const packets = runPackets(run);
    const total = runTotalNs(run);
    const avg = runAveragePacket(run);
    const settings = td('Settings', settingsText(run.params), 'col-settings');
    tr.append(first, sizeCell, settings,
      td('Packets', fmt.integer(packets), 'num col-packets', packets, 'packets'),
      td('Total time', fmt.duration(total), 'num col-total', total, 'ns'),
      td('Avg packet', fmt.bytes(avg), 'num col-avg', avg, 'bytes'),
      status, when, actions);
    return tr;
  }

  // Loads the first page again, or the next one when append is true.
  async load(append = false) {
    this.error.hidden = true;
    this.more.disabled = true;
    let page;
    try {
      page = await api.listRuns(PAGE, append ? this.next : undefined);
    } catch (err) {
      this.error.textContent = `The history could not be read: ${err.message}`;
      this.error.hidden = false;
      this.more.disabled = false;
      return;
    }
    const rows = page.runs.map((run) => this.row(run));
    if (append) this.tbody.append(...rows);
    else this.tbody.replaceChildren(...rows);
    this.next = page.next;
    this.more.hidden = this.next === null;
    this.more.disabled = false;
    this.showEmpty();
    if (append) this.announce(`${rows.length} more runs listed.`);
  }

  showEmpty() {
    const any = this.tbody.children.length > 0;
    this.empty.hidden = any;
    this.table.hidden = !any;
  }

  async remove(id, tr) {
    if (!(await this.confirmDelete(id))) return;
    try {
      await api.deleteRun(id);
    } catch (err) {
      this.error.textContent = `Run ${id} could not be deleted: ${err.message}`;
      this.error.hidden = false;
      return;
    }
    // Keep the keyboard on the table: the next row's Delete, else the "more".
    const next = tr.nextElementSibling || tr.previousElementSibling;
    tr.remove();
    this.showEmpty();
    if (next) next.querySelector('button').focus();
    this.onDeleted(id);
  }
}
