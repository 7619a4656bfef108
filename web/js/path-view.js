// path-view: the path a run crossed, drawn as an SVG: on a `link` run two
// hosts (the client's and the server's network namespaces, with their
// addresses) and the veth link between them with its settings (MTU,
// offload, rate, queue, loss, delay), the data's direction on it; on
// `loopback` one host, client and server on its lo. Drawn from the run's
// params (docs/result.md) and its connection's addresses, laid out in CSS
// pixels for its container's width and redrawn when that changes, as the
// ladder is (ladder.js says why). Each setting's text keeps the API's value
// in data-value.
//
// A link's rate, queue, loss, delay and jitter may differ by direction
// (rate_to_client, rate_to_server, ...: the params give what applies each
// way). Where any does, each direction gets an arrow of its own carrying
// its values — toward the server above the link, toward the client below —
// and the one the data takes is drawn as the data's; the list below says
// both values of each setting that differs.

import * as fmt from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const MIN_W = 300;    // px: narrower containers scroll
const MAX_W = 760;    // px
const HOST_H = 78;    // px: a host's box
const LINE_H = 19;    // px: one setting under the link
const TOP = 8;        // px

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const yesNo = (v) => (v ? 'on' : 'off');

// The settings a direction may override, in the order they are told.
const WAY_SETTINGS = ['rate', 'queue', 'loss', 'delay', 'jitter'];

// What applies toward side ('client' or 'server'): the params' per-way
// value, or (a run stored before them) the both-ways one.
export function toward(p, side) {
  return Object.fromEntries(WAY_SETTINGS.map((n) => [n, p[`${n}_to_${side}`] ?? p[n]]));
}

// The settings whose value differs by direction.
export function asymmetric(p) {
  const c = toward(p, 'client');
  const s = toward(p, 'server');
  return WAY_SETTINGS.filter((n) => Number(c[n] || 0) !== Number(s[n] || 0));
}

// One value of one setting, as said on an arrow and in the list.
function wayValue(name, v) {
  switch (name) {
    case 'rate': return v ? fmt.bitrate(v) : 'unlimited';
    case 'queue': return v ? `queue ${fmt.bytes(v)}` : 'queue 50 ms';
    case 'loss': return `loss ${Number(v) || 0} %`;
    case 'delay': return `delay ${fmt.integer(v || 0)} ms`;
    default: return `jitter ${fmt.integer(v || 0)} ms`;
  }
}

// A direction's values of the settings that differ, for its arrow.
export function wayText(p, side) {
  const w = toward(p, side);
  return asymmetric(p).map((n) => wayValue(n, w[n])).join(' · ');
}

// The link's settings as lines: [name, text, the API's value]. A setting
// that differs by direction says both; the loss names its seed.
export function linkSettings(p) {
  const differ = new Set(asymmetric(p));
  const c = toward(p, 'client');
  const s = toward(p, 'server');
  // Toward the server, then toward the client, as the arrows are drawn.
  const both = (name) => `${name} → ${wayValue(name, s[name]).replace(`${name} `, '')}, `
    + `← ${wayValue(name, c[name]).replace(`${name} `, '')}`;
  const lossy = Number(c.loss) > 0 || Number(s.loss) > 0;
  const seed = lossy && p.seed !== undefined ? ` (seed ${p.seed})` : '';
  const lines = [
    ['mtu', `MTU ${fmt.integer(p.mtu)} B`, p.mtu],
    ['offload', `segmentation offload ${yesNo(p.offload)}`, p.offload],
    ['rate', differ.has('rate') ? both('rate') : (p.rate ? `rate ${fmt.bitrate(p.rate)} each way` : 'rate: unlimited'), p.rate],
    ['queue', differ.has('queue') ? both('queue') : (p.queue ? `queue ${fmt.bytes(p.queue)}` : 'queue: 50 ms at the rate'), p.queue],
    ['loss', `${differ.has('loss') ? both('loss') : `loss ${Number(p.loss) || 0} % each way`}${seed}`, p.loss],
  ];
  if (differ.has('delay') || differ.has('jitter')) {
    lines.push(['delay', `delay → ${fmt.integer(s.delay || 0)} ± ${fmt.integer(s.jitter || 0)} ms, `
      + `← ${fmt.integer(c.delay || 0)} ± ${fmt.integer(c.jitter || 0)} ms`, p.delay]);
  } else if (p.delay || p.jitter) {
    lines.push(['delay', `delay ${fmt.integer(p.delay)} ms ± ${fmt.integer(p.jitter)} ms`, p.delay]);
  } else {
    lines.push(['delay', 'no added delay', p.delay]);
  }
  return lines;
}

function host(svg, x, w, title, lines, side) {
  const g = el('g', { class: `path-host ${side}`, 'data-host': side });
  g.appendChild(el('rect', { x, y: TOP, width: w, height: HOST_H, rx: 8, class: `path-box ${side}` }));
  g.appendChild(el('text', { x: x + w / 2, y: TOP + 22, 'text-anchor': 'middle', class: `path-host-title ${side}` }, title));
  lines.forEach((text, i) => {
    g.appendChild(el('text', { x: x + w / 2, y: TOP + 42 + i * 17, 'text-anchor': 'middle', class: 'path-host-line' }, text));
  });
  svg.appendChild(g);
}

const address = (ep) => (ep ? ep.ip : '?');

// Roughly how wide a text of the arrows' size is, in px: to squeeze one
// that would run over the hosts rather than let it.
const ARROW_CHAR_W = 6.2;

// Each direction's arrow with its values: toward the server above the
// link, toward the client below; the data's is drawn as the data.
function drawWays(svg, p, x1, x2, y, upload) {
  const span = x2 - x1 - 16;
  for (const [side, dy, from, to, textY] of [['server', -8, x1 + 8, x2 - 8, y - 16], ['client', 8, x2 - 8, x1 + 8, y + 24]]) {
    const data = (side === 'server') === upload;
    const text = side === 'server' ? `${data ? 'data' : 'acks'} · ${wayText(p, side)} →` : `← ${data ? 'data' : 'acks'} · ${wayText(p, side)}`;
    svg.appendChild(el('line', { x1: from, y1: y + dy, x2: to, y2: y + dy, class: data ? 'path-data' : 'path-acks',
      'marker-end': data ? 'url(#path-arrow)' : 'url(#path-arrow-acks)' }));
    const attrs = { x: (x1 + x2) / 2, y: textY, 'text-anchor': 'middle', class: data ? 'path-data-text path-way' : 'path-acks-text path-way',
      'data-way': side };
    if (text.length * ARROW_CHAR_W > span) Object.assign(attrs, { textLength: span, lengthAdjust: 'spacingAndGlyphs' });
    svg.appendChild(el('text', attrs, text));
  }
}

function drawLink(svg, w, run) {
  const p = run.params || {};
  const c = (run.result && run.result.connection) || {};
  const ways = asymmetric(p).length > 0;
  // Arrows with values need the room between the hosts.
  const hostW = Math.min(ways ? 180 : 210, Math.floor(w * (ways ? 0.3 : 0.36)));
  const upload = p.direction === 'upload';
  host(svg, 1, hostW, 'Client', [address(c.client), upload ? 'sender' : 'receiver'], 'client');
  host(svg, w - hostW - 1, hostW, 'Server', [address(c.server), upload ? 'receiver' : 'sender'], 'server');
  const y = TOP + HOST_H / 2;
  const x1 = hostW + 1;
  const x2 = w - hostW - 1;
  svg.appendChild(el('line', { x1, y1: y, x2, y2: y, class: 'path-link' }));
  const mid = (x1 + x2) / 2;
  if (ways) {
    svg.appendChild(el('text', { x: mid, y: y - 31, 'text-anchor': 'middle', class: 'path-link-name' }, 'veth link'));
    drawWays(svg, p, x1, x2, y, upload);
  } else {
    svg.appendChild(el('text', { x: mid, y: y - 9, 'text-anchor': 'middle', class: 'path-link-name' }, 'veth link'));
    // The data's way along the link.
    const from = upload ? x1 + 8 : x2 - 8;
    const to = upload ? x2 - 8 : x1 + 8;
    svg.appendChild(el('line', { x1: from, y1: y + 12, x2: to, y2: y + 12, class: 'path-data', 'marker-end': 'url(#path-arrow)' }));
    svg.appendChild(el('text', { x: mid, y: y + 28, 'text-anchor': 'middle', class: 'path-data-text' }, 'data'));
  }
  let ly = TOP + HOST_H + 24;
  for (const [name, text, value] of linkSettings(p)) {
    svg.appendChild(el('text', { x: w / 2, y: ly, 'text-anchor': 'middle', class: 'path-setting', 'data-setting': name,
      'data-value': JSON.stringify(value ?? null) }, text));
    ly += LINE_H;
  }
  return ly;
}

function drawLoopback(svg, w, run) {
  const c = (run.result && run.result.connection) || {};
  const iface = (run.result && run.result.capture && run.result.capture.interface) || 'lo';
  const boxW = Math.min(w - 2, 420);
  host(svg, (w - boxW) / 2, boxW, 'One host', [`client ${address(c.client)} ↔ server ${address(c.server)}`,
    `on ${iface}: no link, no rate, no loss`], 'loopback');
  return TOP + HOST_H + 10;
}

function draw(container, run, width) {
  const w = Math.max(MIN_W, Math.min(MAX_W, width));
  const isLink = run.params && run.params.path === 'link';
  const svg = el('svg', { width: w, role: 'img', class: 'path-svg', 'data-path': isLink ? 'link' : 'loopback',
    'aria-label': isLink ? 'The path: client and server, each in its own network namespace, joined by a link with these settings'
      : 'The path: client and server on one host\'s loopback interface' });
  const defs = el('defs');
  const marker = el('marker', { id: 'path-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8,
    markerUnits: 'userSpaceOnUse', orient: 'auto' });
  marker.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'path-arrowhead' }));
  defs.appendChild(marker);
  const acks = el('marker', { id: 'path-arrow-acks', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8,
    markerUnits: 'userSpaceOnUse', orient: 'auto' });
  acks.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'path-arrowhead-acks' }));
  defs.appendChild(acks);
  svg.appendChild(defs);
  const height = isLink ? drawLink(svg, w, run) : drawLoopback(svg, w, run);
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${w} ${height}`);
  container.replaceChildren(svg);
}

const observers = new WeakMap();

export function drawPath(container, run) {
  const previous = observers.get(container);
  if (previous) previous.disconnect();
  let drawnWidth = Math.floor(container.clientWidth) || null;
  draw(container, run, container.clientWidth || MAX_W);
  const observer = new ResizeObserver(() => {
    const width = Math.floor(container.clientWidth);
    if (!width || width === drawnWidth) return;
    drawnWidth = width;
    draw(container, run, width);
  });
  observer.observe(container);
  observers.set(container, observer);
}
