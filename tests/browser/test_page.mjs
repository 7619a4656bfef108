// The chart page in a real browser: Debian's headless Chromium, driven by
// playwright-core, against the real daemon on a free port with a fresh
// data directory (ctest label "browser", tests/browser.cmake).
//
//   node tests/browser/test_page.mjs path/to/wiremeter
//   env: WM_NODE_MODULES  node_modules holding playwright-core (required)
//        WM_ARTIFACTS     where screenshots and the daemon log go
//        WM_WEB_ROOT      the page (default: web/ of this checkout)
//        WM_DOCS_SCREENSHOTS  where the README's copies go, written only
//                             when WM_UPDATE_SCREENSHOTS=1 (so that a test
//                             run leaves the checkout as it was)
//        WM_CHROMIUM      the browser (default /usr/bin/chromium)
//
// First, what needs no capture: the static files (types, ETag and
// Last-Modified, no listing, no traversal), the page loading with Chart.js,
// and an API error (size 1XB) shown next to the size field with nothing
// stored. Then, with capture rights (else exit 77, or a failure under
// WIREMETER_REQUIRE_CAPTURE=1): a 1 MB run through the form, every figure
// shown checked against GET /runs/{id}, the ladder against the handshake
// and closure, the packet list, the time–sequence graph's pixels, the pcap
// link, the raw JSON, a reload of the run's URL, phone width with nothing
// overflowing, the lab sweep, the lab table against the API's medians, the
// charts' pixels, delete with its confirmation, and the "More" cursor.
// Last, a daemon whose token guards reads too (--protect-reads), opened
// as http://localhost:PORT: the page asks for the token, asks again when
// it is wrong, keeps it for the tab, and with capture makes a run and
// downloads its pcap with it, and opens a sweep's report and downloads its
// CSV, SVG and printable page with it. The Raw JSON view is checked to be
// the server's text to the byte. (The sweep's report itself:
// test_report.mjs.)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  api, artifacts, captureRequired, check, checkEqual, checkShown, CHROMIUM_ARGS,
  chromiumPath, Daemon, docsShots, expectedNotFound, Failure, loadPlaywright, log,
  median, rawRequest, shot, SKIP, webRoot
} from './lib.mjs';
import { checkAnswers } from './answers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 390, height: 844 };

const wiremeter = process.argv[2];

// ---- Static files, over plain HTTP ---------------------------------------

async function checkStatic(base) {
  const types = {
    '/': 'text/html; charset=utf-8',
    '/index.html': 'text/html; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/js/app.js': 'text/javascript; charset=utf-8',
    '/favicon.svg': 'image/svg+xml',
    '/vendor/chart.js': 'text/javascript; charset=utf-8',
  };
  for (const [target, type] of Object.entries(types)) {
    const res = await rawRequest(base, 'GET', target);
    check(res.status === 200, `GET ${target}: ${res.status}, expected 200`);
    checkEqual(res.headers['content-type'], type, `Content-Type of ${target}`);
    const etag = res.headers.etag;
    const modified = res.headers['last-modified'];
    check(etag && modified, `GET ${target}: no ETag or Last-Modified`);
    const again = await rawRequest(base, 'GET', target, { 'If-None-Match': etag });
    check(again.status === 304 && again.body.length === 0, `GET ${target} with its ETag: ${again.status}, expected an empty 304`);
    const since = await rawRequest(base, 'GET', target, { 'If-Modified-Since': modified });
    check(since.status === 304, `GET ${target} If-Modified-Since its Last-Modified: ${since.status}, expected 304`);
  }
  // Every module the page imports is served as JavaScript.
  for (const file of fs.readdirSync(path.join(webRoot, 'js'))) {
    const res = await rawRequest(base, 'GET', `/js/${file}`);
    check(res.status === 200 && res.headers['content-type'] === 'text/javascript; charset=utf-8',
      `GET /js/${file}: ${res.status} ${res.headers['content-type']}`);
  }
  // No directory listing, no way out of the web root.
  for (const target of ['/js/', '/js']) {
    const res = await rawRequest(base, 'GET', target);
    check(res.status === 404 && !res.text.includes('app.js'), `GET ${target}: ${res.status}, expected 404 and no listing`);
  }
  const outside = ['/../../etc/passwd', '/js/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd',
    '/js%2f..%2f..%2fetc%2fpasswd', '/.git/config', '/js/..%5c..%5cetc%5cpasswd', '/index.html%00.png'];
  for (const target of outside) {
    const res = await rawRequest(base, 'GET', target);
    check(res.status === 400 || res.status === 404, `GET ${target}: ${res.status}, expected 400 or 404`);
    check(!res.text.includes('root:'), `GET ${target} leaked a file outside the web root`);
    check(/^application\/json/.test(res.headers['content-type'] || ''), `GET ${target}: the error is not JSON`);
  }
  log('static files: types, ETag/Last-Modified 304s, no listing, no traversal');
}

// ---- Page helpers ----------------------------------------------------------

// Pixels of a chart's plot area (inside the axes, without the legend) that
// are drawn at all, and those of the given hue.
async function canvasPixels(page, selector, hue) {
  return page.$eval(selector, (canvas, want) => {
    const ctx = canvas.getContext('2d');
    const area = window.Chart.getChart(canvas).chartArea;
    const scale = canvas.width / canvas.clientWidth;
    const { data } = ctx.getImageData(Math.round(area.left * scale), Math.round(area.top * scale),
      Math.round((area.right - area.left) * scale), Math.round((area.bottom - area.top) * scale));
    let drawn = 0;
    let colored = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (a === 0) continue;
      drawn += 1;
      // Faint pixels (antialiasing, grid lines) un-premultiply to any colour.
      if (a < 160) continue;
      if (want === 'blue' && b > r + 60 && b > g + 30) colored += 1;
      if (want === 'orange' && r > b + 80 && r > g + 40) colored += 1;
    }
    return { drawn, colored };
  }, hue);
}

// No two texts of the ladder overlap, and all lie inside the drawing.
async function checkLadderLegible(page, what) {
  const boxes = await page.$$eval('#ladder svg text', (texts) => {
    const svg = texts[0].ownerSVGElement.getBoundingClientRect();
    return {
      svg: { left: svg.left, right: svg.right, top: svg.top, bottom: svg.bottom },
      texts: texts.map((t) => {
        const r = t.getBoundingClientRect();
        return { text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      }),
    };
  });
  const { svg, texts } = boxes;
  for (const t of texts) {
    check(t.right - t.left > 0, `${what}: ladder text "${t.text}" is not rendered`);
    check(t.left >= svg.left - 0.5 && t.right <= svg.right + 0.5,
      `${what}: ladder text "${t.text}" runs out of the drawing (${t.left}..${t.right} of ${svg.left}..${svg.right})`);
  }
  const shrink = 1.5; // glyph boxes include some leading
  for (let i = 0; i < texts.length; i += 1) {
    for (let j = i + 1; j < texts.length; j += 1) {
      const a = texts[i];
      const b = texts[j];
      const overlap = a.left + shrink < b.right && b.left + shrink < a.right
        && a.top + shrink < b.bottom && b.top + shrink < a.bottom;
      check(!overlap, `${what}: ladder texts "${a.text}" and "${b.text}" overlap`);
    }
  }
}

// After a resize the charts follow their boxes within a frame or two, so
// the check is retried for up to 3 s.
async function checkNoHorizontalOverflow(page, what) {
  const deadline = Date.now() + 3000;
  let widths;
  do {
    if (widths) await page.waitForTimeout(100);
    widths = await overflow(page);
  } while ((widths.doc > widths.view || widths.wide.length) && Date.now() < deadline);
  check(widths.doc <= widths.view && widths.wide.length === 0,
    `${what}: the page is ${widths.doc} px wide in a ${widths.view} px window; too wide: ${widths.wide.join(', ')}`);
}

function overflow(page) {
  return page.evaluate(() => ({
    doc: document.documentElement.scrollWidth,
    view: window.innerWidth,
    wide: [...document.querySelectorAll('main *')]
      .filter((el) => el.offsetParent !== null && !el.closest('.table-wrap, .ladder, pre'))
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`),
  }));
}

async function waitRendered(page, id) {
  await page.waitForFunction((want) => document.getElementById('run-view').dataset.renderedRun === String(want),
    id, { timeout: 60000 });
}

// ---- The API error next to its field (no capture needed) ------------------

async function checkSizeError(page, base) {
  const direct = await api(base, 'POST', '/runs?size=1XB');
  check(direct.status === 400 && direct.body.error.parameter === 'size', `POST /runs?size=1XB: ${direct.status}`);
  await page.fill('#f-size', '1XB');
  await page.click('#run-button');
  await page.waitForFunction(() => document.getElementById('f-size-error').textContent !== '', null, { timeout: 10000 });
  const shown = await page.evaluate(() => {
    const input = document.getElementById('f-size');
    const error = document.getElementById('f-size-error');
    const i = input.getBoundingClientRect();
    const e = error.getBoundingClientRect();
    return {
      text: error.textContent,
      invalid: input.getAttribute('aria-invalid'),
      describedBy: input.getAttribute('aria-describedby'),
      sameField: error.closest('[data-field]') === input.closest('[data-field]'),
      visible: e.width > 0 && e.height > 0,
      below: e.top - i.bottom,
      formError: document.getElementById('form-error').textContent,
      focused: document.activeElement === input,
    };
  });
  checkEqual(shown.text, direct.body.error.message, 'the size field\'s error');
  check(shown.sameField && shown.visible, 'the size error is not shown in the size field');
  check(shown.below >= 0 && shown.below < 120, `the size error is ${shown.below} px below the size input`);
  checkEqual(shown.invalid, 'true', 'aria-invalid of the size input');
  check(shown.describedBy.split(' ').includes('f-size-error'), 'the size input is not described by its error');
  check(shown.focused, 'the size input does not have the focus after its error');
  checkEqual(shown.formError, '', 'the form-wide error');
  const runs = await api(base, 'GET', '/runs');
  checkEqual(runs.body.runs.length, 0, 'runs stored after a rejected size');
  log(`API error next to the size field: "${shown.text.slice(0, 60)}..."`);
}

// ---- One run, shown as the API has it -------------------------------------

function endpointText(ep) {
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
}

async function checkRunShown(page, base, id, what) {
  const { body: run } = await api(base, 'GET', `/runs/${id}`);
  checkEqual(run.status, 'done', `${what}: status of run ${id}`);
  const r = run.result;
  checkEqual(await page.textContent('#run-title'), `Run ${id}`, `${what}: title`);
  checkEqual(await page.textContent('#run-status'), 'done', `${what}: status badge`);
  const cards = await page.$$eval('#cards .card-value', (els) => Object.fromEntries(
    els.map((e) => [e.dataset.field, { text: e.textContent, value: e.dataset.value }]),
  ));
  const endpoints = `${endpointText(r.connection.client)} → ${endpointText(r.connection.server)}`;
  checkEqual(cards.endpoints.text, endpoints, `${what}: endpoints card`);
  checkEqual(cards.packets.text, r.totals.packets.toLocaleString('en-US'), `${what}: packets card`);
  const exact = {
    packets: r.totals.packets,
    total_ns: r.timing.total_ns,
    average_packet_size: r.average_packet_size.all,
    throughput_bps: r.timing.throughput_bps,
    dropped: r.capture.dropped,
  };
  for (const [field, value] of Object.entries(exact)) {
    check(cards[field], `${what}: no ${field} card`);
    checkEqual(Number(cards[field].value), value, `${what}: exact ${field} behind the card`);
    checkShown(cards[field].text, value, `${what}: ${field} card`);
  }
  await checkAnswers(page, '#run-answers', r, what); // the lab's six answers (answers.mjs)
  // The ladder: the handshake and the closure, arrow by arrow.
  const arrows = await page.$$eval('#ladder g.ladder-arrow', (gs) => gs.map((g) => ({
    phase: g.dataset.phase, flags: g.dataset.flags, from: g.dataset.from,
    seq: Number(g.dataset.seq), ack: Number(g.dataset.ack),
    texts: [...g.querySelectorAll('text')].map((t) => t.textContent),
  })));
  const hs = arrows.filter((a) => a.phase === 'handshake');
  checkEqual(hs.map((a) => [a.flags, a.from]), [['SYN', 'client'], ['SYN, ACK', 'server'], ['ACK', 'client']],
    `${what}: the ladder's handshake`);
  checkEqual(hs.map((a) => [a.seq, a.ack]), r.handshake.packets.map((p) => [p.seq, p.ack]),
    `${what}: the handshake's relative seq/ack`);
  const cl = arrows.filter((a) => a.phase === 'closure');
  checkEqual(cl.map((a) => [a.flags, a.from, a.seq, a.ack]),
    r.closure.packets.map((p) => [p.flags, p.from, p.seq, p.ack]), `${what}: the ladder's closure`);
  for (const side of ['client', 'server']) {
    check(cl.some((a) => a.from === side && a.flags.includes('FIN')), `${what}: no FIN from the ${side} in the ladder`);
  }
  for (const a of arrows) {
    check(a.texts.includes(a.flags), `${what}: the ${a.phase} arrow does not show its flags ${a.flags}`);
    check(a.texts.some((t) => t.startsWith(`Seq=${a.seq}`)), `${what}: the ${a.flags} arrow does not show Seq=${a.seq}`);
  }
  // The facts beside it.
  const facts = await page.$$eval('#ladder-facts dd', (dds) => dds.map((d) => d.textContent));
  check(facts.includes(String(r.handshake.isn.client)) && facts.includes(String(r.handshake.isn.server)),
    `${what}: the raw ISNs ${r.handshake.isn.client}/${r.handshake.isn.server} are not shown (${facts})`);
  // The packet list's first page.
  const { body: page0 } = await api(base, 'GET', `/runs/${id}/packets?offset=0&limit=50`);
  const rows = await page.$$eval('#packet-table tbody tr', (trs) => trs.map((tr) => ({
    no: Number(tr.dataset.no), role: tr.dataset.role, cls: tr.className,
    cells: [...tr.children].map((td) => td.textContent),
  })));
  checkEqual(rows.length, page0.packets.length, `${what}: packet rows on the first page`);
  rows.forEach((row, i) => {
    const p = page0.packets[i];
    checkEqual([row.no, row.role, row.cells[4], row.cells[5]],
      [p.no, p.role, p.length.toLocaleString('en-US'), p.flags], `${what}: packet row ${i + 1}`);
    if (p.role === 'handshake' || p.role === 'closure') {
      check(row.cls.includes(`row-${p.role}`), `${what}: packet ${p.no} is not marked as ${p.role}`);
    }
  });
  check((await page.textContent('#page-info')).includes(`of ${page0.total.toLocaleString('en-US')}`),
    `${what}: the pager does not name ${page0.total} packets`);
  // The time–sequence graph: a point per data segment of each direction,
  // drawn, with the sender's data in its colour.
  const { body: all } = await api(base, 'GET', `/runs/${id}/packets?offset=0&limit=10000`);
  const graphed = await page.evaluate(() => Object.fromEntries(window.Chart.getChart(document.getElementById('chart-tsg'))
    .data.datasets.map((d) => [d.label, d.data.length])));
  const segments = (side) => all.packets.filter((p) => p.from === side && p.len > 0).length;
  checkEqual([graphed['Data server → client'], graphed['Data client → server']], [segments('server'), segments('client')],
    `${what}: data segments in the time–sequence graph`);
  // Its data points alone (the ACK lines hidden a moment) make pixels.
  const visible = (onlyData) => page.evaluate((only) => {
    const chart = window.Chart.getChart(document.getElementById('chart-tsg'));
    chart.data.datasets.forEach((d, i) => chart.setDatasetVisibility(i, !only || d.label.startsWith('Data')));
    chart.update();
  }, onlyData);
  await visible(true);
  const tsg = await canvasPixels(page, '#chart-tsg', r.params.direction === 'download' ? 'orange' : 'blue');
  await visible(false);
  check(tsg.colored > 100, `${what}: the time–sequence graph's data points make ${tsg.colored} pixels of the sender's colour`);
  // The pcap link.
  checkEqual(await page.getAttribute('#run-pcap', 'href'), run.links.pcap, `${what}: the pcap link`);
  return run;
}

// The Raw JSON view shows the server's text as received, to the byte: a
// JSON.stringify of the parsed document would round the times beyond 2^53.
async function checkRawJson(page, base, run) {
  await page.click('#raw-details summary');
  await page.waitForFunction(() => document.getElementById('raw-json').textContent !== '', null, { timeout: 5000 });
  const shown = await page.textContent('#raw-json');
  const served = (await rawRequest(base, 'GET', `/runs/${run.id}`, { Accept: 'application/json' })).text;
  checkEqual(shown, served, 'the raw JSON shown');
  const first = /"first_packet_ns":\s*(\d+)/.exec(shown);
  check(first && BigInt(first[1]) > BigInt(Number.MAX_SAFE_INTEGER),
    `the raw JSON's first_packet_ns ${first && first[1]} is not beyond 2^53`);
  await page.click('#raw-details summary');
}

async function checkPcap(base, run) {
  const res = await rawRequest(base, 'GET', run.links.pcap);
  check(res.status === 200, `GET ${run.links.pcap}: ${res.status}`);
  checkEqual(res.headers['content-type'], 'application/vnd.tcpdump.pcap', 'the pcap\'s type');
  const magic = res.body.readUInt32LE(0);
  check([0xa1b2c3d4, 0xa1b23c4d].includes(magic), `the pcap starts with 0x${magic.toString(16)}`);
}

// ---- A daemon whose token guards reads too ---------------------------------

const TOKEN = 'browser-test-token-4f8e2a';

async function answerToken(page, token, expected, screenshot) {
  await page.waitForFunction((text) => document.getElementById('token-dialog').open
    && document.getElementById('token-text').textContent.includes(text), expected, { timeout: 10000 });
  if (screenshot) await shot(page, screenshot);
  await page.fill('#token-input', token);
  await page.click('#token-dialog button[value="ok"]');
}

async function checkToken(context, capture) {
  const daemon = new Daemon(wiremeter, webRoot, { args: ['--protect-reads'], env: { WIREMETER_TOKEN: TOKEN } });
  await daemon.start();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  try {
    await page.goto(`http://localhost:${daemon.port}/`);
    await answerToken(page, 'not-the-token-0123456789', 'Authorization: Bearer', 'token-asked.png');
    await answerToken(page, TOKEN, 'not the one this server was given', 'token-wrong.png');
    await page.waitForSelector('#history-empty:not([hidden])', { timeout: 10000 });
    checkEqual(await page.evaluate(() => sessionStorage.getItem('wiremeter-token')), TOKEN, 'the token kept for the tab');
    check(!(await page.evaluate(() => document.getElementById('token-dialog').open)), 'the token dialog is still open');
    if (capture) {
      await page.fill('#f-size', '13B');
      await page.click('#run-button');
      await page.waitForURL(/#\/runs\/\d+$/, { timeout: 60000 });
      const id = Number(/#\/runs\/(\d+)$/.exec(page.url())[1]);
      await waitRendered(page, id);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#run-pcap')]);
      const magic = fs.readFileSync(await download.path()).readUInt32LE(0);
      check([0xa1b2c3d4, 0xa1b23c4d].includes(magic), `the pcap downloaded with the token starts with 0x${magic.toString(16)}`);
      // A sweep's report, its list and its downloads, all with the token.
      const auth = { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' };
      const made = await rawRequest(daemon.base, 'POST', '/sweeps?sizes=13B&repeat=1&wait=60', auth);
      check(made.status === 201, `POST /sweeps with the token: ${made.status} ${made.text.slice(0, 200)}`);
      const sweepId = made.json().id;
      await page.goto(`http://localhost:${daemon.port}/#/sweeps`);
      await page.waitForSelector(`#sweeps-table tr[data-sweep-id="${sweepId}"]`, { timeout: 10000 });
      await page.click(`#sweeps-table tr[data-sweep-id="${sweepId}"] a`);
      await page.waitForFunction((want) => document.getElementById('sweep-view').dataset.renderedSweep === String(want),
        sweepId, { timeout: 10000 });
      for (const [button, want] of [['#sweep-csv', /^size,/], ['#sweep-svg', /<svg[\s>]/], ['#sweep-html', /<html/i]]) {
        const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
        const text = fs.readFileSync(await file.path(), 'utf8');
        check(want.test(text), `${button} downloaded with the token: "${text.slice(0, 80)}"`);
      }
    }
    checkEqual(errors, [], 'errors in the page with a token');
    log(`token: asked on the first 401, asked again when wrong, kept for the tab${capture
      ? ', a run and its pcap, a sweep\'s report and its CSV, SVG and printable page with it' : ''}`);
  } catch (err) {
    log(`daemon log (token):\n${daemon.log()}`);
    throw err;
  } finally {
    await page.close();
    await daemon.stop();
    daemon.removeData();
  }
}

// ---- Home: the lab sweep, the tables, the charts, the history -------------

async function checkSweep(page, base) {
  await page.goto(`${base}/#/`);
  await page.waitForSelector('#sweep-button:not([disabled])');
  // One repeat here (the report's test, test_report.mjs, runs three).
  await page.fill('#f-repeat', '1');
  await page.click('#sweep-button');
  // Its report opens when it ends.
  await page.waitForURL(/#\/sweeps\/\d+$/, { timeout: 120000 });
  const sweepId = Number(/#\/sweeps\/(\d+)$/.exec(page.url())[1]);
  const { body: sweep } = await api(base, 'GET', `/sweeps/${sweepId}`);
  checkEqual(sweep.runs.map((r) => r.status), ['done', 'done', 'done', 'done'], 'the sweep\'s runs');
  await page.goto(`${base}/#/`);
  await page.waitForSelector('#sweep-button:not([disabled])');
  await page.waitForFunction(() => document.querySelectorAll('#lab-groups tbody tr').length === 4, null, { timeout: 10000 });
  await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr').length === 5, null, { timeout: 10000 });

  const { body: list } = await api(base, 'GET', '/runs?limit=200');
  checkEqual(list.runs.length, 5, 'runs after the 1 MB run and the sweep');
  // The lab table: the medians of the API's summaries, per size.
  const bySize = new Map();
  for (const run of list.runs) {
    if (!bySize.has(run.params.size)) bySize.set(run.params.size, []);
    bySize.get(run.params.size).push(run.summary);
  }
  checkEqual(await page.$$eval('#lab-groups .lab-group', (gs) => gs.length), 1, 'groups of settings in the lab tables');
  const lab = await page.$$eval('#lab-groups tbody tr', (trs) => trs.map((tr) => [...tr.children]
    .map((c) => c.dataset.value ?? c.textContent)));
  checkEqual(lab.map((row) => Number(row[0])), [13, 2000, 439000, 1000000], 'the lab table\'s sizes');
  for (const row of lab) {
    const sums = bySize.get(Number(row[0]));
    checkEqual(row.slice(1).map(Number), [sums.length, median(sums.map((s) => s.packets)),
      median(sums.map((s) => s.total_ns)), median(sums.map((s) => s.average_packet_size))],
    `the lab table's row for ${row[0]} bytes`);
  }
  // The history: one row per run, figures as the API lists them.
  const history = await page.$$eval('#history-table tbody tr', (trs) => trs.map((tr) => ({
    id: Number(tr.dataset.runId),
    size: Number(tr.querySelector('td.col-size').dataset.value),
    packets: Number(tr.querySelector('td.col-packets').dataset.value),
    total: Number(tr.querySelector('td.col-total').dataset.value),
    avg: Number(tr.querySelector('td.col-avg').dataset.value),
    packetsText: tr.querySelector('td.col-packets').textContent,
    status: tr.querySelector('.badge').textContent,
  })));
  checkEqual(history.map((h) => [h.id, h.size, h.packets, h.total, h.avg, h.packetsText, h.status]),
    list.runs.map((r) => [r.id, r.params.size, r.summary.packets, r.summary.total_ns, r.summary.average_packet_size,
      r.summary.packets.toLocaleString('en-US'), r.status]), 'the history table');
  // The charts: one point per run, the medians, drawn in pixels.
  for (const id of ['chart-packets', 'chart-time']) {
    const counts = await page.evaluate((canvasId) => {
      const chart = window.Chart.getChart(document.getElementById(canvasId));
      return { points: chart.data.datasets[0].data.length, medians: chart.data.datasets[1].data.length,
        scale: chart.scales.x.type, xTitle: chart.options.scales.x.title.text, yTitle: chart.options.scales.y.title.text };
    }, id);
    checkEqual([counts.points, counts.medians, counts.scale], [5, 4, 'logarithmic'], `${id}: points, medians, x scale`);
    check(/bytes/.test(counts.xTitle) && /\(.+\)/.test(counts.yTitle), `${id}: axis titles without units (${counts.xTitle}; ${counts.yTitle})`);
    const px = await canvasPixels(page, `#${id}`, 'blue');
    check(px.drawn > 1000 && px.colored > 40, `${id}: ${px.drawn} pixels drawn, ${px.colored} of the points' blue`);
  }
  log('lab sweep: 4 runs; lab table = API medians; history = API list; both charts drawn (5 points, 4 medians)');
  return list.runs;
}

// The form's presets and a run's page, by keyboard alone.
async function checkKeyboard(page) {
  await page.focus('#f-size');
  await page.keyboard.press('Tab');
  checkEqual(await page.evaluate(() => document.activeElement.textContent), '13 B', 'focus after Tab from the size field');
  await page.keyboard.press('Enter');
  checkEqual(await page.inputValue('#f-size'), '13B', 'the size after Enter on the 13 B preset');
  const first = await page.$eval('#history-table tbody tr', (tr) => Number(tr.dataset.runId));
  await page.focus('#history-table tbody tr a');
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`#/runs/${first}$`));
  await waitRendered(page, first);
  checkEqual(await page.evaluate(() => document.activeElement.id), 'run-title', 'focus after opening a run');
  // The pointer off the page's terms: a term it hovers opens its
  // explanation, and Escape would close that first.
  await page.mouse.move(0, 0);
  await page.keyboard.press('Escape');
  await page.waitForURL(/#\/$/);
  await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr').length > 0);
  log(`keyboard: Tab to a preset and Enter, Enter on run ${first}'s link (focus on its heading), Escape back`);
}

async function checkDelete(page, base, runs) {
  const victim = runs.find((r) => r.params.size === 13);
  const button = `#history-table tr[data-run-id="${victim.id}"] button`;
  await page.click(button);
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-dialog button[value="cancel"]');
  await page.waitForSelector('#confirm-dialog[open]', { state: 'detached' });
  checkEqual((await api(base, 'GET', `/runs/${victim.id}`)).status, 200, 'the run after Cancel');
  await page.click(button);
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-dialog button[value="delete"]');
  await page.waitForSelector(`#history-table tr[data-run-id="${victim.id}"]`, { state: 'detached', timeout: 10000 });
  checkEqual((await api(base, 'GET', `/runs/${victim.id}`)).status, 404, 'the run after Delete was confirmed');
  log(`delete: Cancel keeps run ${victim.id}, Delete removes it`);
}

async function checkMore(page, base) {
  // 21 runs in all, one more than the history's first page.
  const { body: before } = await api(base, 'GET', '/runs?limit=200');
  for (let i = before.runs.length; i < 21; i += 1) {
    const res = await api(base, 'POST', '/runs?size=0&wait=0&label=more');
    check(res.status === 201 || res.status === 202, `POST /runs?size=0: ${res.status}`);
  }
  await page.click('#refresh-button');
  await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr').length === 20, null, { timeout: 10000 });
  check(await page.isVisible('#more-button'), 'no "More" button with 21 runs');
  await page.click('#more-button');
  await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr').length === 21, null, { timeout: 10000 });
  check(!(await page.isVisible('#more-button')), 'the "More" button is still there on the last page');
  const ids = await page.$$eval('#history-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.runId)));
  checkEqual(ids, [...ids].sort((a, b) => b - a), 'the history order (newest first)');
  checkEqual(new Set(ids).size, 21, 'distinct runs in the history');
  log('history: 20 rows, "More" adds the 21st and goes away');
}

function publish(files) {
  if (!docsShots) return;
  fs.mkdirSync(docsShots, { recursive: true });
  for (const [from, name] of files) {
    fs.copyFileSync(from, path.join(docsShots, name));
    log(`copied to ${path.join(docsShots, name)}`);
  }
}

// ---- Main ------------------------------------------------------------------

async function main() {
  check(wiremeter && fs.existsSync(wiremeter), `usage: node test_page.mjs path/to/wiremeter (got ${wiremeter})`);
  check(fs.existsSync(chromiumPath), `no Chromium at ${chromiumPath}: apt-get install chromium (scripts/install-deps.sh --test)`);
  const { chromium } = loadPlaywright();
  fs.mkdirSync(artifacts, { recursive: true });
  const daemon = new Daemon(wiremeter, webRoot);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-chromium-'));
  let context = null;
  let ok = false;
  let outcome = 0;
  const pageErrors = [];
  try {
    const health = await daemon.start();
    log(`daemon on ${daemon.base}, data in ${daemon.dataDir}`);
    await checkStatic(daemon.base);

    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, viewport: WIDE,
    });
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`uncaught: ${err.message}`));
    page.on('console', (msg) => {
      // The browser logs every 4xx answer; the 1XB step makes one on purpose.
      if (msg.type() === 'error' && !/status of 400/.test(msg.text()) && !expectedNotFound(msg)) pageErrors.push(`console: ${msg.text()}`);
    });
    await page.goto(`${daemon.base}/`);
    await page.waitForSelector('#run-form');
    check(await page.evaluate(() => typeof window.Chart === 'function'), 'Chart.js did not load from /vendor/chart.js');
    await page.waitForFunction(() => document.getElementById('health-text').textContent !== 'Health');
    await checkSizeError(page, daemon.base);
    await checkToken(context, health.capture.permitted);

    if (!health.capture.permitted) {
      await shot(page, 'home-no-capture.png');
      const why = `capture is not permitted here (${health.capture.reason}), so no run can be made`;
      if (captureRequired()) throw new Failure(`${why} (WIREMETER_REQUIRE_CAPTURE=1, so this is a failure)`);
      log(`SKIP: the static files and the form's errors pass; ${why}`);
      outcome = SKIP;
      ok = true;
      return outcome;
    }

    // A 1 MB run through the form; the page opens it when it ends.
    await page.fill('#f-size', '');
    await page.click('.presets [data-size="1MB"]');
    checkEqual(await page.inputValue('#f-size'), '1MB', 'the size after the 1 MB preset');
    checkEqual(await page.getAttribute('.presets [data-size="1MB"]', 'aria-pressed'), 'true', 'the 1 MB preset pressed');
    await page.selectOption('#f-direction', 'download');
    await page.click('#run-button');
    await page.waitForURL(/#\/runs\/\d+$/, { timeout: 60000 });
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())[1]);
    await waitRendered(page, id);
    const run = await checkRunShown(page, daemon.base, id, '1 MB run');
    checkEqual(run.params.size, 1000000, 'the size of the run the form made');
    checkEqual(run.result.integrity.verified, true, 'integrity of the 1 MB run');
    await checkRawJson(page, daemon.base, run);
    await checkPcap(daemon.base, run);
    await checkLadderLegible(page, 'wide');
    log(`run ${id}: cards, ladder, facts, packet list, graph, pcap and raw JSON agree with GET /runs/${id}`);
    const runWide = await shot(page, 'run-wide.png');

    // Its URL, reloaded, shows the same run.
    await page.reload();
    await waitRendered(page, id);
    await checkRunShown(page, daemon.base, id, 'reloaded');
    log(`reload of #/runs/${id}: the same run`);

    // Phone width: the ladder redrawn for it, legible, nothing overflowing.
    await page.setViewportSize(NARROW);
    await page.waitForFunction(() => {
      const svg = document.querySelector('#ladder svg');
      return svg && Number(svg.getAttribute('width')) <= document.getElementById('ladder').clientWidth;
    }, null, { timeout: 5000 });
    await checkLadderLegible(page, 'narrow');
    await checkNoHorizontalOverflow(page, 'run at 390 px');
    const runNarrow = await shot(page, 'run-narrow.png');

    await page.setViewportSize(WIDE);
    const runs = await checkSweep(page, daemon.base);
    await page.evaluate(() => document.activeElement.blur());
    const homeWide = await shot(page, 'home-wide.png');
    await page.setViewportSize(NARROW);
    await checkNoHorizontalOverflow(page, 'home at 390 px');
    const homeNarrow = await shot(page, 'home-narrow.png');
    await page.setViewportSize(WIDE);

    await checkKeyboard(page);
    await checkDelete(page, daemon.base, runs);
    await checkMore(page, daemon.base);
    checkEqual(pageErrors, [], 'errors in the page');
    publish([[runWide, 'wide.png'], [runNarrow, 'narrow.png'], [homeWide, 'home-wide.png'], [homeNarrow, 'home-narrow.png']]);
    ok = true;
  } finally {
    if (context) await context.close();
    await daemon.stop();
    fs.copyFileSync(daemon.logPath, path.join(artifacts, 'daemon.log'));
    if (ok) daemon.removeData();
    else log(`daemon log (${daemon.logPath}):\n${daemon.log()}`);
    fs.rmSync(profile, { recursive: true, force: true });
    if (pageErrors.length) log(`page errors:\n${pageErrors.join('\n')}`);
  }
  log('PASS');
  return outcome;
}

main().then((code) => process.exit(code), (err) => {
  log(err instanceof Failure ? `FAIL: ${err.message}` : `FAIL: ${err.stack || err}`);
  process.exit(1);
});
