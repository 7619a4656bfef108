// ladder: the handshake and the closure drawn as a flow graph, as in
// Wireshark's Statistics > Flow Graph: a client column and a server column,
// one arrow per packet with its flags above and its relative seq/ack below,
// and the time since the first frame on the left. The data transfer between
// them is folded into one line, so that the two exchanges the lab asks about
// fit on a screen.

import * as fmt from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 480;
const TIME_X = 4;
const CLIENT_X = 118;
const SERVER_X = 400;
const HEAD_H = 58;
const ROW_H = 54;
const GAP_H = 46;
const SLOPE = 16;
const MAX_ROWS = 16;

let ladderCount = 0;

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function endpoint(ep) {
  if (!ep) return '?';
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
}

function markers(svg, id) {
  const defs = el('defs');
  for (const side of ['client', 'server']) {
    const marker = el('marker', { id: `${id}-${side}`, viewBox: '0 0 10 10', refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrowhead ${side}` }));
    defs.appendChild(marker);
  }
  svg.appendChild(defs);
}

function header(svg, connection, height) {
  const cols = [['Client', CLIENT_X, connection && connection.client],
    ['Server', SERVER_X, connection && connection.server]];
  svg.appendChild(el('text', { x: TIME_X, y: 18, class: 'ladder-head' }, 'Time (s)'));
  for (const [name, x, ep] of cols) {
    svg.appendChild(el('text', { x, y: 18, 'text-anchor': 'middle', class: 'ladder-head' }, name));
    svg.appendChild(el('text', { x, y: 36, 'text-anchor': 'middle', class: 'ladder-endpoint' }, endpoint(ep)));
    svg.appendChild(el('line', { x1: x, y1: HEAD_H - 12, x2: x, y2: height - 8, class: 'ladder-life' }));
  }
}

function seqAck(p) {
  const parts = [`Seq=${p.seq}`];
  if (p.flags && p.flags.includes('ACK')) parts.push(`Ack=${p.ack}`);
  parts.push(`Len=${p.len}`);
  return parts.join(' ');
}

function arrow(svg, p, y, id, phase) {
  const fromClient = p.from === 'client';
  const x1 = fromClient ? CLIENT_X : SERVER_X;
  const x2 = fromClient ? SERVER_X : CLIENT_X;
  const g = el('g', { class: `ladder-arrow ${p.from}`, 'data-flags': p.flags, 'data-from': p.from,
    'data-phase': phase, 'data-seq': p.seq, 'data-ack': p.ack, 'data-time-ns': p.time_ns, 'data-no': p.no });
  g.appendChild(el('title', {}, `${phase}: ${p.from} to ${fromClient ? 'server' : 'client'}, ${p.flags}, `
    + `${seqAck(p)}, at ${fmt.seconds6(p.time_ns)} s (frame ${p.no})`));
  g.appendChild(el('text', { x: TIME_X, y: y + 4, class: 'ladder-time' }, fmt.seconds6(p.time_ns)));
  g.appendChild(el('line', { x1, y1: y, x2: fromClient ? x2 - 2 : x2 + 2, y2: y + SLOPE,
    class: 'ladder-line', 'marker-end': `url(#${id}-${p.from})` }));
  const mid = (CLIENT_X + SERVER_X) / 2;
  g.appendChild(el('text', { x: mid, y: y + SLOPE / 2 - 6, 'text-anchor': 'middle', class: 'ladder-flags' }, p.flags));
  g.appendChild(el('text', { x: mid, y: y + SLOPE / 2 + 16, 'text-anchor': 'middle', class: 'ladder-seq' }, seqAck(p)));
  svg.appendChild(g);
}

function gap(svg, y, text) {
  const mid = (CLIENT_X + SERVER_X) / 2;
  svg.appendChild(el('rect', { x: CLIENT_X + 10, y: y + 6, width: SERVER_X - CLIENT_X - 20, height: GAP_H - 14,
    rx: 6, class: 'ladder-gap' }));
  svg.appendChild(el('text', { x: mid, y: y + GAP_H / 2 + 3, 'text-anchor': 'middle', class: 'ladder-gap-text' }, text));
}

// Draws result.handshake and result.closure into container. middleText
// describes what happens between them (the data transfer).
export function drawLadder(container, result, middleText) {
  const hs = (result.handshake && result.handshake.packets) || [];
  const cl = (result.closure && result.closure.packets) || [];
  const closure = cl.slice(0, MAX_ROWS);
  const height = HEAD_H + (hs.length + closure.length) * ROW_H + GAP_H + 12;
  const id = `ladder${++ladderCount}`;
  const svg = el('svg', { viewBox: `0 0 ${WIDTH} ${height}`, width: '100%', role: 'img',
    'aria-labelledby': `${id}-title ${id}-desc`, class: 'ladder-svg', preserveAspectRatio: 'xMidYMin meet' });
  svg.style.maxWidth = `${WIDTH * 1.5}px`;
  svg.appendChild(el('title', { id: `${id}-title` }, 'Handshake and closure, as a flow graph'));
  const described = [...hs.map((p) => `${p.from} ${p.flags}`), '…', ...closure.map((p) => `${p.from} ${p.flags}`)];
  svg.appendChild(el('desc', { id: `${id}-desc` }, described.join('; ')));
  markers(svg, id);
  header(svg, result.connection, height);
  let y = HEAD_H;
  for (const p of hs) {
    arrow(svg, p, y, id, 'handshake');
    y += ROW_H;
  }
  gap(svg, y - 8, middleText);
  y += GAP_H;
  for (const p of closure) {
    arrow(svg, p, y, id, 'closure');
    y += ROW_H;
  }
  container.replaceChildren(svg);
  if (!hs.length && !cl.length) {
    const note = document.createElement('p');
    note.className = 'empty';
    note.textContent = 'Neither the handshake nor the closure was captured.';
    container.appendChild(note);
  } else if (cl.length > closure.length) {
    const note = document.createElement('p');
    note.className = 'hint';
    note.textContent = `${cl.length - closure.length} more closure packets are in the packet list.`;
    container.appendChild(note);
  }
}
