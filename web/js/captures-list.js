// captures-list: the uploaded captures from GET /captures, newest first,
// beside the runs' history and paged as it is ("More" follows
// next_before). A row opens its capture; its Delete asks first and sends
// the token when the daemon has one, as a run's does.

import * as api from './api.js';
import * as fmt from './format.js';
import { statusBadge } from './history.js';

const PAGE = 20;

function td(label, text, className, exact, unit) {
  const cell = document.createElement('td');
  cell.dataset.label = label;
  if (className) cell.className = className;
  fmt.setValue(cell, text, exact, unit);
  return cell;
}

export class CaptureList {
  constructor(root, { onOpen, confirmDelete, onDeleted }) {
    this.table = root.querySelector('#captures-table');
    this.tbody = this.table.querySelector('tbody');
    this.empty = root.querySelector('#captures-empty');
    this.more = root.querySelector('#captures-more');
    this.error = root.querySelector('#captures-error');
    this.onOpen = onOpen;
    this.confirmDelete = confirmDelete;
    this.onDeleted = onDeleted;
    this.next = null;
    this.more.addEventListener('click', () => this.load(true));
    this.tbody.addEventListener('click', (e) => {
      if (e.target.closest('a, button')) return;
      const tr = e.target.closest('tr[data-capture-id]');
      if (tr) this.onOpen(Number(tr.dataset.captureId));
    });
  }

  row(capture) {
    const tr = document.createElement('tr');
    tr.dataset.captureId = String(capture.id);
    tr.dataset.status = capture.status;
    const first = document.createElement('td');
    first.dataset.label = 'Capture';
    const link = document.createElement('a');
    link.href = `#/captures/${capture.id}`;
    link.textContent = `Capture ${capture.id}`;
    first.appendChild(link);
    if (capture.label) {
      const label = document.createElement('span');
      label.className = 'run-label';
      label.textContent = capture.label;
      first.append(' ', label);
    }
    const status = document.createElement('td');
    status.dataset.label = 'Status';
    status.appendChild(statusBadge(capture.status));
    const when = document.createElement('td');
    when.dataset.label = 'Uploaded';
    const time = document.createElement('time');
    time.dateTime = capture.created_time;
    time.title = `${fmt.exactTime(capture.created_time)} UTC`;
    time.textContent = fmt.ago(capture.created_ns);
    when.appendChild(time);
    const actions = document.createElement('td');
    actions.className = 'actions-cell';
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'button small quiet';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', `Delete capture ${capture.id}`);
    del.addEventListener('click', () => this.remove(capture.id, tr));
    actions.appendChild(del);
    tr.append(first, td('File size', fmt.bytes(capture.size_bytes), 'num col-size', capture.size_bytes, 'bytes'),
      status, when, actions);
    return tr;
  }

  // Loads the first page again, or the next one when append is true.
  async load(append = false) {
    this.error.hidden = true;
    this.more.disabled = true;
    let page;
    try {
      page = await api.listCaptures(PAGE, append ? this.next : undefined);
    } catch (err) {
      this.error.textContent = `The captures could not be listed: ${err.message}`;
      this.error.hidden = false;
      this.more.disabled = false;
      return;
    }
    const rows = page.captures.map((c) => this.row(c));
    if (append) this.tbody.append(...rows);
    else this.tbody.replaceChildren(...rows);
    this.next = page.next;
    this.more.hidden = this.next === null;
    this.more.disabled = false;
    const any = this.tbody.children.length > 0;
    this.empty.hidden = any;
    this.table.hidden = !any;
  }

  async remove(id, tr) {
    if (!(await this.confirmDelete(id))) return;
    try {
      await api.deleteCapture(id);
    } catch (err) {
      this.error.textContent = `Capture ${id} could not be deleted: ${err.message}`;
      this.error.hidden = false;
      return;
    }
    const next = tr.nextElementSibling || tr.previousElementSibling;
    tr.remove();
    const any = this.tbody.children.length > 0;
    this.empty.hidden = any;
    this.table.hidden = !any;
    if (next) next.querySelector('button').focus();
    this.onDeleted(id);
  }
}
