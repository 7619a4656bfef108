// Paths and time series on the page (issue 13), in Debian's headless
// Chromium against the real daemon (ctest label "browser"):
//
//   node tests/browser/test_paths.mjs path/to/wiremeter
//   env: as test_page.mjs (WM_NODE_MODULES, WM_ARTIFACTS, WM_WEB_ROOT,
//        WM_DOCS_SCREENSHOTS with WM_UPDATE_SCREENSHOTS=1, WM_CHROMIUM)
//
// Without capture or links: the form shows the link's settings (the loss's
// seed among them, each direction's overrides folded apart) only for
// path=link and its named-path picker fills them (or is absent when GET
// /presets answers 404). With them (else exit 77, or a failure under
// WIREMETER_REQUIRE_CAPTURE=1): a lossy link run (rate=100mbit behind a
// 16 KB queue: tail drops) with cubic, then one with reno; the first's
// view draws every graph, and one point of each kind of mark, read from
// the Chart.js instances, equals its row of GET /runs/{id}/series (its
// tooltip names its frame); a drag zooms every graph alike; the path
// drawing carries the run's settings, and a third run's link, 100 Mbit/s
// toward the client and 20 Mbit/s toward the server, is drawn with an
// arrow per direction saying its own; the compare view, entered by ticking
// both runs in the history, overlays both on every graph and marks the
// congestion row as the difference.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  api, artifacts, captureRequired, check, checkEqual, CHROMIUM_ARGS, chromiumPath,
  Daemon, docsShots, expectedNotFound, Failure, loadPlaywright, log, rawRequest, shot,
  SKIP, webRoot
} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };
const LINK_RUN = 'size=10MB&path=link&rate=100mbit&queue=16KB';
// A link that differs by direction: each arrow of the drawing says its own.
const ASYMMETRIC_RUN = 'size=1MB&path=link&rate_to_client=100mbit&rate_to_server=20mbit&loss_to_server=1&seed=7';
const LINK_FIELDS = ['mtu', 'offload', 'rate', 'queue', 'loss', 'seed', 'delay', 'jitter'];

const wiremeter = process.argv[2];

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// ---- The form (no capture needed) -------------------------------------------

async function checkForm(page, base) {
  await page.goto(`${base}/#/`);
  await page.waitForSelector('#settings-path [data-param="path"]', { timeout: 10000 });
  const hidden = () => page.$$eval('#settings-path [data-param]', (fields) => Object.fromEntries(
    fields.map((f) => [f.dataset.param, f.hidden])));
  const onLoopback = await hidden();
  for (const name of LINK_FIELDS) checkEqual(onLoopback[name], true, `the ${name} field on the loopback path hidden`);
  await page.selectOption('#f-path', 'link');
  const onLink = await hidden();
  for (const name of LINK_FIELDS) checkEqual(onLink[name], false, `the ${name} field on the link path shown`);
  const ways = await page.$$eval('.path-ways [data-param]', (fields) => fields.map((f) => f.dataset.param));
  check(ways.length === 10 && ways.every((n) => /_to_(client|server)$/.test(n)) && ways[0] === 'rate_to_client'
    && ways[1] === 'rate_to_server', `the fields of each direction apart: ${ways.join(', ')}`);
  await page.fill('#f-rate', '10mbit');
  await page.selectOption('#f-path', 'loopback');
  checkEqual(await page.inputValue('#f-rate'), '', 'the rate once the path is back to loopback (refused there)');
  check(await page.isHidden('.path-ways'), 'each direction\'s fields shown on the loopback path');
  const presets = await api(base, 'GET', '/presets');
  if (presets.status === 404) {
    check(await page.isHidden('.path-preset-field'), 'the named-path picker is shown though GET /presets answers 404');
    log('form: the link\'s fields only on path=link; no GET /presets here (404), so no picker');
    return;
  }
  checkEqual(presets.status, 200, 'GET /presets');
  const preset = presets.body.presets.find((p) => p.available !== false);
  check(preset, 'GET /presets names no preset this host can run');
  await page.waitForSelector('.path-preset-field:not([hidden])');
  await page.selectOption('#f-path-preset', preset.name);
  for (const [name, value] of Object.entries(preset.params)) {
    const input = await page.$(`#f-${name}`);
    if (!input) continue;
    if ((await input.getAttribute('type')) === 'checkbox') {
      checkEqual(await input.isChecked(), ['true', '1', 'yes', 'on'].includes(String(value).toLowerCase()),
        `the ${name} box after the "${preset.name}" preset (${value})`);
    } else {
      checkEqual(await input.inputValue(), String(value), `the ${name} field after the "${preset.name}" preset`);
    }
  }
  log(`form: the link's fields only on path=link; the "${preset.name}" preset fills them`);
}

// ---- A link run and its series ---------------------------------------------------

async function linkRun(base, congestion, query = LINK_RUN) {
  const made = await api(base, 'POST', `/runs?${query}&congestion=${congestion}&wait=0`);
  check(made.status === 202 || made.status === 201 || made.status === 200,
    `POST /runs (${query}, ${congestion}): ${made.status} ${JSON.stringify(made.body)}`);
  const deadline = Date.now() + 60000;
  for (;;) {
    const { body: run } = await api(base, 'GET', `/runs/${made.body.id}`);
    if (run.status === 'done') return run;
    check(run.status !== 'failed', `the ${congestion} link run failed: ${JSON.stringify(run.error)}`);
    check(Date.now() < deadline, `the ${congestion} link run did not end within 60 s`);
    await sleep(200);
  }
}

// GET /runs/{id}/series: the document the page draws from, the one its
// points are compared with.
async function seriesOf(base, run) {
  const res = await api(base, 'GET', `/runs/${run.id}/series`);
  checkEqual(res.status, 200, `GET /runs/${run.id}/series`);
  return res.body;
}

// What a drawn point must be, from its row of the document: the table it
// comes from, how a row is found, and x/y as the page computes them.
const KINDS = {
  segment: ['segments', (r) => r.seq + r.len],
  retransmission: ['segments', (r) => r.seq + r.len],
  lost: ['segments', (r) => r.seq + r.len],
  ack: ['acks', (r) => r.ack],
  throughput: ['throughput', (r) => r.bits_per_second / 1e6],
  goodput: ['goodput', (r) => r.bits_per_second / 1e6],
  rtt: ['rtt', (r) => r.rtt_ns / 1e6],
  srtt: ['kernel', (r) => r.rtt_us / 1e3],
  window: ['window', (r) => r.bytes],
  in_flight: ['in_flight', (r) => r.bytes],
  cwnd: ['kernel', (r) => r.cwnd * r.mss],
};
const GRAPH_KINDS = {
  tsg: ['segment', 'ack', 'retransmission', 'lost'],
  throughput: ['throughput', 'goodput'],
  rtt: ['rtt', 'srtt'],
  window: ['window', 'in_flight', 'cwnd'],
};

function tableOf(doc, table) {
  return table === 'kernel' ? doc.kernel.samples : doc[table];
}

// Every graph drawn (pixels in its plot), and of each kind of mark the
// middle point: its x, y and row against the document, its tooltip's frame.
async function checkGraphs(page, doc) {
  for (const [graph, kinds] of Object.entries(GRAPH_KINDS)) {
    const drawn = await page.$eval(`#series-graphs canvas[data-graph="${graph}"]`, (canvas) => {
      const chart = window.Chart.getChart(canvas);
      const a = chart.chartArea;
      const scale = canvas.width / canvas.clientWidth;
      const { data } = canvas.getContext('2d').getImageData(Math.round(a.left * scale), Math.round(a.top * scale),
        Math.round((a.right - a.left) * scale), Math.round((a.bottom - a.top) * scale));
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 160 && data[i] + data[i + 1] + data[i + 2] < 600) inked += 1;
      return { inked, kinds: chart.data.datasets.map((d) => d.kind) };
    });
    checkEqual(drawn.kinds, kinds, `the kinds of marks on the ${graph} graph`);
    check(drawn.inked > 500, `the ${graph} graph's plot has only ${drawn.inked} inked pixels: not drawn`);
    for (const kind of kinds) {
      const point = await page.$eval(`#series-graphs canvas[data-graph="${graph}"]`, (canvas, k) => {
        const chart = window.Chart.getChart(canvas);
        const dataset = chart.data.datasets.find((d) => d.kind === k);
        const p = dataset.data[Math.floor(dataset.data.length / 2)];
        if (!p) return { count: 0 };
        const tooltip = chart.options.plugins.tooltip.callbacks.label({ dataset, raw: p });
        return { count: dataset.data.length, x: p.x, y: p.y, frame: p.frame ?? null, row: p.row, tooltip };
      }, kind);
      check(point.count > 0, `no ${kind} marks on the ${graph} graph`);
      const [table, yOf] = KINDS[kind];
      const rows = tableOf(doc, table);
      const row = rows.find((r) => (r.frame !== undefined ? r.frame === point.frame : r.t_ns === point.row.t_ns));
      check(row, `the ${kind} point of frame ${point.frame} (t ${point.row.t_ns} ns) is in no row of ${table}`);
      checkEqual(point.row, row, `the ${kind} point's row against GET /runs/{id}/series ${table}`);
      check(Math.abs(point.x - row.t_ns / 1e6) < 1e-9, `the ${kind} point's time: ${point.x} ms, the row's ${row.t_ns} ns`);
      check(Math.abs(point.y - yOf(row)) < 1e-9, `the ${kind} point's value: ${point.y}, from the row ${yOf(row)}`);
      if (row.frame !== undefined) check(point.tooltip.includes(`frame ${row.frame}`), `the ${kind} tooltip "${point.tooltip}" names no frame ${row.frame}`);
    }
  }
  const lost = doc.segments.filter((s) => s.lost_on_link).length;
  const drawnLost = await page.$eval('#series-graphs canvas[data-graph="tsg"]', (canvas) => window.Chart.getChart(canvas)
    .data.datasets.find((d) => d.kind === 'lost').data.length);
  checkEqual(drawnLost, lost, 'segments marked lost on the link');
  const csv = await page.$$eval('#series-graphs a.csv-link', (links) => links.map((a) => a.getAttribute('href')));
  check(csv.length >= 8 && csv.every((h) => /\/series\?format=csv&table=[a-z_]+$/.test(h)), `the CSV links: ${csv.join(' ')}`);
  log(`graphs: 4 drawn, one point of each of 11 kinds of mark equals GET /runs/{id}/series; `
    + `${lost} segments lost on the link marked; ${csv.length} CSV links`);
  return csv;
}

// A drag over the time–sequence graph zooms every graph to the same span;
// "Whole run" undoes it.
async function checkZoom(page, firstLossMs) {
  const canvas = await page.$('#series-graphs canvas[data-graph="tsg"]');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const area = await page.$eval('#series-graphs canvas[data-graph="tsg"]', (c) => window.Chart.getChart(c).chartArea);
  const y = box.y + (area.top + area.bottom) / 2;
  await page.mouse.move(box.x + area.left + 100, y);
  await page.mouse.down();
  await page.mouse.move(box.x + area.left + 200, y, { steps: 4 });
  await page.mouse.up();
  const ranges = await page.$$eval('#series-graphs canvas', (cs) => cs.map((c) => {
    const x = window.Chart.getChart(c).scales.x;
    return [x.min, x.max];
  }));
  check(ranges[0][0] > 0 && ranges[0][1] > ranges[0][0], `the zoomed span ${JSON.stringify(ranges[0])}`);
  checkEqual(ranges.map((r) => r.join()), ranges.map(() => ranges[0].join()), 'the time span of every graph after a drag');
  // Then to a few ms around the first loss, for the picture of one.
  await page.click('#series-graphs [data-action="zoom-reset"]');
  const [from, to] = await page.$eval('#series-graphs canvas[data-graph="tsg"]', (c, t) => {
    const chart = window.Chart.getChart(c);
    const inside = (px) => Math.min(chart.chartArea.right - 1, Math.max(chart.chartArea.left + 1, px));
    return [inside(chart.scales.x.getPixelForValue(t - 4)), inside(chart.scales.x.getPixelForValue(t + 16))];
  }, firstLossMs);
  await page.mouse.move(box.x + from, y);
  await page.mouse.down();
  await page.mouse.move(box.x + to, y, { steps: 4 });
  await page.mouse.up();
  await page.mouse.move(0, 0); // no tooltip over the picture
  const zoomed = await shot(await page.$('#series-panel'), 'series-zoom-wide.png');
  await page.click('#series-graphs [data-action="zoom-reset"]');
  const reset = await page.$eval('#series-graphs canvas', (c) => window.Chart.getChart(c).scales.x.min);
  checkEqual(reset, 0, 'the time axis after "Whole run"');
  log(`zoom: a drag set every graph to ${ranges[0].map((v) => v.toFixed(1)).join('–')} ms; "Whole run" undid it`);
  return zoomed;
}

async function checkPathDrawing(page, run) {
  const drawing = await page.$eval('#path-drawing svg', (svg) => ({
    path: svg.dataset.path,
    settings: Object.fromEntries([...svg.querySelectorAll('[data-setting]')].map((t) => [t.dataset.setting, JSON.parse(t.dataset.value)])),
    texts: [...svg.querySelectorAll('text')].map((t) => t.textContent),
  }));
  checkEqual(drawing.path, 'link', 'the path drawn');
  for (const name of ['mtu', 'offload', 'rate', 'queue', 'loss', 'delay']) {
    checkEqual(drawing.settings[name], run.params[name], `the path drawing's ${name}`);
  }
  const { client, server } = run.result.connection;
  check(drawing.texts.includes(client.ip) && drawing.texts.includes(server.ip),
    `the path drawing does not show the hosts' addresses ${client.ip} and ${server.ip}: ${drawing.texts.join(' | ')}`);
  check(drawing.texts.some((t) => t.includes('100 Mbit/s')), 'the path drawing does not say 100 Mbit/s');
  log(`path: two hosts ${client.ip} and ${server.ip}, the link's settings as the run's params`);
}

// The asymmetric run: toward the server (above the link) 20 Mbit/s and the
// loss, toward the client (below, the data's way on a download)
// 100 Mbit/s; the list says both rates and the loss's seed.
async function checkAsymmetricDrawing(page, base, run) {
  await page.goto(`${base}/#/runs/${run.id}`);
  await page.waitForSelector('#path-drawing svg [data-way]', { timeout: 10000 });
  const drawing = await page.$eval('#path-drawing svg', (svg) => ({
    ways: Object.fromEntries([...svg.querySelectorAll('[data-way]')].map((t) => [t.dataset.way,
      { text: t.textContent, data: t.classList.contains('path-data-text'), y: Number(t.getAttribute('y')) }])),
    settings: Object.fromEntries([...svg.querySelectorAll('[data-setting]')].map((t) => [t.dataset.setting, t.textContent])),
    linkY: Number(svg.querySelector('.path-link').getAttribute('y1')),
  }));
  const { client, server } = drawing.ways;
  check(server && client, `the drawing has no arrow per direction: ${JSON.stringify(drawing.ways)}`);
  check(server.text.includes('20 Mbit/s') && server.text.includes('loss 1 %') && server.text.endsWith('→'),
    `the arrow toward the server says "${server.text}"`);
  check(client.text.includes('100 Mbit/s') && client.text.startsWith('←'), `the arrow toward the client says "${client.text}"`);
  check(server.y < drawing.linkY && client.y > drawing.linkY, 'toward the server above the link, toward the client below');
  check(client.data && !server.data, 'the data (a download) is not drawn on the arrow toward the client');
  check(drawing.settings.rate.includes('20 Mbit/s') && drawing.settings.rate.includes('100 Mbit/s'),
    `the rate line "${drawing.settings.rate}"`);
  check(drawing.settings.loss.includes('seed 7'), `the loss line "${drawing.settings.loss}" names no seed`);
  log(`asymmetric path: "${server.text}" above, "${client.text}" below; ${drawing.settings.loss}`);
  return shot(await page.$('#path-panel'), 'path-asymmetric-wide.png');
}

async function checkCompare(page, base, runs, docs) {
  await page.goto(`${base}/#/`);
  for (const run of runs) await page.check(`#history-table input.compare-pick[value="${run.id}"]`);
  await page.click('#compare-link');
  const want = runs.map((r) => r.id).sort((a, b) => a - b).join(',');
  await page.waitForFunction((w) => document.getElementById('compare-view').dataset.renderedCompare === w, want,
    { timeout: 30000 });
  const legend = await page.$$eval('#compare-legend li', (lis) => lis.map((li) => li.textContent));
  checkEqual(legend.map((t) => /congestion (\w+)/.exec(t)?.[1]), ['cubic', 'reno'], 'the compare legend\'s distinguishing settings');
  const diff = await page.$$eval('#compare-table tr.diff', (trs) => trs.map((tr) => tr.dataset.param));
  check(diff.includes('congestion') && !diff.includes('size') && !diff.includes('rate'),
    `the rows marked as differing: ${diff.join(', ')}`);
  for (const graph of Object.keys(GRAPH_KINDS)) {
    const perRun = await page.$eval(`#compare-graphs canvas[data-graph="${graph}"]`, (canvas) => {
      const counts = {};
      for (const d of window.Chart.getChart(canvas).data.datasets) counts[d.run] = (counts[d.run] || 0) + d.data.length;
      return counts;
    });
    checkEqual(Object.keys(perRun).length, 2, `runs overlaid on the compared ${graph} graph`);
    for (const [name, n] of Object.entries(perRun)) check(n > 0, `${name} has no points on the compared ${graph} graph`);
  }
  const segments = await page.$eval('#compare-graphs canvas[data-graph="tsg"]', (canvas) => window.Chart.getChart(canvas)
    .data.datasets.filter((d) => d.kind === 'segment' || d.kind === 'lost').map((d) => d.data.length));
  checkEqual(segments.reduce((a, b) => a + b, 0), docs[0].segments.length + docs[1].segments.length,
    'segments drawn on the compared time–sequence graph');
  log(`compare: runs ${want} (${legend.join(' / ')}) overlaid on 4 graphs; congestion marked as the difference`);
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
  check(wiremeter && fs.existsSync(wiremeter), `usage: node test_paths.mjs path/to/wiremeter (got ${wiremeter})`);
  check(fs.existsSync(chromiumPath), `no Chromium at ${chromiumPath}: apt-get install chromium (scripts/install-deps.sh --test)`);
  const { chromium } = loadPlaywright();
  fs.mkdirSync(artifacts, { recursive: true });
  const daemon = new Daemon(wiremeter, webRoot);
  let browser = null;
  let ok = false;
  let outcome = 0;
  const pageErrors = [];
  try {
    const health = await daemon.start();
    log(`daemon on ${daemon.base}, data in ${daemon.dataDir}`);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: WIDE });
    page.on('pageerror', (err) => pageErrors.push(`uncaught: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !expectedNotFound(msg)) pageErrors.push(`console: ${msg.text()}`);
    });
    await checkForm(page, daemon.base);

    const link = health.capabilities && health.capabilities.link;
    const why = !health.capture.permitted ? `capture is not permitted here (${health.capture.reason})`
      : !(link && link.available) ? `this daemon cannot make a link (${link ? link.reason : 'no capabilities.link in /healthz'})` : null;
    if (why) {
      if (captureRequired()) throw new Failure(`${why} (WIREMETER_REQUIRE_CAPTURE=1, so this is a failure)`);
      log(`SKIP: the form passes; ${why}, so no link run can be made`);
      outcome = SKIP;
      ok = true;
      return outcome;
    }

    const runs = [await linkRun(daemon.base, 'cubic'), await linkRun(daemon.base, 'reno')];
    const lost = runs[0].result.ends.sender_to_receiver.lost_frames;
    check(lost > 0, `the cubic run lost no frame on its link (${LINK_RUN}): not the lossy run this test needs`);
    const docs = [];
    for (const run of runs) docs.push(await seriesOf(daemon.base, run));

    const [run] = runs;
    await page.goto(`${daemon.base}/#/runs/${run.id}`);
    await page.waitForFunction((id) => document.getElementById('run-view').dataset.seriesRun === String(id), run.id,
      { timeout: 30000 });
    log(`run ${run.id}: ${lost} frames lost on the link, ${run.result.totals.retransmissions} retransmissions`);
    const csv = await checkGraphs(page, docs[0]);
    const res = await rawRequest(daemon.base, 'GET', csv[0]);
    checkEqual(res.status, 200, `GET ${csv[0]}`);
    check(res.text.split('\n')[0].startsWith('t_ns,'), `${csv[0]}: the header "${res.text.split('\n')[0]}"`);
    const seriesZoom = await checkZoom(page, docs[0].segments.find((s) => s.lost_on_link).t_ns / 1e6);
    await checkPathDrawing(page, run);
    await page.evaluate(() => window.scrollTo(0, 0));
    const seriesWide = await shot(await page.$('#series-panel'), 'series-wide.png');
    const pathWide = await shot(await page.$('#path-panel'), 'path-wide.png');
    await page.setViewportSize(NARROW);
    await page.waitForFunction(() => Number(document.querySelector('#path-drawing svg').getAttribute('width'))
      <= document.getElementById('path-drawing').clientWidth, null, { timeout: 5000 });
    await page.waitForTimeout(300); // Chart.js resizes on its ResizeObserver
    const seriesNarrow = await shot(await page.$('#series-panel'), 'series-narrow.png');
    const pathNarrow = await shot(await page.$('#path-panel'), 'path-narrow.png');
    await page.setViewportSize(WIDE);
    const pathAsymmetric = await checkAsymmetricDrawing(page, daemon.base, await linkRun(daemon.base, 'cubic', ASYMMETRIC_RUN));

    await checkCompare(page, daemon.base, runs, docs);
    const compareWide = await shot(page, 'compare-wide.png');
    await page.setViewportSize(NARROW);
    await page.waitForTimeout(300);
    const compareNarrow = await shot(page, 'compare-narrow.png');
    checkEqual(pageErrors, [], 'errors in the page');
    publish([[seriesWide, 'series-wide.png'], [seriesZoom, 'series-zoom-wide.png'], [seriesNarrow, 'series-narrow.png'], [pathWide, 'path-wide.png'],
      [pathNarrow, 'path-narrow.png'], [pathAsymmetric, 'path-asymmetric-wide.png'], [compareWide, 'compare-wide.png'], [compareNarrow, 'compare-narrow.png']]);
    ok = true;
  } finally {
    if (browser) await browser.close();
    await daemon.stop();
    fs.copyFileSync(daemon.logPath, path.join(artifacts, 'daemon-paths.log'));
    if (ok) daemon.removeData();
    else log(`daemon log (${daemon.logPath}):\n${daemon.log()}`);
    if (pageErrors.length) log(`page errors:\n${pageErrors.join('\n')}`);
  }
  log('PASS');
  return outcome;
}

main().then((code) => process.exit(code), (err) => {
  log(err instanceof Failure ? `FAIL: ${err.message}` : `FAIL: ${err.stack || err}`);
  process.exit(1);
});
