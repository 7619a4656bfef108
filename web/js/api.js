// api: the page's only door to the daemon. Every call returns parsed JSON or
// throws an ApiError carrying the daemon's {"error": {code, message,
// parameter}} so that the form can put the message next to the field it
// names.
//
// Absolute times are nanoseconds since 1970, above 2^53: JSON.parse would
// round them to the nearest double (…389032995 becomes …389033000), so an
// integer too large for a double is parsed as a BigInt from its own source
// text (the reviver's context.source) and the body's text is kept as
// received, for the Raw JSON view (rawText).
//
// A daemon with a token answers 401 to POST and DELETE without it (and to
// every read with --protect-reads): the page then asks for the token once
// (setTokenPrompt), keeps it in sessionStorage — gone with the tab, never
// in a cookie, which any site's form could make the browser send — and
// sends it as `Authorization: Bearer`.

export class ApiError extends Error {
  constructor(status, code, message, parameter) {
    super(message);
    this.status = status;
    this.code = code;
    this.parameter = parameter || null;
  }
}

const TOKEN_KEY = 'wiremeter-token';
let tokenPrompt = null;
let asking = null; // one prompt for all the calls that wait for it
let memoryToken = ''; // when the browser refuses storage: until a reload

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || memoryToken;
  } catch {
    return memoryToken;
  }
}

function storeToken(token) {
  memoryToken = token;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage refused (a private mode): memoryToken serves.
  }
}

// prompt(message) resolves the token the user gave, or null when they
// declined.
export function setTokenPrompt(prompt) {
  tokenPrompt = prompt;
}

export function hasToken() {
  return Boolean(storedToken());
}

function authHeaders(headers) {
  const token = storedToken();
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

// The server's text of each document parsed here, for the Raw JSON view.
const rawTexts = new WeakMap();

export function rawText(doc) {
  return rawTexts.get(doc) ?? null;
}

// JSON.parse with every integer beyond Number.MAX_SAFE_INTEGER as a
// BigInt, exact to the last digit.
export function parseExact(text) {
  const doc = JSON.parse(text, (key, value, context) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value)
        && context && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  });
  if (doc && typeof doc === 'object') rawTexts.set(doc, text);
  return doc;
}

async function send(method, path, options) {
  let response;
  const token = storedToken();
  try {
    response = await fetch(path, {
      method,
      headers: authHeaders({ Accept: 'application/json', ...(options.headers || {}) }),
      body: options.body,
      signal: options.signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', `The daemon did not answer (${err.message}). Is wiremeter serve running?`);
  }
  if (response.status === 204) return { response, body: null, token };
  const text = await response.text();
  try {
    return { response, body: text ? parseExact(text) : null, token };
  } catch {
    return { response, body: null, token };
  }
}

// 401, or 403 naming Authorization (a wrong token): the token is asked.
function wantsToken(response, error) {
  return response.status === 401 || (response.status === 403 && error.parameter === 'Authorization');
}

async function call(method, path, options = {}) {
  for (;;) {
    const { response, body, token: sent } = await send(method, path, options);
    if (response.ok) return body;
    const e = (body && body.error) || {};
    // Sent before another call got the token: try again with it.
    if (wantsToken(response, e) && sent !== storedToken()) continue;
    if (wantsToken(response, e) && tokenPrompt) {
      if (response.status === 403) storeToken('');
      if (!asking) asking = tokenPrompt(e.message).finally(() => { asking = null; });
      const token = await asking;
      if (token) {
        storeToken(token);
        continue;
      }
    }
    throw new ApiError(response.status, e.code || `http_${response.status}`,
      e.message || `${method} ${path} failed with HTTP ${response.status}`, e.parameter);
  }
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// Starts a run; wait=0 so the answer (202 with the id) comes at once and the
// page polls for progress.
export function createRun(params) {
  return call('POST', `/runs${query({ ...params, wait: 0 })}`);
}

export function getRun(id, signal) {
  return call('GET', `/runs/${encodeURIComponent(id)}`, { signal });
}

// One page of the history, newest first: {runs: [...], next: the id to
// pass as before for the next page, or null on the last page}.
export async function listRuns(limit, before) {
  const body = await call('GET', `/runs${query({ limit, before })}`);
  return { runs: body.runs, next: body.next_before ?? null };
}

// The lab's table over the newest `limit` runs, computed by the daemon
// (the same arithmetic as a sweep's tables): {runs: done runs used, table:
// rows by size ascending, each with runs and packets, total_ns and
// average_packet_size as {median, min, max}}.
export function getLab(limit) {
  return call('GET', `/lab${query({ limit })}`);
}

export function deleteRun(id) {
  return call('DELETE', `/runs/${encodeURIComponent(id)}`);
}

// One page of a run's packet list: {packets: [...], total: N}.
export async function getPackets(id, offset, limit, signal) {
  const body = await call('GET', `/runs/${encodeURIComponent(id)}/packets${query({ offset, limit })}`, { signal });
  return { packets: body.packets, total: body.total };
}

// A sweep; wait=0 so that the answer names its runs at once and the page
// follows each of them.
// params: direction, chunk, nodelay... as for a run.
export function createSweep(sizes, repeat, params = {}) {
  return call('POST', `/sweeps${query({ sizes: sizes.join(','), repeat, ...params, wait: 0 })}`);
}

// One page of the sweeps, newest first, as GET /runs pages runs:
// {sweeps: [...], next: the cursor for the next page, or null}.
export async function listSweeps(limit, before) {
  const body = await call('GET', `/sweeps${query({ limit, before })}`);
  return { sweeps: body.sweeps || [], next: body.next_before ?? null };
}

export function getSweep(id, signal) {
  return call('GET', `/sweeps/${encodeURIComponent(id)}`, { signal });
}

// The API's description: the run parameters with their defaults, bounds
// and help (components.parameters) that the forms are built from.
let openapi = null;
export function getOpenapi() {
  if (!openapi) openapi = call('GET', '/openapi.json').catch((err) => { openapi = null; throw err; });
  return openapi;
}

export function getHealth() {
  return call('GET', '/healthz');
}

export function pcapUrl(run) {
  return run.links.pcap;
}

// Saves a blob under a file name, as a download link would.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// A link cannot carry the token: with one, a file (the pcap, a sweep's CSV
// or SVG) is fetched with it and saved from a blob.
export async function download(path, name, what) {
  const response = await fetch(path, { headers: authHeaders({}) });
  if (!response.ok) throw new ApiError(response.status, `http_${response.status}`, `${what} could not be downloaded (HTTP ${response.status}).`);
  saveBlob(await response.blob(), name);
}

export function downloadPcap(run) {
  return download(pcapUrl(run), `wiremeter-run-${run.id}.pcap`, 'The capture');
}

// ---- Uploaded captures (POST/GET/DELETE /captures) ----------------------

// One page of the uploaded captures, newest first, as GET /runs pages runs.
export async function listCaptures(limit, before) {
  const body = await call('GET', `/captures${query({ limit, before })}`);
  return { captures: body.captures || [], next: body.next_before ?? null };
}

export function getCapture(id, signal) {
  return call('GET', `/captures/${encodeURIComponent(id)}`, { signal });
}

export function deleteCapture(id) {
  return call('DELETE', `/captures/${encodeURIComponent(id)}`);
}

// One page of connection n's packet list: {packets: [...], total: N}.
export async function getCapturePackets(id, n, offset, limit, signal) {
  const body = await call('GET', `/captures/${encodeURIComponent(id)}/connections/${encodeURIComponent(n)}/packets`
    + query({ offset, limit }), { signal });
  return { packets: body.packets, total: body.total };
}

// The file's bytes as the body (the daemon recognises a gzip'd file by its
// first bytes), so that nothing is wrapped only to be unwrapped; the label
// rides in the query, where the API takes it.
function sendCapture(file, label, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const token = storedToken();
    xhr.open('POST', `/captures${query({ label })}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.addEventListener('progress', (e) => onProgress({ phase: 'upload', sent: e.loaded, total: e.total || file.size }));
    xhr.upload.addEventListener('load', () => onProgress({ phase: 'analysing', sent: file.size, total: file.size }));
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = xhr.responseText ? parseExact(xhr.responseText) : null;
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body, token });
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network',
      'The upload did not reach the daemon (the connection closed). Is wiremeter serve running?')));
    xhr.addEventListener('abort', () => reject(new DOMException('The upload was cancelled.', 'AbortError')));
    xhr.send(file);
  });
}

// Uploads a capture file with its progress (onProgress({phase: 'upload' |
// 'analysing', sent, total})) and answers the capture's document: at once
// when the daemon answers 201 with the analysis, else (202) when GET
// /captures/{id} says it is no longer being analysed. A refusal throws
// the daemon's error (what was wrong, what is allowed).
export async function uploadCapture(file, label, onProgress = () => {}, signal) {
  for (;;) {
    const { status, body, token: sent } = await sendCapture(file, label, onProgress);
    if (status === 201 || status === 202) {
      let doc = body;
      // The whole body was taken, whether or not the upload's own end was seen.
      onProgress({ phase: 'analysing', sent: file.size, total: file.size });
      while (doc && doc.status !== 'done' && doc.status !== 'failed') {
        await new Promise((resolve) => { setTimeout(resolve, 400); });
        if (signal && signal.aborted) throw new DOMException('Stopped following the analysis.', 'AbortError');
        doc = await getCapture(doc.id, signal);
      }
      return doc;
    }
    const e = (body && body.error) || {};
    const response = { status };
    if (wantsToken(response, e) && sent !== storedToken()) continue;
    if (wantsToken(response, e) && tokenPrompt) {
      if (status === 403) storeToken('');
      if (!asking) asking = tokenPrompt(e.message).finally(() => { asking = null; });
      const token = await asking;
      if (token) {
        storeToken(token);
        continue;
      }
    }
    throw new ApiError(status, e.code || `http_${status}`,
      e.message || `The upload was refused with HTTP ${status}.`, e.parameter);
  }
}

// The name to save a capture's file under: its stored name (the daemon's
// "1.pcap" or "1.pcapng") behind the program's.
export function captureFileName(capture) {
  const stored = capture.analysis && capture.analysis.file;
  return `wiremeter-capture-${stored || `${capture.id}.pcap`}`;
}

export function downloadCapture(capture) {
  return download(capture.links.pcap, captureFileName(capture), 'The capture');
}

// ---- Paths and time series (issue 13) ------------------------------------

// GET that answers null for a 404: a run without a series, a daemon
// without presets.
async function getOrNull(path, signal) {
  try {
    return await call('GET', path, { signal });
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

// A run's time series (docs/result.md), or null when it has none.
export function getSeries(id, signal) {
  return getOrNull(`/runs/${encodeURIComponent(id)}/series`, signal);
}

// One table of a run's series as CSV, for a link.
export function seriesCsvUrl(id, table) {
  return `/runs/${encodeURIComponent(id)}/series${query({ format: 'csv', table })}`;
}

// The named paths ({presets: [{name, title, description, params}]}), or
// null when the daemon has none.
export function getPresets() {
  return getOrNull('/presets');
}
