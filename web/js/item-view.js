// item-view: what the view of one run (run-view.js) and the view of one
// uploaded capture (captures-view.js) share, so that both open, draw and
// delete the same way: the header (title, status badge, the pcap link,
// which downloads with the token when the daemon has one), the wait for
// the item to end, its error, and for one TCP connection the lab's six
// answers, the cards, the ladder with its facts, the time–sequence graph,
// the totals and the packet list; then the raw JSON and Delete.
//
// The two views' elements differ in their ids only (the capture's start
// with "cap-"), so a subclass names them in ids. It supplies what differs:
// fetchFinal(id, signal), the item fetched and followed until it ends
// (done or failed), its header shown on the way; render(item, signal,
// ...more), what a done item draws; download(item) and deleteItem(id).

import * as api from './api.js';
import * as fmt from './format.js';
import { drawLadder } from './ladder.js';
import { chartAvailable, drawTimeSequence } from './charts.js';
import { PacketList, fetchAll } from './packets.js';
import { withTerms } from './glossary.js';
import { buildAnswers } from './captures-answers.js';
import { buildFacts, closureWhy, middleText } from './connection-parts.js';

export class ItemView {
  // ids: the element ids, by role (see the constructors of RunView and
  // CaptureView); noun: "Run" or "Capture"; failed: the error's start when
  // the item failed; missing: why an id may have no item; packetPrefix:
  // PacketList's.
  constructor(root, { ids, noun, failed, missing, packetPrefix, onDeleted, confirmDelete, announce }) {
    this.root = root;
    this.ids = ids;
    this.noun = noun;
    this.failed = failed;
    this.missing = missing;
    this.el = (id) => root.querySelector(`#${id}`);
    this.onDeleted = onDeleted;
    this.confirmDelete = confirmDelete;
    this.announce = announce;
    this.packets = new PacketList(root, (err) => this.showError(err.message), packetPrefix);
    this.tsgChart = null;
    this.controller = null;
    this.item = null;
    this.el(ids.delete).addEventListener('click', () => this.remove());
    this.el(ids.rawDetails).addEventListener('toggle', () => this.fillRaw());
    this.el(ids.pcap).addEventListener('click', (e) => {
      if (!api.hasToken() || !this.item) return; // the plain link will do
      e.preventDefault();
      this.download(this.item).catch((err) => this.showError(err.message));
    });
  }

  showError(message) {
    const box = this.el(this.ids.error);
    box.textContent = message;
    box.hidden = !message;
  }

  close() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  reset(id) {
    this.item = null;
    this.el(this.ids.title).textContent = `${this.noun} ${id}`;
    this.el(this.ids.subtitle).textContent = '';
    this.el(this.ids.status).textContent = '';
    this.el(this.ids.status).className = 'badge';
    this.el(this.ids.pcap).hidden = true;
    this.el(this.ids.body).hidden = true;
    this.el(this.ids.rawDetails).open = false;
    this.el(this.ids.rawJson).textContent = '';
    this.showError('');
  }

  // more: what open was given after the id, handed to render.
  async open(id, ...more) {
    this.close();
    this.controller = new AbortController();
    const { signal } = this.controller;
    this.id = id;
    this.reset(id);
    try {
      const item = await this.fetchFinal(id, signal);
      if (signal.aborted) return;
      this.item = item;
      if (item.status === 'failed') {
        this.showError(`${this.failed}: ${(item.error && item.error.message) || 'no reason given'}`);
        return;
      }
      await this.render(item, signal, ...more);
    } catch (err) {
      if (err.name === 'AbortError') return;
      this.showError(err.status === 404 ? `There is no ${this.noun.toLowerCase()} ${id} (${this.missing}).` : err.message);
    }
  }

  // subtitle: the header's line under the title; pcap: the link's href and
  // the name the file is saved under; title: the document's.
  showHeader(item, { subtitle, pcap, fileName, title }) {
    this.el(this.ids.title).textContent = `${this.noun} ${item.id}`;
    this.el(this.ids.subtitle).textContent = subtitle;
    const badge = this.el(this.ids.status);
    badge.textContent = item.status;
    badge.className = `badge status-${item.status}`;
    const link = this.el(this.ids.pcap);
    link.href = pcap;
    link.setAttribute('download', fileName);
    link.hidden = item.status !== 'done';
    document.title = title;
  }

  // One connection's answers, cards, ladder and its facts, and totals:
  // result is a run's result or one connection of a capture's analysis;
  // answersNote says where the answers' fields are.
  drawConnection(result, answersNote, cards, totals) {
    this.el(this.ids.answers).replaceChildren(...buildAnswers(result, answersNote));
    this.el(this.ids.cards).replaceChildren(...cards);
    drawLadder(this.el(this.ids.ladder), result, middleText(result));
    this.el(this.ids.ladderFacts).replaceChildren(...buildFacts(result));
    withTerms(this.el(this.ids.closureWhy), closureWhy(result.closure));
    this.el(this.ids.totals).replaceChildren(...totals);
  }

  // The time–sequence graph of every packet fetchPage lists (at most
  // fetchAll's bound; by default a run's); emptyNote: what to say when
  // there is none.
  async drawGraph(key, signal, fetchPage, emptyNote) {
    const note = this.el(this.ids.tsgNote);
    note.textContent = '';
    if (!chartAvailable()) {
      note.textContent = 'Chart.js is not available at /vendor/chart.js, so the graph cannot be drawn.';
      return;
    }
    try {
      const { packets, truncated } = await fetchAll(key, signal, fetchPage);
      if (signal.aborted) return;
      this.tsgChart = drawTimeSequence(this.el(this.ids.tsgChart), packets, this.tsgChart);
      if (truncated) note.textContent = `Only the first ${fmt.integer(packets.length)} packets are drawn.`;
      else if (!packets.length && emptyNote) note.textContent = emptyNote;
    } catch (err) {
      if (err.name !== 'AbortError') note.textContent = `The packet list could not be read: ${err.message}`;
    }
  }

  // The server's text as received: JSON.stringify of the parsed object
  // would print the BigInt times differently and reorder nothing useful.
  fillRaw() {
    const details = this.el(this.ids.rawDetails);
    if (!details.open || !this.item) return;
    this.el(this.ids.rawJson).textContent = api.rawText(this.item) ?? '';
  }

  async remove() {
    if (!this.id) return;
    if (!(await this.confirmDelete(this.id))) return;
    try {
      await this.deleteItem(this.id);
      this.onDeleted(this.id);
    } catch (err) {
      this.showError(err.message);
    }
  }
}
