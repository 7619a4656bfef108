// packets: the run's packet list, a page at a time from GET
// /runs/{id}/packets, laid out like Wireshark's (No., Time, Source,
// Destination, Length, Info), with handshake and closure rows marked. Also
// fetches the whole list for the time–sequence graph, up to a limit.

import * as api from './api.js';
import * as fmt from './format.js';
import { TERMS, term } from './glossary.js';

// An analysis mark ("duplicate_ack") as the glossary's term for it.
function markTerm(mark) {
  const text = mark.replaceAll('_', ' ').replace(/\back\b/, 'ACK');
  const key = Object.keys(TERMS).find((k) => k.toLowerCase() === text.toLowerCase());
  return key ? term(key, text) : document.createTextNode(text);
}

export const PAGE_SIZE = 50;
const BULK_PAGE = 5000;
const BULK_MAX = 20000;

function address(ip, port) {
  return ip && ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function cell(text, className, exact) {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.textContent = text;
  if (exact !== undefined) {
    td.dataset.value = String(exact);
    td.title = String(exact);
  }
  return td;
}

function packetRow(p) {
  const tr = document.createElement('tr');
  tr.dataset.role = p.role || '';
  tr.dataset.no = String(p.no);
  if (p.role === 'handshake' || p.role === 'closure') tr.classList.add(`row-${p.role}`);
  if (p.analysis && p.analysis.length) tr.classList.add('row-analysis');
  const no = cell(String(p.no), 'num');
  if (p.role === 'handshake' || p.role === 'closure') {
    const mark = document.createElement('span');
    mark.className = 'visually-hidden';
    mark.textContent = ` (${p.role})`;
    no.appendChild(mark);
  }
  const info = cell(p.info || '', 'info');
  if (p.analysis && p.analysis.length) {
    const tag = document.createElement('span');
    tag.className = 'tag warn';
    p.analysis.forEach((mark, i) => tag.append(...(i ? [', '] : []), markTerm(mark)));
    info.prepend(tag, ' ');
  }
  tr.append(no, cell(fmt.seconds6(p.time_ns), 'num mono', p.time_ns),
    cell(address(p.source, p.source_port), 'mono col-addr'), cell(address(p.destination, p.destination_port), 'mono col-addr'),
    cell(fmt.integer(p.length), 'num', p.length), cell(p.flags || '', 'flags'), info);
  return tr;
}

// prefix: of the table's and pager's ids ('' for a run's, 'cap-' for a
// capture's), so that two views can each have one.
export class PacketList {
  constructor(root, onError, prefix = '') {
    this.tbody = root.querySelector(`#${prefix}packet-table tbody`);
    this.prev = root.querySelector(`#${prefix}page-prev`);
    this.next = root.querySelector(`#${prefix}page-next`);
    this.info = root.querySelector(`#${prefix}page-info`);
    this.onError = onError;
    this.prev.addEventListener('click', () => this.show(this.offset - PAGE_SIZE));
    this.next.addEventListener('click', () => this.show(this.offset + PAGE_SIZE));
    this.runId = null;
  }

  // fetchPage(offset, limit): one page of what is listed; a run's by
  // default.
  open(runId, total, fetchPage = (offset, limit) => api.getPackets(runId, offset, limit)) {
    this.runId = runId;
    this.total = total;
    this.fetchPage = fetchPage;
    return this.show(0);
  }

  async show(offset) {
    const runId = this.runId;
    this.offset = Math.max(0, offset);
    let page;
    try {
      page = await this.fetchPage(this.offset, PAGE_SIZE);
    } catch (err) {
      this.onError(err);
      return;
    }
    if (runId !== this.runId) return; // another run was opened meanwhile
    this.total = page.total;
    this.tbody.replaceChildren(...page.packets.map(packetRow));
    const last = this.offset + page.packets.length;
    const total = this.total;
    this.info.textContent = total
      ? `Packets ${fmt.integer(this.offset + 1)}–${fmt.integer(last)} of ${fmt.integer(total)}`
      : 'No packets';
    this.prev.disabled = this.offset === 0;
    this.next.disabled = last >= total;
  }
}

// Every packet of a run (for the graph), at most BULK_MAX, in pages of
// BULK_PAGE (the daemon allows up to 10000 a page); returns {packets,
// truncated}. fetchPage(offset, limit, signal): as PacketList.open's.
export async function fetchAll(runId, signal,
  fetchPage = (offset, limit, sig) => api.getPackets(runId, offset, limit, sig)) {
  const packets = [];
  while (packets.length < BULK_MAX) {
    const page = await fetchPage(packets.length, BULK_PAGE, signal);
    packets.push(...page.packets);
    if (!page.packets.length || packets.length >= page.total) return { packets, truncated: false };
  }
  return { packets, truncated: true };
}
