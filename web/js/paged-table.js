// paged-table: what the runs' history (history.js) and the uploaded
// captures' list (captures-list.js) share, so that both page, open and
// delete the same way: a table filled from a GET that pages newest first
// ("More" follows its next_before cursor), a row that opens its item on a
// click (its link does the same for the keyboard), a Delete button per
// row that asks first, and the cells both draw alike (the name and label,
// the status badge, the time). A subclass says what differs:
// fetchPage(before), the page before the cursor (undefined: the first) as
// { items, next }; deleteItem(id); and cells(item), the row's cells in the
// table's order without the Delete button (row() adds it last).

import * as fmt from './format.js';

export const PAGE = 20;

export function td(label, text, className, exact, unit) {
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

export class PagedTable {
  // ids: the table's, the empty note's, the More button's and the error
  // box's; noun: what a row is ("Run", "Capture"), for its texts; key:
  // the row's data-* attribute of the id, as dataset names it ("runId");
  // listError: what failed when a page could not be read.
  constructor(root, { ids, noun, key, listError, onOpen, confirmDelete, onDeleted, announce }) {
    this.table = root.querySelector(`#${ids.table}`);
    this.tbody = this.table.querySelector('tbody');
    this.empty = root.querySelector(`#${ids.empty}`);
    this.more = root.querySelector(`#${ids.more}`);
    this.error = root.querySelector(`#${ids.error}`);
    this.noun = noun;
    this.key = key;
    this.listError = listError;
    this.onOpen = onOpen;
    this.confirmDelete = confirmDelete;
    this.onDeleted = onDeleted;
    this.announce = announce;
    this.next = null;
    const attribute = `data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    this.more.addEventListener('click', () => this.load(true));
    this.tbody.addEventListener('click', (e) => {
      if (e.target.closest('a, button, input')) return;
      const tr = e.target.closest(`tr[${attribute}]`);
      if (tr) this.onOpen(Number(tr.dataset[key]));
    });
  }

  row(item) {
    const tr = document.createElement('tr');
    tr.dataset[this.key] = String(item.id);
    tr.dataset.status = item.status;
    tr.append(...this.cells(item), this.deleteCell(item.id, tr));
    return tr;
  }

  // "Run 7" linking to href, then the item's label if it has one; before:
  // nodes ahead of the link.
  nameCell(item, href, ...before) {
    const first = document.createElement('td');
    first.dataset.label = this.noun;
    const link = document.createElement('a');
    link.href = href;
    link.textContent = `${this.noun} ${item.id}`;
    first.append(...before, link);
    if (item.label) {
      const label = document.createElement('span');
      label.className = 'run-label';
      label.textContent = item.label;
      first.append(' ', label);
    }
    return first;
  }

  statusCell(item) {
    const status = document.createElement('td');
    status.dataset.label = 'Status';
    status.appendChild(statusBadge(item.status));
    return status;
  }

  timeCell(label, item) {
    const when = document.createElement('td');
    when.dataset.label = label;
    const time = document.createElement('time');
    // The exact time, as the API wrote it (UTC, ns); a daemon without
    // created_time: the local clock to the second.
    time.dateTime = item.created_time || fmt.isoTime(item.created_ns);
    time.title = item.created_time ? `${fmt.exactTime(item.created_time)} UTC` : fmt.clock(item.created_ns);
    time.textContent = fmt.ago(item.created_ns);
    when.appendChild(time);
    return when;
  }

  deleteCell(id, tr) {
    const actions = document.createElement('td');
    actions.className = 'actions-cell';
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'button small quiet';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', `Delete ${this.noun.toLowerCase()} ${id}`);
    del.addEventListener('click', () => this.remove(id, tr));
    actions.appendChild(del);
    return actions;
  }

  // Loads the first page again, or the next one when append is true.
  async load(append = false) {
    this.error.hidden = true;
    this.more.disabled = true;
    let page;
    try {
      page = await this.fetchPage(append ? this.next : undefined);
    } catch (err) {
      this.error.textContent = `${this.listError}: ${err.message}`;
      this.error.hidden = false;
      this.more.disabled = false;
      return;
    }
    const rows = page.items.map((item) => this.row(item));
    if (append) this.tbody.append(...rows);
    else this.tbody.replaceChildren(...rows);
    this.next = page.next;
    this.more.hidden = this.next === null;
    this.more.disabled = false;
    this.showEmpty();
    if (append && this.announce) this.announce(`${rows.length} more ${this.noun.toLowerCase()}s listed.`);
  }

  showEmpty() {
    const any = this.tbody.children.length > 0;
    this.empty.hidden = any;
    this.table.hidden = !any;
  }

  async remove(id, tr) {
    if (!(await this.confirmDelete(id))) return;
    try {
      await this.deleteItem(id);
    } catch (err) {
      this.error.textContent = `${this.noun} ${id} could not be deleted: ${err.message}`;
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
