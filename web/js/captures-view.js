// captures-view: one uploaded capture at #/captures/{id} (and
// #/captures/{id}/connections/{n}): the file's facts, a picker of its TCP
// connections (the "main" one — most payload — chosen by default; a file
// of one connection opens straight on it), and for the chosen connection
// what a run view shows, drawn as it draws it (item-view.js,
// connection-parts.js): the lab's six answers, the cards, the ladder, the
// time–sequence graph, the totals and the packet list. Every figure keeps
// the API's exact value in data-value, as the run view does.

import * as api from './api.js';
import * as fmt from './format.js';
import { endpointText } from './format.js';
import { buildTotals, card, connectionCards, fact } from './connection-parts.js';
import { ItemView } from './item-view.js';

const LINKTYPES = { 0: 'BSD loopback', 1: 'Ethernet', 12: 'raw IP', 101: 'raw IP', 113: 'Linux cooked (SLL)', 228: 'raw IPv4', 229: 'raw IPv6', 276: 'Linux cooked v2 (SLL2)' };

function linktypeText(types) {
  return (types || []).map((t) => `${LINKTYPES[t] || 'link type'} (${t})`).join(', ') || '—';
}

// A connection's cards: what a run's are, without what only a run has
// (drops during capture, the integrity of its data), and its
// retransmissions instead.
function captureCards(conn) {
  const t = conn.totals || {};
  return [
    ...connectionCards(conn, `${fmt.bytes(t.payload_bytes)} payload`),
    card('retransmissions', 'Retransmissions', fmt.integer(t.retransmissions), t.retransmissions, 'packets',
      `${fmt.integer(t.duplicate_acks)} duplicate ACKs · ${fmt.integer(t.out_of_order)} out of order`),
  ];
}

export class CaptureView extends ItemView {
  constructor(root, { onDeleted, confirmDelete, announce }) {
    super(root, {
      ids: {
        title: 'cap-title', subtitle: 'cap-subtitle', status: 'cap-status', pcap: 'cap-pcap', delete: 'cap-delete',
        error: 'cap-error', body: 'cap-body', rawDetails: 'cap-raw-details', rawJson: 'cap-raw-json',
        answers: 'cap-answers', cards: 'cap-cards', ladder: 'cap-ladder', ladderFacts: 'cap-ladder-facts',
        closureWhy: 'cap-closure-why', totals: 'cap-totals-list', tsgChart: 'cap-chart-tsg', tsgNote: 'cap-tsg-note',
      },
      noun: 'Capture',
      failed: 'The analysis of this capture failed',
      missing: 'deleted, or never uploaded',
      packetPrefix: 'cap-',
      onDeleted,
      confirmDelete,
      announce,
    });
    this.chosen = null;
    this.el('cap-connections').addEventListener('change', (e) => {
      if (e.target.name === 'cap-conn' && this.item) {
        window.location.hash = `#/captures/${this.item.id}/connections/${e.target.value}`;
      }
    });
  }

  download(capture) {
    return api.downloadCapture(capture);
  }

  deleteItem(id) {
    return api.deleteCapture(id);
  }

  close() {
    super.close();
    this.item = null;
    this.chosen = null;
  }

  reset(id) {
    super.reset(id);
    this.el('cap-conn').hidden = true;
    delete this.root.dataset.renderedCapture;
    delete this.root.dataset.renderedConnection;
  }

  // n: the connection asked for in the address, or undefined for the
  // main one. The same capture again only changes the connection.
  async open(id, n) {
    if (this.item && this.item.id === id && this.controller) {
      await this.choose(n);
      return;
    }
    await super.open(id, n);
  }

  // The analysis runs apart from the upload: polled until it ends.
  async fetchFinal(id, signal) {
    let capture = await api.getCapture(id, signal);
    this.header(capture);
    while (capture.status !== 'done' && capture.status !== 'failed') {
      this.el('cap-subtitle').textContent = 'Analysing…';
      await new Promise((resolve) => { setTimeout(resolve, 500); });
      if (signal.aborted) break;
      capture = await api.getCapture(id, signal);
      this.header(capture);
    }
    return capture;
  }

  header(capture) {
    const bits = [];
    if (capture.label) bits.push(`“${capture.label}”`);
    bits.push(`${fmt.bytes(capture.size_bytes)} uploaded`);
    bits.push(`${fmt.exactTime(capture.created_time)} UTC`);
    this.showHeader(capture, {
      subtitle: bits.join(' · '),
      pcap: capture.links.pcap,
      fileName: api.captureFileName(capture),
      title: `Capture ${capture.id} · wiremeter`,
    });
  }

  async render(capture, signal, n) {
    this.renderFile(capture);
    await this.choose(n);
  }

  renderFile(capture) {
    const a = capture.analysis || {};
    const conns = a.connections || [];
    this.el('cap-body').hidden = false;
    const facts = [
      ...fact('Label', capture.label || '—'),
      ...fact('File size', `${fmt.integer(capture.size_bytes)} bytes`, capture.size_bytes),
      ...fact('Link types', linktypeText(a.linktypes || [a.linktype]), (a.linktypes || [a.linktype]).join(',')),
      ...fact('Frames', fmt.integer(a.frames), a.frames),
      ...fact('Not TCP / malformed', `${fmt.integer(a.not_tcp)} / ${fmt.integer(a.malformed)}`),
      ...fact('TCP connections', fmt.integer(conns.length), conns.length),
    ];
    this.el('cap-file-facts').replaceChildren(...facts);
    const stop = this.el('cap-read-error');
    stop.hidden = !a.read_error;
    if (a.read_error) {
      const r = a.read_error;
      stop.textContent = `Reading stopped before the end of the file (${r.kind === 'cut_short' ? 'cut short' : 'damaged'}), `
        + `after frame ${fmt.integer(r.after_frame)}, at byte ${fmt.integer(r.offset)}: ${r.reason}. `
        + 'What is shown is what could be read.';
    }
    const tbody = this.el('cap-connections').querySelector('tbody');
    tbody.replaceChildren(...conns.map((conn, i) => this.connectionRow(conn, i)));
    this.el('cap-connections-empty').hidden = conns.length > 0;
    this.el('cap-connections-wrap').hidden = conns.length === 0;
    this.el('cap-picker-intro').textContent = conns.length === 1
      ? 'The file holds one TCP connection: it is shown below.'
      : `Choose one of the ${fmt.integer(conns.length)} TCP connections; the main one (most payload) is marked.`
        + (a.connections_without_rows ? ` ${fmt.integer(a.connections_without_rows)} of them are summarised without their packets (too many to keep).` : '');
  }

  connectionRow(conn, i) {
    const c = conn.connection || {};
    const t = conn.totals || {};
    const tr = document.createElement('tr');
    tr.dataset.connection = String(i);
    if (conn.main) tr.classList.add('main-connection');
    const pick = document.createElement('td');
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'cap-conn';
    radio.value = String(i);
    radio.id = `cap-conn-${i}`;
    const label = document.createElement('label');
    label.htmlFor = radio.id;
    label.textContent = `#${i}`;
    pick.append(radio, ' ', label);
    if (conn.main) {
      const badge = document.createElement('span');
      badge.className = 'badge main-badge';
      badge.textContent = 'main';
      pick.append(' ', badge);
    }
    const cell = (text, cls, exact) => {
      const td = document.createElement('td');
      if (cls) td.className = cls;
      fmt.setValue(td, text, exact);
      return td;
    };
    tr.append(pick, cell(endpointText(c.client), 'mono'), cell(endpointText(c.server), 'mono'),
      cell(fmt.integer(t.packets), 'num', t.packets), cell(fmt.bytes(t.payload_bytes), 'num', t.payload_bytes));
    return tr;
  }

  async choose(n) {
    const conns = (this.item && this.item.analysis && this.item.analysis.connections) || [];
    if (!conns.length) return;
    let index = Number.isInteger(n) && n >= 0 && n < conns.length ? n : conns.findIndex((c) => c.main);
    if (index < 0) index = 0;
    if (Number.isInteger(n) && index !== n) this.showError(`This capture has no connection ${n}; showing the main one.`);
    const radio = this.el(`cap-conn-${index}`);
    radio.checked = true;
    if (this.chosen === index) return;
    this.chosen = index;
    await this.renderConnection(index);
  }

  async renderConnection(n) {
    const capture = this.item;
    const conn = capture.analysis.connections[n];
    const { signal } = this.controller;
    this.el('cap-conn').hidden = false;
    this.el('cap-conn-title').textContent = `Connection #${n}${conn.main ? ' (main)' : ''}: `
      + `${endpointText(conn.connection.client)} → ${endpointText(conn.connection.server)}`;
    const totals = buildTotals(conn);
    // A capture's frames are the file's (above), not the connection's.
    const at = totals.findIndex((node) => node.textContent === 'Captured / dropped');
    if (at >= 0) totals.splice(at, 2);
    this.drawConnection(conn,
      `Each answer is a field of analysis.connections[${n}] in GET /captures/${capture.id}, named beside it.`,
      captureCards(conn), totals);
    this.el('cap-rows-note').hidden = conn.rows_kept !== false;
    const fetchPage = (offset, limit, sig) => api.getCapturePackets(capture.id, n, offset, limit, sig);
    const key = `${capture.id}/${n}`;
    const listed = this.packets.open(key, conn.totals && conn.totals.packets, fetchPage);
    const graphed = this.drawGraph(key, signal, fetchPage, 'No packet rows were kept for this connection.');
    await Promise.all([listed, graphed]);
    if (signal.aborted || this.chosen !== n) return;
    this.root.dataset.renderedCapture = String(capture.id);
    this.root.dataset.renderedConnection = String(n);
    this.announce(`Capture ${capture.id}, connection ${n}: ${fmt.integer(conn.totals.packets)} packets.`);
  }
}
