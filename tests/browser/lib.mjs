// Helpers of the browser test, in the conventions of tests/lib/wmtest.py:
// a real `wiremeter serve` on a free loopback port with its own data
// directory, exit 77 (skip) when capture is not permitted unless
// WIREMETER_REQUIRE_CAPTURE=1, and a failure that says what was expected.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SKIP = 77;

const here = path.dirname(fileURLToPath(import.meta.url));

// Where each browser test finds Chromium, the page and playwright, and
// puts its screenshots: the same environment for all of them.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const artifacts = process.env.WM_ARTIFACTS || path.join(os.tmpdir(), 'wm-browser-artifacts');
export const webRoot = process.env.WM_WEB_ROOT || path.resolve(here, '../../web');
export const docsShots = process.env.WM_UPDATE_SCREENSHOTS === '1'
  ? (process.env.WM_DOCS_SCREENSHOTS || '') : '';
export const chromiumPath = process.env.WM_CHROMIUM || '/usr/bin/chromium';

export class Failure extends Error {}

export function check(condition, message) {
  if (!condition) throw new Failure(message);
}

export function checkEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Failure(`${what}: got ${a}, expected ${e}`);
}

export function captureRequired() {
  return process.env.WIREMETER_REQUIRE_CAPTURE === '1';
}

export function log(message) {
  process.stdout.write(`${message}\n`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// One HTTP request with the path sent exactly as given (fetch would
// normalise "/../"): {status, headers, body (Buffer), text, json()}.
export function rawRequest(base, method, target, headers = {}) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    // A connection of its own (agent: false): Node keeps sockets alive by
    // default, and one the daemon has closed meanwhile answers the next
    // request with "socket hang up".
    const req = http.request({ host: url.hostname, port: url.port, method, path: target, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body, text: body.toString('utf8'),
          json: () => JSON.parse(body.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.setTimeout(60000, () => req.destroy(new Error(`${method} ${target}: no answer in 60 s`)));
    req.end();
  });
}

export async function api(base, method, target) {
  const res = await rawRequest(base, method, target, { Accept: 'application/json' });
  let body = null;
  try {
    body = res.text ? res.json() : null;
  } catch {
    throw new Failure(`${method} ${target}: ${res.status} with a body that is not JSON: ${res.text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// `wiremeter serve` on a free port, a fresh data directory and the given
// web root (options: more args, more env); stop() ends it (SIGTERM, then
// SIGKILL after 20 s).
export class Daemon {
  constructor(wiremeter, webRoot, options = {}) {
    this.wiremeter = wiremeter;
    this.webRoot = webRoot;
    this.args = options.args || [];
    this.env = { ...process.env, ...(options.env || {}) };
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-browser-'));
    this.logPath = path.join(this.dataDir, 'daemon.log');
    this.proc = null;
  }

  async start() {
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    const out = fs.openSync(this.logPath, 'a');
    this.proc = spawn(this.wiremeter, ['serve', '--listen', `127.0.0.1:${this.port}`,
      '--data-dir', this.dataDir, '--web-root', this.webRoot, ...this.args],
    { stdio: ['ignore', out, out], env: this.env });
    fs.closeSync(out);
    this.exited = new Promise((resolve) => { this.proc.on('exit', (code, signal) => resolve({ code, signal })); });
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Failure(`the daemon exited with ${this.proc.exitCode} at start:\n${this.log()}`);
      try {
        const res = await rawRequest(this.base, 'GET', '/healthz');
        if (res.status === 200) return res.json();
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Failure(`the daemon was not healthy within 20 s:\n${this.log()}`);
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const timeout = sleep(20000).then(() => 'timeout');
    if ((await Promise.race([this.exited, timeout])) === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }

  removeData() {
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// A number the page shows for people ("3.99 ms", "25.1 kB", "2.93 Gbit/s",
// "1,000,000") read back into the API's unit (ns, bytes, bit/s).
const UNITS = {
  B: 1, kB: 1e3, MB: 1e6, GB: 1e9,
  ns: 1, 'µs': 1e3, ms: 1e6, s: 1e9,
  'bit/s': 1, 'kbit/s': 1e3, 'Mbit/s': 1e6, 'Gbit/s': 1e9,
};

export function parseQuantity(text) {
  const m = /^\s*(-?[\d,]+(?:\.\d+)?)\s*([A-Za-zµ/]+)?\s*$/.exec(text);
  if (!m) throw new Failure(`"${text}" is not a number with a unit`);
  const value = Number(m[1].replaceAll(',', ''));
  if (!m[2]) return value;
  const factor = UNITS[m[2]];
  if (factor === undefined) throw new Failure(`"${text}": unknown unit ${m[2]}`);
  return value * factor;
}

// The page rounds to three significant digits: shown within 0.5 % of exact.
export function checkShown(text, exact, what) {
  const shown = parseQuantity(text);
  const rel = exact === 0 ? Math.abs(shown) : Math.abs(shown - exact) / Math.abs(exact);
  check(rel <= 0.0051, `${what}: the page shows "${text}" (${shown}), the API says ${exact}`);
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// A 404 the page asks for and handles: a run without a time series, a
// daemon without named paths (GET /presets). The browser still logs it.
export function expectedNotFound(msg) {
  const url = (msg.location && msg.location().url) || '';
  return /status of 404/.test(msg.text()) && /\/runs\/\d+\/series$|\/presets$/.test(url);
}

export function loadPlaywright() {
  const dir = process.env.WM_NODE_MODULES;
  check(dir && fs.existsSync(path.join(dir, 'playwright-core')),
    `playwright-core is not installed in WM_NODE_MODULES=${dir} (ctest runs browser_npm_ci first)`);
  return createRequire(path.join(path.resolve(dir), 'noop.js'))('playwright-core');
}

// A screenshot of a whole page, or of one element (a locator has no url).
export async function shot(target, name) {
  const file = path.join(artifacts, name);
  await target.screenshot(target.url ? { path: file, fullPage: true } : { path: file });
  log(`screenshot: ${file}`);
  return file;
}
