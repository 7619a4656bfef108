// Your own capture on the page (issue 11, the page side): Debian's headless
// Chromium, driven by playwright-core, against the real daemon on a free
// port with a fresh data directory (ctest label "browser").
//
//   node tests/browser/test_captures.mjs path/to/wiremeter
//   env: as test_page.mjs (WM_NODE_MODULES, WM_ARTIFACTS, WM_WEB_ROOT,
//        WM_DOCS_SCREENSHOTS with WM_UPDATE_SCREENSHOTS=1, WM_CHROMIUM)
//
// A file that is not a capture, chosen with the page's file input, shows
// the daemon's own error text and stores nothing. A capture of two TCP
// connections (tests/data/tshark/lo_and_any_interfaces.pcap) uploaded
// through the file input opens on its main connection, the second; the
// lab's six answers, the ladder's sequence numbers and the packet list's
// first rows equal GET /captures/{id} and its packet pages field for
// field, for that connection and for the other one once picked; 390 px
// wide, nothing overflows. A capture of one connection opens straight on
// it. A 202 answer (held here) is followed until the capture is done. A
// capture cut short, dropped on the home view, says where reading
// stopped, in the API's words. The list beside the runs holds them newest
// first, and Delete removes one. With a daemon's token, the upload asks
// for it; the file's link and Delete send it. No capture rights are
// needed: nothing is captured here.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  api, artifacts, check, checkEqual, CHROMIUM_ARGS, chromiumPath, Daemon, docsShots,
  Failure, loadPlaywright, log, shot, webRoot
} from './lib.mjs';
import { checkAnswers } from './answers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 390, height: 844 };
const TSHARK = path.resolve(here, '../data/tshark');
// Two connections, the second the main one (most payload), from two
// interfaces of two link types; the same cut short.
const TWO = path.join(TSHARK, 'lo_and_any_interfaces.pcap');
const CUT = path.join(TSHARK, 'lo_and_any_cut_short.pcap');
const ONE = path.join(TSHARK, 'client_closes.pcap');

const wiremeter = process.argv[2];

async function waitConnection(page, id, n) {
  await page.waitForFunction(([cid, cn]) => {
    const d = document.getElementById('capture-view').dataset;
    return d.renderedCapture === String(cid) && d.renderedConnection === String(cn);
  }, [id, n], { timeout: 30000 });
}

// The six answers, the ladder and the first page of packets of connection
// n, against the API's document.
async function checkConnectionShown(page, base, doc, n) {
  const conn = doc.analysis.connections[n];
  const what = `capture ${doc.id}, connection ${n}`;
  await checkAnswers(page, '#cap-answers', conn, what);

  // The ladder: one arrow per handshake and closure packet, its numbers the API's.
  const arrows = await page.$$eval('#cap-ladder g.ladder-arrow', (gs) => gs.map((g) => ({
    phase: g.dataset.phase, no: Number(g.dataset.no), flags: g.dataset.flags, seq: Number(g.dataset.seq),
    ack: Number(g.dataset.ack), from: g.dataset.from,
  })));
  const want = [...conn.handshake.packets.map((p) => ({ ...p, phase: 'handshake' })),
    ...conn.closure.packets.map((p) => ({ ...p, phase: 'closure' }))]
    .map((p) => ({ phase: p.phase, no: p.no, flags: p.flags, seq: p.seq, ack: p.ack, from: p.from }));
  checkEqual(arrows, want, `${what}: the ladder's arrows`);

  // The packet list's first page.
  const page0 = await api(base, 'GET', `/captures/${doc.id}/connections/${n}/packets?offset=0&limit=50`);
  checkEqual(page0.status, 200, `${what}: GET its packets`);
  const rows = await page.$$eval('#cap-packet-table tbody tr', (trs) => trs.map((tr) => {
    const td = tr.querySelectorAll('td');
    return { no: Number(tr.dataset.no), role: tr.dataset.role, time_ns: Number(td[1].dataset.value),
      source: td[2].textContent, length: Number(td[4].dataset.value), flags: td[5].textContent,
      info: td[6].textContent };
  }));
  const wantRows = page0.body.packets.map((p) => ({ no: p.no, role: p.role || '', time_ns: p.time_ns,
    source: `${p.source}:${p.source_port}`, length: p.length, flags: p.flags, info: p.info }));
  check(rows.length > 0, `${what}: the packet list is empty`);
  checkEqual(rows, wantRows, `${what}: the packet list's rows`);
  checkEqual(await page.textContent('#cap-page-info'),
    `Packets 1–${page0.body.packets.length} of ${page0.body.total}`, `${what}: the pager`);
  // The cards: the packets and the time.
  checkEqual(await page.getAttribute('#cap-cards [data-field="packets"]', 'data-value'), String(conn.totals.packets),
    `${what}: the packets card`);
  checkEqual(await page.getAttribute('#cap-cards [data-field="total_ns"]', 'data-value'), String(conn.timing.total_ns),
    `${what}: the total time card`);
}

async function checkNoHorizontalOverflow(page, what) {
  const measure = () => page.evaluate(() => ({
    doc: document.documentElement.scrollWidth,
    view: window.innerWidth,
    wide: [...document.querySelectorAll('main *')]
      .filter((el) => el.offsetParent !== null && !el.closest('.table-wrap, .ladder, pre'))
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`),
  }));
  const deadline = Date.now() + 3000;
  let widths = await measure();
  while ((widths.doc > widths.view || widths.wide.length) && Date.now() < deadline) {
    await page.waitForTimeout(100);
    widths = await measure();
  }
  check(widths.doc <= widths.view && widths.wide.length === 0,
    `${what}: the page is ${widths.doc} px wide in a ${widths.view} px window; too wide: ${widths.wide.join(', ')}`);
}

// The daemon's answer to the same bytes, for the error the page must show.
async function apiRefusal(base, bytes) {
  const res = await fetch(`${base}/captures`, { method: 'POST', body: bytes,
    headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json' } });
  const body = await res.json();
  check(res.status >= 400 && body.error && body.error.message, `POST /captures of garbage: ${res.status}`);
  return { status: res.status, message: body.error.message };
}

async function upload(page, file, label) {
  await page.goto(page.url().replace(/#.*$/, '#/'));
  await page.waitForSelector('#u-file');
  await page.fill('#u-label', label || '');
  await page.setInputFiles('#u-file', file);
}

// A daemon with a token: the upload's 401 asks for it and the file is
// sent again with it; the file's link and Delete send it too.
async function checkToken(context) {
  const token = 'capture-token-0123456789abcdef';
  const daemon = new Daemon(wiremeter, webRoot, { env: { WIREMETER_TOKEN: token } });
  await daemon.start();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  try {
    await page.goto(`http://localhost:${daemon.port}/`);
    await page.waitForSelector('#u-file');
    await page.setInputFiles('#u-file', ONE);
    await page.waitForFunction(() => document.getElementById('token-dialog').open, null, { timeout: 30000 });
    await page.fill('#token-input', token);
    await page.click('#token-dialog button[value="ok"]');
    await page.waitForURL(/#\/captures\/\d+$/, { timeout: 30000 });
    const id = Number(/#\/captures\/(\d+)$/.exec(page.url())[1]);
    await waitConnection(page, id, 0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#cap-pcap')]);
    check(fs.readFileSync(await download.path()).equals(fs.readFileSync(ONE)), 'the file downloaded with the token is not the one uploaded');
    await page.click('#cap-delete');
    await page.click('#confirm-dialog button[value="delete"]');
    await page.waitForURL(/#\/$/, { timeout: 30000 });
    const gone = await fetch(`${daemon.base}/captures/${id}`, { headers: { Authorization: `Bearer ${token}` } });
    checkEqual(gone.status, 404, `GET /captures/${id} after Delete with the token`);
    checkEqual(errors, [], 'errors in the page with a token');
    log(`token: the upload asked for it and was sent again; the file downloaded and capture ${id} deleted with it`);
  } catch (err) {
    log(`daemon log (token):\n${daemon.log()}`);
    throw err;
  } finally {
    await page.close();
    await daemon.stop();
    daemon.removeData();
  }
}

async function main() {
  check(wiremeter && fs.existsSync(wiremeter), `usage: test_captures.mjs path/to/wiremeter (got ${wiremeter})`);
  fs.mkdirSync(artifacts, { recursive: true });
  const { chromium } = loadPlaywright();
  const daemon = new Daemon(wiremeter, webRoot);
  await daemon.start();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-chromium-'));
  const pageErrors = [];
  let context;
  let ok = false;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, viewport: WIDE,
    });
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`uncaught: ${err.message}`));
    page.on('console', (msg) => {
      // The browser logs every 4xx answer; the garbage upload makes one on purpose.
      if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) pageErrors.push(`console: ${msg.text()}`);
    });
    await page.goto(`${daemon.base}/`);
    await page.waitForSelector('#u-file');
    await page.waitForFunction(() => !document.getElementById('captures-empty').hidden);

    // Garbage: the daemon's words on the page, nothing stored.
    const garbage = Buffer.from('This is a text file, not a capture.\n'.repeat(20));
    const refusal = await apiRefusal(daemon.base, garbage);
    await upload(page, { name: 'notes.pcap', mimeType: 'application/octet-stream', buffer: garbage });
    await page.waitForFunction(() => document.getElementById('upload-error').textContent !== '', null, { timeout: 30000 });
    const shown = await page.textContent('#upload-error');
    check(shown.includes(refusal.message) && shown.includes(`HTTP ${refusal.status}`),
      `the garbage upload: the page says "${shown}", the API "${refusal.status} ${refusal.message}"`);
    checkEqual((await api(daemon.base, 'GET', '/captures')).body.captures.length, 0, 'captures stored after the garbage');
    checkEqual(await page.isHidden('#upload-progress'), true, 'the progress after a refusal');
    log(`garbage: the page shows the daemon's ${refusal.status}: ${refusal.message}`);
    await page.evaluate(() => document.activeElement.blur());
    const errorShot = path.join(artifacts, 'capture-error.png');
    await page.locator('#capture-upload').screenshot({ path: errorShot });

    // Two connections: opens on the main one.
    await upload(page, TWO, 'two connections');
    await page.waitForURL(/#\/captures\/\d+$/, { timeout: 30000 });
    const id = Number(/#\/captures\/(\d+)$/.exec(page.url())[1]);
    const res = await api(daemon.base, 'GET', `/captures/${id}`);
    checkEqual(res.status, 200, `GET /captures/${id}`);
    const doc = res.body;
    checkEqual(doc.label, 'two connections', 'the label typed before the file');
    checkEqual(doc.size_bytes, fs.statSync(TWO).size, 'the size of the stored file');
    const conns = doc.analysis.connections;
    checkEqual(conns.length, 2, 'connections in lo_and_any_interfaces.pcap');
    const main = conns.findIndex((c) => c.main);
    checkEqual(main, 1, 'the main connection of lo_and_any_interfaces.pcap (the test needs it second)');
    await waitConnection(page, id, main);
    checkEqual(await page.isChecked(`#cap-conn-${main}`), true, 'the main connection chosen by default');
    checkEqual(await page.$$eval('#cap-connections tbody tr', (trs) => trs.map((tr) => tr.classList.contains('main-connection'))),
      conns.map((c) => c.main), 'the main connection marked in the picker');
    checkEqual(await page.getAttribute('#cap-file-facts dd:nth-of-type(4)', 'data-value'), String(doc.analysis.frames),
      'the frames of the file');
    checkEqual(await page.getAttribute('#cap-file-facts dd:nth-of-type(3)', 'data-value'), doc.analysis.linktypes.join(','),
      'the link types of the file');
    checkEqual(await page.isHidden('#cap-read-error'), true, 'a read error shown for a whole file');
    await checkConnectionShown(page, daemon.base, doc, main);
    log(`capture ${id}: opened on its main connection ${main}; answers, ladder and packets equal the API's`);

    // The other connection, picked.
    const other = 1 - main;
    await page.click(`label[for="cap-conn-${other}"]`);
    await page.waitForURL(new RegExp(`#/captures/${id}/connections/${other}$`));
    await waitConnection(page, id, other);
    await checkConnectionShown(page, daemon.base, doc, other);
    log(`capture ${id}: connection ${other} picked; answers, ladder and packets equal the API's`);
    await page.evaluate(() => document.activeElement.blur());
    const wide = await shot(page, 'capture-wide.png');
    await page.setViewportSize(NARROW);
    await checkNoHorizontalOverflow(page, 'capture at 390 px');
    const narrow = await shot(page, 'capture-narrow.png');
    await page.screenshot({ path: path.join(artifacts, 'capture-narrow-top.png') });
    await page.setViewportSize(WIDE);

    // Reloaded, the address shows the same connection.
    await page.reload();
    await waitConnection(page, id, other);
    await checkConnectionShown(page, daemon.base, doc, other);

    // One connection: straight on it.
    await upload(page, ONE, '');
    await page.waitForURL(/#\/captures\/\d+$/, { timeout: 30000 });
    const one = Number(/#\/captures\/(\d+)$/.exec(page.url())[1]);
    check(one !== id, 'the second upload opened the first capture');
    const oneDoc = (await api(daemon.base, 'GET', `/captures/${one}`)).body;
    checkEqual(oneDoc.analysis.connections.length, 1, 'connections in client_closes.pcap');
    await waitConnection(page, one, 0);
    checkEqual(await page.textContent('#cap-picker-intro'), 'The file holds one TCP connection: it is shown below.',
      'the picker of a one-connection capture');
    await checkConnectionShown(page, daemon.base, oneDoc, 0);
    log(`capture ${one}: one connection, opened straight on it`);
    // Escape goes back to the list, as on a run (the pointer off the terms).
    checkEqual(await page.evaluate(() => document.activeElement.id), 'cap-title', 'focus after opening a capture');
    await page.mouse.move(0, 0);
    await page.keyboard.press('Escape');
    await page.waitForURL(/#\/$/, { timeout: 10000 });

    // A daemon that answers 202 while it analyses (a large file): the page
    // says "Analysing…" and follows GET /captures/{id} until it is done. The
    // answers are held here, so nothing depends on how fast the daemon is.
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    let held = 0;
    await page.route(/\/captures(\?[^/]*)?$/, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      // Chromium does not hand an intercepted request's file body over:
      // the same file is posted from here instead.
      const real = await (await fetch(`${daemon.base}/captures?label=202`, { method: 'POST',
        body: fs.readFileSync(ONE), headers: { 'Content-Type': 'application/octet-stream' } })).json();
      return route.fulfill({ status: 202, headers: { Location: `/captures/${real.id}` },
        json: { ...real, status: 'analysing', analysis: null, finished_ns: null, finished_time: null } });
    });
    await page.route(/\/captures\/\d+$/, async (route) => {
      if (route.request().method() !== 'GET' || held++ > 0) return route.continue();
      await gate;
      const real = await (await route.fetch()).json();
      return route.fulfill({ status: 200, json: { ...real, status: 'analysing', analysis: null } });
    });
    await upload(page, ONE, '202');
    await page.waitForFunction(() => document.getElementById('upload-progress').dataset.phase === 'analysing'
      && !document.getElementById('upload-progress').hidden, null, { timeout: 30000 });
    const analysing = await page.textContent('#upload-status');
    checkEqual(analysing, `Analysing client_closes.pcap… (${fs.statSync(ONE).size} B uploaded)`, 'the status after a 202');
    check(/#\/$/.test(page.url()), `the page left the upload before the analysis ended: ${page.url()}`);
    release();
    await page.waitForURL(/#\/captures\/\d+$/, { timeout: 30000 });
    const late = Number(/#\/captures\/(\d+)$/.exec(page.url())[1]);
    await waitConnection(page, late, 0);
    check(held >= 2, `the page asked GET /captures/${late} ${held} times; expected until it was done`);
    await page.unrouteAll();
    log(`capture ${late}: answered 202, followed until done, then opened`);

    // Cut short: where and why reading stopped, as the API says it. This
    // one is dropped on the view, far from the upload's panel.
    await page.goto(`${daemon.base}/#/`);
    await page.fill('#u-label', 'cut short');
    const dropped = await page.evaluateHandle(([bytes, name]) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name));
      return transfer;
    }, [[...fs.readFileSync(CUT)], path.basename(CUT)]);
    await page.dispatchEvent('#history-title', 'dragenter', { dataTransfer: dropped });
    check(await page.evaluate(() => document.getElementById('home-view').classList.contains('dropping')),
      'a file dragged over the home view is not shown as droppable');
    await page.dispatchEvent('#history-title', 'drop', { dataTransfer: dropped });
    await page.waitForURL(/#\/captures\/\d+$/, { timeout: 30000 });
    const cut = Number(/#\/captures\/(\d+)$/.exec(page.url())[1]);
    const cutDoc = (await api(daemon.base, 'GET', `/captures/${cut}`)).body;
    checkEqual([cutDoc.label, cutDoc.size_bytes], ['cut short', fs.statSync(CUT).size], 'the dropped file, stored');
    check(cutDoc.analysis.read_error, 'lo_and_any_cut_short.pcap was read to its end');
    await waitConnection(page, cut, cutDoc.analysis.connections.findIndex((c) => c.main));
    const stopped = await page.textContent('#cap-read-error');
    check(await page.isVisible('#cap-read-error') && stopped.includes(cutDoc.analysis.read_error.reason)
      && stopped.includes(`after frame ${cutDoc.analysis.read_error.after_frame}`),
    `the cut-short file: the page says "${stopped}", the API ${JSON.stringify(cutDoc.analysis.read_error)}`);
    log(`capture ${cut}: cut short, the page says where reading stopped`);

    // The list beside the runs, and Delete.
    await page.goto(`${daemon.base}/#/`);
    await page.waitForFunction(() => document.querySelectorAll('#captures-table tbody tr').length === 4);
    checkEqual(await page.$$eval('#captures-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.captureId))),
      [cut, late, one, id], 'the captures listed, newest first');
    await page.evaluate(() => document.activeElement.blur());
    const homeShot = await shot(page, 'capture-home.png');
    await page.click(`#captures-table tr[data-capture-id="${one}"] button`);
    await page.click('#confirm-dialog button[value="delete"]');
    await page.waitForFunction(() => document.querySelectorAll('#captures-table tbody tr').length === 3);
    checkEqual((await api(daemon.base, 'GET', `/captures/${one}`)).status, 404, `GET /captures/${one} after Delete`);
    log(`capture ${one} deleted from the list`);

    await checkToken(context);
    checkEqual(pageErrors, [], 'errors in the page');
    if (docsShots) {
      fs.mkdirSync(docsShots, { recursive: true });
      for (const [from, name] of [[wide, 'capture-wide.png'], [narrow, 'capture-narrow.png'], [homeShot, 'capture-home.png'],
        [errorShot, 'capture-error.png']]) {
        fs.copyFileSync(from, path.join(docsShots, name));
        log(`copied to ${path.join(docsShots, name)}`);
      }
    }
    ok = true;
  } finally {
    if (context) await context.close();
    await daemon.stop();
    fs.copyFileSync(daemon.logPath, path.join(artifacts, 'daemon-captures.log'));
    if (ok) daemon.removeData();
    else log(`daemon log (${daemon.logPath}):\n${daemon.log()}`);
    fs.rmSync(profile, { recursive: true, force: true });
    if (pageErrors.length) log(`page errors:\n${pageErrors.join('\n')}`);
  }
  log('PASS');
  return 0;
}

main().then((code) => process.exit(code), (err) => {
  log(err instanceof Failure ? `FAIL: ${err.message}` : `FAIL: ${err.stack || err}`);
  process.exit(1);
});
