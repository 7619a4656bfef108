// The lab report on the page, in Debian's headless Chromium against the
// real daemon (ctest label "browser", tests/browser.cmake):
//
//   node tests/browser/test_report.mjs path/to/wiremeter
//   env: as test_page.mjs (WM_NODE_MODULES, WM_ARTIFACTS, WM_WEB_ROOT,
//        WM_DOCS_SCREENSHOTS with WM_UPDATE_SCREENSHOTS=1, WM_CHROMIUM)
//
// Without capture: the form's settings are the API's parameters (every
// one of POST /runs, with its default), and the handout preset sets and
// explains its settings. With capture (else exit 77, or a failure under
// WIREMETER_REQUIRE_CAPTURE=1): a lab sweep of 3 repeats from the page,
// then its report's every cell against GET /sweeps/{id}, an absolute time
// beyond 2^53 to its last digit, the CSV against the JSON, Figure 1 with
// one point per size of this sweep only, the PNG and SVG downloads, the
// print layout on one A4 page (Chromium's PDF, pages counted) as wide as
// A4 with Figure 1 drawn for its printed size and not stretched, the list
// of sweeps; then runs of a second chunk size: two groups in the lab
// tables and no median across them, and charts that scale to what they
// show; last, the teaching layer by keyboard.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  api, artifacts, captureRequired, check, checkEqual, checkShown, CHROMIUM_ARGS,
  chromiumPath, Daemon, docsShots, expectedNotFound, Failure, loadPlaywright, log,
  median, rawRequest, shot, SKIP, webRoot
} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };
// A4's width less the print stylesheet's 12 mm margins, in CSS px: the
// width Chromium lays the printed page out at.
const A4_CONTENT = { width: 703, height: 1032 };
const LAB_SIZES = [13, 2000, 439000, 1000000];

const wiremeter = process.argv[2];

// An RFC 3339 UTC time with nanoseconds as BigInt ns since 1970.
function nsOf(text) {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{9})Z$/.exec(text);
  check(m, `"${text}" is not an RFC 3339 UTC time with nanoseconds`);
  return BigInt(Date.parse(`${m[1]}Z`)) * 1000000n + BigInt(m[2]);
}

// ---- The settings, from the API's description (no capture needed) ----------

async function checkSettings(page, base) {
  const { body: doc } = await api(base, 'GET', '/openapi.json');
  const params = doc.paths['/runs'].post.parameters
    .map((p) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p))
    .filter((p) => p.in === 'query' && !['size', 'wait'].includes(p.name));
  check(params.length >= 9, `POST /runs has only ${params.length} settings in /openapi.json`);
  await page.waitForFunction((n) => document.querySelectorAll('[data-param]').length === n, params.length,
    { timeout: 10000 });
  for (const p of params) {
    const field = await page.$(`[data-param="${p.name}"]`);
    check(field, `no field for the run parameter ${p.name}`);
    const hint = await field.$eval('.hint', (h) => h.textContent);
    const dflt = /\(default ([^)]*)\)/.exec(p.description);
    if (dflt) check(hint.includes(`Default: ${dflt[1]}.`), `the ${p.name} field does not show its default ${dflt[1]}: "${hint}"`);
  }
  for (const name of ['direction', 'chunk', 'nodelay', 'sndbuf', 'rcvbuf', 'mss', 'congestion', 'snaplen', 'ipv6', 'label']) {
    check(params.some((p) => p.name === name), `the API does not describe ${name}`);
  }
  checkEqual(await page.inputValue('#f-repeat'), '3', 'the sweep\'s repeat count on the page');
  await page.click('#preset-handout');
  checkEqual([await page.inputValue('#f-mss'), await page.inputValue('#f-chunk'), await page.isChecked('#f-nodelay')],
    ['1460', '16KiB', false], 'the handout preset\'s settings');
  const why = await page.textContent('#preset-why');
  check(/mss=1460/.test(why) && /chunk=16KiB/.test(why) && /125/.test(why), `the handout preset does not say which and why: "${why}"`);
  checkEqual(await page.getAttribute('#preset-handout', 'aria-pressed'), 'true', 'the handout preset pressed');
  // A setting the API refuses is shown at its field.
  await page.fill('#f-mss', '5');
  await page.fill('#f-size', '13B');
  await page.click('#run-button');
  await page.waitForFunction(() => document.getElementById('f-mss-error').textContent !== '', null, { timeout: 10000 });
  check(/mss/.test(await page.textContent('#f-mss-error')), 'the mss error is not at the mss field');
  await page.click('#preset-defaults');
  checkEqual([await page.inputValue('#f-mss'), await page.inputValue('#f-chunk')], ['', ''], 'the defaults preset');
  log(`settings: ${params.length} fields from /openapi.json with their defaults; the handout preset; an error at its field`);
}

// ---- A sweep's report --------------------------------------------------------

async function runSweepFromPage(page, base) {
  await page.goto(`${base}/#/`);
  await page.waitForSelector('#sweep-button:not([disabled])');
  await page.click('#sweep-button');
  await page.waitForURL(/#\/sweeps\/\d+$/, { timeout: 180000 });
  const id = Number(/#\/sweeps\/(\d+)$/.exec(page.url())[1]);
  await page.waitForFunction((want) => document.getElementById('sweep-view').dataset.renderedSweep === String(want),
    id, { timeout: 30000 });
  return id;
}

async function checkReport(page, base, id) {
  const res = await rawRequest(base, 'GET', `/sweeps/${id}`, { Accept: 'application/json' });
  checkEqual(res.status, 200, `GET /sweeps/${id}`);
  const sweep = res.json();
  checkEqual([sweep.status, sweep.params.repeat], ['done', 3], 'the sweep the page ran');
  checkEqual(sweep.table.map((r) => [r.size, r.runs, r.failed]), LAB_SIZES.map((s) => [s, 3, 0]), 'the sweep\'s table');
  const rows = await page.$$eval('#report-table tbody tr', (trs) => trs.map((tr) => ({
    size: tr.dataset.size,
    th: tr.querySelector('th').dataset.value,
    cells: Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.field, {
      ...td.dataset, text: [...td.children].map((c) => c.textContent),
    }])),
  })));
  checkEqual(rows.length, sweep.table.length, 'rows of the report');
  let beyond = 0;
  sweep.table.forEach((r, i) => {
    const row = rows[i];
    const what = `the report's ${r.size_text} row`;
    checkEqual([Number(row.size), Number(row.th), Number(row.cells.runs.value)], [r.size, r.size, r.runs], `${what}: size, runs`);
    for (const [field, unit] of [['packets', 'packets'], ['total_ns', 'ns'], ['average_packet_size', 'B']]) {
      const c = row.cells[field];
      checkEqual([Number(c.value), Number(c.min), Number(c.max)], [r[field].median, r[field].min, r[field].max],
        `${what}: ${field} median, min, max`);
      if (unit !== 'packets') {
        checkShown(c.text[0], r[field].median, `${what}: ${field} median shown`);
        const [lo, hi] = c.text[1].split(' – ');
        checkShown(lo, r[field].min, `${what}: ${field} min shown`);
        checkShown(hi, r[field].max, `${what}: ${field} max shown`);
      } else {
        checkEqual(c.text, [String(r.packets.median), `${r.packets.min} – ${r.packets.max}`], `${what}: packets shown`);
      }
    }
    for (const [field, key] of [['start', 'start'], ['end', 'end']]) {
      const c = row.cells[field];
      const times = r[`${key}_time`];
      checkEqual([c.value, c.min, c.max], [times.median, times.min, times.max], `${what}: ${field} times`);
      const tod = (t) => /T([0-9:.]+)Z$/.exec(t)[1];
      checkEqual(c.text, [tod(times.median), `${tod(times.min)} min`, `${tod(times.max)} max`], `${what}: ${field} shown`);
      // The ns integer, parsed by the page as a BigInt: all its digits, as
      // the server wrote them in its text and in the RFC 3339 string.
      const ns = BigInt(c.ns);
      checkEqual(c.ns, String(nsOf(times.median)), `${what}: ${field} ns against its RFC 3339 text`);
      check(new RegExp(`"${key}_ns":\\s*\\{"median":\\s*${c.ns},`).test(res.text),
        `${what}: ${field} ns ${c.ns} is not the server's text`);
      if (ns > BigInt(Number.MAX_SAFE_INTEGER)) beyond += 1;
    }
    const h = row.cells.handout;
    checkEqual([Number(h.packets), Number(h.totalS), Number(h.averagePacketSize)],
      [r.handout.packets, r.handout.total_s, r.handout.average_packet_size], `${what}: handout`);
  });
  checkEqual(beyond, 2 * sweep.table.length, 'absolute times beyond 2^53 checked to the last digit');
  log(`report of sweep ${id}: every cell of ${rows.length} rows = GET /sweeps/${id}; ${beyond} times > 2^53 exact`);
  return { sweep, text: res.text };
}

// The server's CSV, linked from the page, says what its JSON says.
async function checkCsv(page, base, sweep) {
  checkEqual(await page.getAttribute('#sweep-csv', 'href'), sweep.links.csv, 'the CSV link');
  const res = await rawRequest(base, 'GET', sweep.links.csv);
  checkEqual(res.status, 200, `GET ${sweep.links.csv}`);
  const [head, ...lines] = res.text.trim().split(/\r?\n/);
  const names = head.split(',');
  checkEqual(lines.length, sweep.table.length, 'CSV rows');
  lines.forEach((line, i) => {
    const v = Object.fromEntries(line.split(',').map((x, j) => [names[j], x]));
    const r = sweep.table[i];
    const what = `CSV row ${i + 1}`;
    checkEqual([Number(v.size), v.size_text, Number(v.runs), Number(v.failed)], [r.size, r.size_text, r.runs, r.failed], what);
    for (const k of ['median', 'min', 'max']) {
      checkEqual(Number(v[`packets_${k}`]), r.packets[k], `${what}: packets_${k}`);
      checkEqual(v[`start_${k}`], r.start_time[k], `${what}: start_${k}`);
      checkEqual(v[`end_${k}`], r.end_time[k], `${what}: end_${k}`);
      checkEqual(Math.round(Number(v[`total_s_${k}`]) * 1e9), r.total_ns[k], `${what}: total_s_${k}`);
      const avg = Number(v[`average_packet_size_${k}`]);
      check(Math.abs(avg - r.average_packet_size[k]) <= 1e-9 * r.average_packet_size[k],
        `${what}: average_packet_size_${k} ${avg}, the JSON says ${r.average_packet_size[k]}`);
    }
    checkEqual([Number(v.handout_packets), Number(v.handout_total_s), Number(v.handout_average_packet_size)],
      [r.handout.packets, r.handout.total_s, r.handout.average_packet_size], `${what}: handout`);
  });
  log(`CSV: ${lines.length} rows = the JSON`);
}

// Figure 1: one point per size, from this sweep's medians alone; the PNG
// and SVG downloads.
async function checkFigure(page, base, sweep) {
  const fig = await page.evaluate(() => {
    const chart = window.Chart.getChart(document.getElementById('chart-figure1'));
    return { sets: chart.data.datasets.map((d) => d.data.map((p) => [p.x, p.y])), x: chart.scales.x.type };
  });
  checkEqual(fig.x, 'logarithmic', 'Figure 1\'s size axis');
  checkEqual(fig.sets, [sweep.table.map((r) => [r.size, r.packets.median]),
    sweep.table.map((r) => [r.size, r.total_ns.median / 1e6])], 'Figure 1\'s points (packets, ms)');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#sweep-png')]);
  const png = fs.readFileSync(await download.path());
  checkEqual(png.subarray(1, 4).toString('latin1'), 'PNG', 'the figure\'s PNG download');
  check(png.length > 5000, `the figure's PNG is only ${png.length} bytes`);
  checkEqual(await page.getAttribute('#sweep-svg', 'href'), sweep.links.svg, 'the SVG link');
  const svg = await rawRequest(base, 'GET', sweep.links.svg);
  check(svg.status === 200 && /<svg[\s>]/.test(svg.text), `GET ${sweep.links.svg}: ${svg.status}`);
  log('Figure 1: 4 points per series from this sweep; PNG downloaded; SVG linked');
}

function pdfPages(file) {
  try {
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    return Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    // No poppler-utils: the page objects, counted in the file.
    return (fs.readFileSync(file, 'latin1').match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
  }
}

// Printed, Figure 1 must be the chart as drawn: a page wider than A4's
// content is laid out wider and shrunk to fit by Chromium, which stretches
// the canvas's bitmap (drawn for the narrower width) across the wider box,
// and pdftoppm's 96 dpi rendering then bends its straight segments. So the printed layout
// must fit A4's width, the canvas's bitmap must be its box at the device
// pixel ratio, and the line must be straight segments (no control points).
async function checkPrintFigure(page) {
  const fig = await page.evaluate(() => {
    const canvas = document.getElementById('chart-figure1');
    const chart = window.Chart.getChart(canvas);
    const box = canvas.getBoundingClientRect();
    const ratio = chart.currentDevicePixelRatio;
    const lines = chart.data.datasets.map((d, i) => {
      const meta = chart.getDatasetMeta(i);
      return { tension: meta.dataset.options.tension, stepped: meta.dataset.options.stepped,
        curved: meta.data.filter((p) => Number.isFinite(p.cp1x) || Number.isFinite(p.cp2x)).length };
    });
    return { pageWidth: document.documentElement.scrollWidth, bitmap: [canvas.width, canvas.height],
      box: [box.width * ratio, box.height * ratio].map((v) => Math.round(v * 10) / 10), lines };
  });
  check(fig.pageWidth <= A4_CONTENT.width, `the printed report is ${fig.pageWidth} px wide, more than A4's `
    + `${A4_CONTENT.width} px: Chromium would shrink it to fit and stretch Figure 1's drawing`);
  // Chart.js rounds its size down to whole pixels: a pixel of difference.
  check(fig.bitmap.every((v, i) => Math.abs(v - fig.box[i]) <= 1),
    `Figure 1's bitmap is ${fig.bitmap.join('x')} px for a printed box of ${fig.box.join('x')} px: drawn for another size`);
  checkEqual(fig.lines, fig.lines.map(() => ({ tension: 0, stepped: false, curved: 0 })),
    'Figure 1\'s printed lines (straight segments between the points)');
}

// Every image in the PDF (Figure 1's canvas) at the same resolution across
// as down: one stretched on the page is a drawing for another size.
function checkPdfImagesUnstretched(pdf) {
  let list;
  try {
    list = execFileSync('pdfimages', ['-list', pdf], { encoding: 'utf8' });
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    log('no pdfimages (poppler-utils): the printed figure\'s resolution is not checked');
    return;
  }
  // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
  const rows = list.split('\n').slice(2).filter((l) => l.trim()).map((l) => l.trim().split(/\s+/));
  check(rows.length > 0, 'the printed report has no image: where is Figure 1?');
  for (const r of rows) {
    checkEqual(r[12], r[13], `the printed ${r[2]} ${r[3]}x${r[4]}'s resolution across and down (ppi)`);
  }
  log(`print: ${rows.length} images, none stretched`);
}

// Printed: the report alone, on one A4 page.
async function checkPrint(page) {
  await page.setViewportSize(A4_CONTENT);
  await page.emulateMedia({ media: 'print' });
  await page.waitForTimeout(300); // Chart.js redraws for the new width on its next frame
  await checkPrintFigure(page);
  const pdf = path.join(artifacts, 'report.pdf');
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize(WIDE);
  const pages = pdfPages(pdf);
  checkEqual(pages, 1, 'pages of the printed report (A4)');
  checkPdfImagesUnstretched(pdf);
  let png = null;
  try {
    execFileSync('pdftoppm', ['-png', '-r', '96', '-singlefile', pdf, path.join(artifacts, 'report-print')]);
    png = path.join(artifacts, 'report-print.png');
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    log('no pdftoppm (poppler-utils): the printed page is not rendered as PNG');
  }
  log(`print: ${pdf}, ${pages} A4 page`);
  return png;
}

async function checkSweepList(page, base, id) {
  await page.goto(`${base}/#/sweeps`);
  await page.waitForFunction(() => document.getElementById('sweeps-view').dataset.loaded === 'true');
  const ids = await page.$$eval('#sweeps-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.sweepId)));
  const { body } = await api(base, 'GET', '/sweeps');
  checkEqual(ids, body.sweeps.map((s) => s.id), 'the list of sweeps');
  checkEqual(ids[0], id, 'the newest sweep first');
  await page.click(`#sweeps-table tr[data-sweep-id="${id}"] a`);
  await page.waitForFunction((want) => document.getElementById('sweep-view').dataset.renderedSweep === String(want), id);
  log(`sweeps: listed newest first, sweep ${id} opens from the list`);
}

// ---- Groups of settings ------------------------------------------------------

async function checkGroups(page, base) {
  // Two runs of 1 MB with another chunk size: a second group.
  for (let i = 0; i < 2; i += 1) {
    const res = await api(base, 'POST', '/runs?size=1MB&chunk=16KiB&wait=60');
    checkEqual([res.status, res.body.status], [201, 'done'], 'a 1 MB run with chunk=16KiB');
  }
  await page.goto(`${base}/#/`);
  await page.waitForFunction(() => document.querySelectorAll('#lab-groups .lab-group').length === 2, null, { timeout: 10000 });
  const { body: list } = await api(base, 'GET', '/runs?limit=200');
  const groups = await page.$$eval('#lab-groups .lab-group', (gs) => gs.map((g) => ({
    caption: g.querySelector('caption').textContent,
    rows: [...g.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.dataset.value ?? c.textContent)),
  })));
  const chunkOf = (caption) => (/chunk 16 KiB/.test(caption) ? 16384 : 65536);
  checkEqual(groups.map((g) => chunkOf(g.caption)).sort(), [16384, 65536], 'the groups\' chunk sizes in their captions');
  for (const g of groups) {
    const chunk = chunkOf(g.caption);
    for (const row of g.rows) {
      const size = Number(row[0]);
      const sums = list.runs.filter((r) => r.params.chunk === chunk && r.params.size === size).map((r) => r.summary);
      checkEqual(row.slice(1).map(Number), [sums.length, median(sums.map((s) => s.packets)),
        median(sums.map((s) => s.total_ns)), median(sums.map((s) => s.average_packet_size))],
      `the ${chunk}-byte chunk group's ${size}-byte row (medians of that chunk's runs only)`);
    }
  }
  checkEqual(groups.find((g) => chunkOf(g.caption) === 16384).rows.map((r) => [Number(r[0]), Number(r[1])]), [[1000000, 2]],
    'the chunk=16KiB group');
  // The charts: the group with the most runs, then the other; each scaled
  // to its own points.
  const chart = () => page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('chart-packets'));
    return { points: c.data.datasets[0].data.length, medians: c.data.datasets[1].data.length,
      xmax: c.scales.x.max, ymax: c.scales.y.max, maxPoint: Math.max(...c.data.datasets[0].data.map((p) => p.y)) };
  });
  const big = await chart();
  checkEqual([big.points, big.medians], [12, 4], 'the chart of the default settings (points, medians)');
  const other = await page.$$eval('#chart-group option', (os) => os.findIndex((o) => /16 KiB/.test(o.textContent)));
  await page.selectOption('#chart-group', String(other));
  const small = await chart();
  checkEqual([small.points, small.medians], [2, 1], 'the chart of chunk=16KiB (points, medians)');
  check(small.ymax < small.maxPoint * 2, `the chunk=16KiB chart's y axis reaches ${small.ymax} for points up to ${small.maxPoint}`);
  // A 10 MB run of the default settings stays off the lab's chart.
  await api(base, 'POST', '/runs?size=10MB&wait=60');
  await page.click('#refresh-button');
  await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr')[0]?.querySelector('.col-size')?.dataset.value === '10000000');
  // The history and the figures refresh apart: the group list is rebuilt
  // with the lab's tables, so wait for those too before choosing a group.
  await page.waitForSelector('#lab-groups tr[data-size="10000000"]', { state: 'attached' });
  const dflt = await page.$$eval('#chart-group option', (os) => os.findIndex((o) => !/16 KiB/.test(o.textContent)));
  await page.selectOption('#chart-group', String(dflt));
  const lab = await chart();
  checkEqual(lab.points, 12, 'points of the lab\'s sizes with a 10 MB run in the history');
  check(lab.xmax < 2e6, `the size axis reaches ${lab.xmax} bytes with the lab's sizes only`);
  await page.uncheck('#chart-lab-only');
  const all = await chart();
  checkEqual(all.points, 13, 'points with every size');
  await page.check('#chart-lab-only');
  log('groups: two chunk sizes, two tables, medians within each; charts per group, scaled to what they show');
}

// ---- The teaching layer --------------------------------------------------------

async function checkTeaching(page, base, runId) {
  await page.goto(`${base}/#/runs/${runId}`);
  await page.waitForFunction((want) => document.getElementById('run-view').dataset.renderedRun === String(want), runId,
    { timeout: 30000 });
  const { body: run } = await api(base, 'GET', `/runs/${runId}`);
  const r = run.result;
  const terms = await page.$$eval('#run-view .term', (bs) => [...new Set(bs.map((b) => b.dataset.term))]);
  for (const t of ['SYN', 'SYN-ACK', 'ACK', 'FIN', 'RST', 'PSH', 'ISN', 'raw', 'relative', 'window', 'window scale', 'MSS',
    'SACK', 'timestamps', 'retransmission', 'duplicate ACK', 'zero window']) {
    check(terms.includes(t), `the run view does not explain ${t} (it has ${terms.join(', ')})`);
  }
  // By keyboard: focus, Enter opens the explanation beside it, Escape
  // closes it and leaves the focus (and the view) where it was.
  const isn = '#ladder-facts .term[data-term="ISN"]';
  await page.focus(isn);
  await page.keyboard.press('Enter');
  const open = await page.$eval(isn, (b) => {
    const pop = document.getElementById(b.getAttribute('aria-controls'));
    const rect = pop.getBoundingClientRect();
    return { expanded: b.getAttribute('aria-expanded'), text: pop.textContent, role: pop.getAttribute('role'),
      visible: !pop.hidden && rect.width > 0, next: b.nextElementSibling === pop };
  });
  check(open.expanded === 'true' && open.visible && open.next && /initial sequence number/.test(open.text),
    `Enter on ISN: ${JSON.stringify(open)}`);
  await page.keyboard.press('Escape');
  checkEqual(await page.$eval(isn, (b) => [b.getAttribute('aria-expanded'), document.activeElement === b]), ['false', true],
    'Escape on an open term');
  check(page.url().endsWith(`#/runs/${runId}`), 'Escape on a term left the run');
  // Hover opens it too.
  await page.hover('#ladder-terms .term[data-term="FIN"]');
  check(await page.$eval('#ladder-terms .term[data-term="FIN"]', (b) => b.getAttribute('aria-expanded') === 'true'),
    'hover on FIN does not open its explanation');
  await page.mouse.move(0, 0);
  // The closure says why it has its number of packets.
  const why = await page.textContent('#closure-why');
  check(why.startsWith(`${r.closure.packets.length} packets here.`) && /(three|four) packets/.test(why),
    `the closure's explanation: "${why}"`);
  // The box computed from the run: its MSS, the MTU it implies, its chunk.
  const box = await page.textContent('#why-list');
  const mss = r.connection.mss.server ?? r.connection.mss.client;
  check(box.includes(mss.toLocaleString('en-US')) && box.includes((mss + 40).toLocaleString('en-US')),
    `the "why your numbers differ" box does not name the MSS ${mss} and the MTU it implies: "${box.slice(0, 200)}"`);
  check(/64 KiB at a time/.test(box) && /HTTP/.test(box), 'the box does not name the write size and the exchange');
  log(`teaching: ${terms.length} terms on the run view; keyboard, Escape and hover; closure and differences explained`);
}

function publish(files) {
  if (!docsShots) return;
  fs.mkdirSync(docsShots, { recursive: true });
  for (const [from, name] of files) {
    if (!from) continue;
    fs.copyFileSync(from, path.join(docsShots, name));
    log(`copied to ${path.join(docsShots, name)}`);
  }
}

async function main() {
  check(wiremeter && fs.existsSync(wiremeter), `usage: node test_report.mjs path/to/wiremeter (got ${wiremeter})`);
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
    const context = await browser.newContext({ viewport: WIDE, acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`uncaught: ${err.message}`));
    page.on('console', (msg) => {
      // The mss=5 step makes a 400 on purpose.
      if (msg.type() === 'error' && !/status of 400/.test(msg.text()) && !expectedNotFound(msg)) pageErrors.push(`console: ${msg.text()}`);
    });
    await page.goto(`${daemon.base}/`);
    await checkSettings(page, daemon.base);
    if (!health.capture.permitted) {
      const why = `capture is not permitted here (${health.capture.reason}), so no sweep can be made`;
      if (captureRequired()) throw new Failure(`${why} (WIREMETER_REQUIRE_CAPTURE=1, so this is a failure)`);
      log(`SKIP: the settings pass; ${why}`);
      outcome = SKIP;
      ok = true;
      return outcome;
    }
    const id = await runSweepFromPage(page, daemon.base);
    const { sweep } = await checkReport(page, daemon.base, id);
    await checkCsv(page, daemon.base, sweep);
    await checkFigure(page, daemon.base, sweep);
    await page.evaluate(() => document.activeElement.blur());
    await page.mouse.move(0, 0);
    const reportWide = await shot(page, 'report-wide.png');
    const reportPrint = await checkPrint(page);
    await page.setViewportSize(NARROW);
    await page.waitForTimeout(200);
    const reportNarrow = await shot(page, 'report-narrow.png');
    await page.setViewportSize(WIDE);
    await checkSweepList(page, daemon.base, id);
    await checkGroups(page, daemon.base);
    await page.evaluate(() => document.activeElement.blur());
    const home = await shot(page, 'home-groups.png');
    await checkTeaching(page, daemon.base, sweep.table[3].run_ids[0]);
    checkEqual(pageErrors, [], 'errors in the page');
    publish([[reportWide, 'report-wide.png'], [reportNarrow, 'report-narrow.png'], [reportPrint, 'report-print.png'],
      [home, 'home-groups.png']]);
    ok = true;
  } finally {
    if (browser) await browser.close();
    await daemon.stop();
    fs.copyFileSync(daemon.logPath, path.join(artifacts, 'daemon-report.log'));
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
