// path-view: the path a run crossed, drawn as an SVG: on a `link` run two
// hosts (the client's and the server's network namespaces, with their
// addresses) and the veth link between them with its settings (MTU,
// offload, rate, queue, loss, delay), the data's direction on it; on
// `loopback` one host, client and server on its lo. Drawn from the run's
// params (docs/result.md) and its connection's addresses, laid out in CSS
// pixels for its container's width and redrawn when that changes, as the
// ladder is (ladder.js says why). Each setting's text keeps the API's value
// in data-value.

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

// The link's settings as lines: [name, text, the API's value].
export function linkSettings(p) {
  const lines = [
    ['mtu', `MTU ${fmt.integer(p.mtu)} B`, p.mtu],
    ['offload', `segmentation offload ${yesNo(p.offload)}`, p.offload],
    ['rate', p.rate ? `rate ${fmt.bitrate(p.rate)} each way` : 'rate: unlimited', p.rate],
    ['queue', p.queue ? `queue ${fmt.bytes(p.queue)}` : 'queue: 50 ms at the rate', p.queue],
    ['loss', `loss ${Number(p.loss) || 0} % each way`, p.loss],
  ];
  if (p.delay || p.jitter) lines.push(['delay', `delay ${fmt.integer(p.delay)} ms ± ${fmt.integer(p.jitter)} ms`, p.delay]);
  else lines.push(['delay', 'no added delay', p.delay]);
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

function drawLink(svg, w, run) {
  const p = run.params || {};
  const c = (run.result && run.result.connection) || {};
  const hostW = Math.min(210, Math.floor(w * 0.36));
  const upload = p.direction === 'upload';
  host(svg, 1, hostW, 'Client', [address(c.client), upload ? 'sender' : 'receiver'], 'client');
  host(svg, w - hostW - 1, hostW, 'Server', [address(c.server), upload ? 'receiver' : 'sender'], 'server');
  const y = TOP + HOST_H / 2;
  const x1 = hostW + 1;
  const x2 = w - hostW - 1;
  svg.appendChild(el('line', { x1, y1: y, x2, y2: y, class: 'path-link' }));
  const mid = (x1 + x2) / 2;
  svg.appendChild(el('text', { x: mid, y: y - 9, 'text-anchor': 'middle', class: 'path-link-name' }, 'veth link'));
  // The data's way along the link.
  const from = upload ? x1 + 8 : x2 - 8;
  const to = upload ? x2 - 8 : x1 + 8;
  svg.appendChild(el('line', { x1: from, y1: y + 12, x2: to, y2: y + 12, class: 'path-data', 'marker-end': 'url(#path-arrow)' }));
  svg.appendChild(el('text', { x: mid, y: y + 28, 'text-anchor': 'middle', class: 'path-data-text' }, 'data'));
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
