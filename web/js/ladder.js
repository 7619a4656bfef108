// ladder: the handshake and the closure drawn as a flow graph, as in
// Wireshark's Statistics > Flow Graph: a client column and a server column,
// one arrow per packet with its flags above and its relative seq/ack below,
// and the time since the first frame on the left. The data transfer between
// them is folded into one box, so that the two exchanges the lab asks about
// fit on a screen.
//
// The SVG is laid out in CSS pixels for the width of its container (and
// redrawn when that changes) rather than scaled from a fixed viewBox: a
// scaled drawing would shrink its text below reading size on a phone.

import * as fmt from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const MIN_W = 300;            // px: narrower containers scroll
const MAX_W = 640;            // px: wider ones leave the rest empty
const HEAD_H = 54;            // px: column names and endpoints
const SECTION_H = 26;         // px: "Three-way handshake · 27 µs"
const ROW_H = 58;             // px: one packet
const SLOPE = 12;             // px: an arrow falls this much (time passes)
const GAP_H = 58;             // px: the folded data transfer
const MAX_ROWS = 16;          // closure packets drawn; the rest are listed

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

// Column positions for a drawing width w: the time gutter on the left, the
// client and server lifelines far enough in for their endpoint labels.
function layout(w) {
  const narrow = w < 420;
  const timeW = narrow ? 60 : 74;
  const margin = narrow ? 56 : 66;
  return { w, timeW, clientX: timeW + margin, serverX: w - margin };
}

function markers(svg, id) {
  const defs = el('defs');
  for (const side of ['client', 'server']) {
    const marker = el('marker', { id: `${id}-${side}`, viewBox: '0 0 10 10', refX: 9, refY: 5,
      markerWidth: 8, markerHeight: 8, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' });
    marker.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrowhead ${side}` }));
    defs.appendChild(marker);
  }
  svg.appendChild(defs);
}

function header(svg, L, connection, height) {
  svg.appendChild(el('text', { x: 2, y: 16, class: 'ladder-head' }, 'Time (s)'));
  const cols = [['Client', L.clientX, connection && connection.client, 'client'],
    ['Server', L.serverX, connection && connection.server, 'server']];
  for (const [name, x, ep, side] of cols) {
    svg.appendChild(el('text', { x, y: 16, 'text-anchor': 'middle', class: `ladder-head ${side}` }, name));
    svg.appendChild(el('text', { x, y: 34, 'text-anchor': 'middle', class: 'ladder-endpoint' }, endpoint(ep)));
    svg.appendChild(el('line', { x1: x, y1: HEAD_H - 10, x2: x, y2: height - 4, class: `ladder-life ${side}` }));
  }
}

// Wireshark's flow graph comment, shortened: Len only when there is data.
function seqAck(p) {
  const parts = [`Seq=${p.seq}`];
  if (p.flags && p.flags.includes('ACK')) parts.push(`Ack=${p.ack}`);
  if (p.len) parts.push(`Len=${p.len}`);
  return parts.join(' ');
}

function arrow(svg, L, p, y, id, phase) {
  const fromClient = p.from === 'client';
  const x1 = fromClient ? L.clientX : L.serverX;
  const x2 = fromClient ? L.serverX - 1 : L.clientX + 1;
  const g = el('g', { class: `ladder-arrow ${p.from}`, 'data-flags': p.flags, 'data-from': p.from,
    'data-phase': phase, 'data-seq': p.seq, 'data-ack': p.ack, 'data-time-ns': p.time_ns, 'data-no': p.no });
  g.appendChild(el('title', {}, `${phase}: ${p.from} to ${fromClient ? 'server' : 'client'}, [${p.flags}] `
    + `${seqAck(p)}, at ${fmt.seconds6(p.time_ns)} s (frame ${p.no})`));
  const mid = (L.clientX + L.serverX) / 2;
  const midY = y + SLOPE / 2;
  g.appendChild(el('text', { x: 2, y: y + 4, class: 'ladder-time' }, fmt.seconds6(p.time_ns)));
  g.appendChild(el('circle', { cx: x1, cy: y, r: 3, class: `ladder-dot ${p.from}` }));
  g.appendChild(el('line', { x1, y1: y, x2, y2: y + SLOPE, class: `ladder-line ${p.from}`,
    'marker-end': `url(#${id}-${p.from})` }));
  // The labels hug their own arrow (above and below its middle), with the
  // wider space between rows, so that each pair reads as one packet.
  g.appendChild(el('text', { x: mid, y: midY - 7, 'text-anchor': 'middle', class: `ladder-flags ${p.from}` }, p.flags));
  g.appendChild(el('text', { x: mid, y: midY + 16, 'text-anchor': 'middle', class: 'ladder-seq' }, seqAck(p)));
  svg.appendChild(g);
}

function section(svg, L, y, text) {
  svg.appendChild(el('text', { x: 2, y: y + 16, class: 'ladder-section' }, text));
}

// The folded transfer: a box across both lifelines, as a break in them.
function gap(svg, L, y, lines) {
  const mid = L.w / 2;
  svg.appendChild(el('rect', { x: 2, y: y + 6, width: L.w - 4, height: GAP_H - 12, rx: 6, class: 'ladder-gap' }));
  lines.forEach((text, i) => {
    svg.appendChild(el('text', { x: mid, y: y + 25 + i * 15, 'text-anchor': 'middle',
      class: i ? 'ladder-gap-sub' : 'ladder-gap-text' }, text));
  });
}

function closureTitle(closure) {
  if (!closure || closure.kind === 'none' || !closure.packets.length) return 'Closure (not captured)';
  const kind = closure.kind === 'rst' ? 'Reset' : 'Closure';
  const who = closure.simultaneous ? 'both sides at once'
    : closure.initiator ? `${closure.initiator} closed first` : 'initiator unknown';
  const took = closure.duration_ns !== null ? ` · ${fmt.duration(closure.duration_ns)}` : '';
  return `${kind}: ${who}${took}`;
}

function draw(container, result, middle, width) {
  const hs = (result.handshake && result.handshake.packets) || [];
  const allClosure = (result.closure && result.closure.packets) || [];
  const closure = allClosure.slice(0, MAX_ROWS);
  const L = layout(Math.max(MIN_W, Math.min(MAX_W, width)));
  const height = HEAD_H + 2 * SECTION_H + (hs.length + closure.length) * ROW_H + GAP_H + 8;
  const id = `ladder${++ladderCount}`;
  const svg = el('svg', { viewBox: `0 0 ${L.w} ${height}`, width: L.w, height, role: 'img',
    'aria-labelledby': `${id}-title ${id}-desc`, class: 'ladder-svg' });
  svg.appendChild(el('title', { id: `${id}-title` }, 'Handshake and closure, as a flow graph'));
  const described = [...hs.map((p) => `${p.from} sends ${p.flags}, ${seqAck(p)}`), 'data transfer',
    ...closure.map((p) => `${p.from} sends ${p.flags}, ${seqAck(p)}`)];
  svg.appendChild(el('desc', { id: `${id}-desc` }, described.join('; ')));
  markers(svg, id);
  header(svg, L, result.connection, height);
  let y = HEAD_H;
  const hsTook = result.handshake && result.handshake.duration_ns !== null
    ? ` · ${fmt.duration(result.handshake.duration_ns)}` : '';
  section(svg, L, y, hs.length ? `Three-way handshake${hsTook}` : 'Handshake (not captured)');
  y += SECTION_H + 12;
  for (const p of hs) {
    arrow(svg, L, p, y, id, 'handshake');
    y += ROW_H;
  }
  gap(svg, L, y - 16, middle);
  y += GAP_H - 16;
  section(svg, L, y, closureTitle(result.closure));
  y += SECTION_H + 12;
  for (const p of closure) {
    arrow(svg, L, p, y, id, 'closure');
    y += ROW_H;
  }
  const nodes = [svg];
  if (!hs.length && !allClosure.length) {
    const note = document.createElement('p');
    note.className = 'empty';
    note.textContent = 'Neither the handshake nor the closure was captured.';
    nodes.push(note);
  } else if (allClosure.length > closure.length) {
    const note = document.createElement('p');
    note.className = 'hint';
    note.textContent = `${allClosure.length - closure.length} more closure packets are in the packet list.`;
    nodes.push(note);
  }
  container.replaceChildren(...nodes);
  fitLabels(svg, L);
}

// A seq/ack label wider than the space between the lifelines (a phone,
// a long Len=) is set smaller until it fits, never below 9 px.
function fitLabels(svg, L) {
  const room = L.serverX - L.clientX - 10;
  for (const text of svg.querySelectorAll('.ladder-seq')) {
    const width = text.getComputedTextLength();
    if (width > room) {
      const size = parseFloat(getComputedStyle(text).fontSize);
      text.style.fontSize = `${Math.max(9, (size * room) / width).toFixed(1)}px`;
    }
  }
}

const observers = new WeakMap();

// Draws result.handshake and result.closure into container, and again
// whenever the container's width changes. middle: one or two lines that
// describe what happens between them (the data transfer).
export function drawLadder(container, result, middle) {
  const previous = observers.get(container);
  if (previous) previous.disconnect();
  let drawnWidth = null;
  const redraw = () => {
    const width = Math.floor(container.clientWidth);
    if (!width || width === drawnWidth) return;
    drawnWidth = width;
    draw(container, result, middle, width);
  };
  draw(container, result, middle, container.clientWidth || MAX_W);
  drawnWidth = Math.floor(container.clientWidth) || null;
  const observer = new ResizeObserver(redraw);
  observer.observe(container);
  observers.set(container, observer);
}
