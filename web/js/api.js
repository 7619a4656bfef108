// api: the page's only door to the daemon. Every call returns parsed JSON or
// throws an ApiError carrying the daemon's {"error": {code, message,
// parameter}} so that the form can put the message next to the field it
// names.

export class ApiError extends Error {
  constructor(status, code, message, parameter) {
    super(message);
    this.status = status;
    this.code = code;
    this.parameter = parameter || null;
  }
}

async function call(method, path, options = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Accept: 'application/json', ...(options.headers || {}) },
      body: options.body,
      signal: options.signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', `The daemon did not answer (${err.message}). Is wiremeter serve running?`);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const e = (body && body.error) || {};
    throw new ApiError(response.status, e.code || `http_${response.status}`,
      e.message || `${method} ${path} failed with HTTP ${response.status}`, e.parameter);
  }
  return body;
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

export function getHealth() {
  return call('GET', '/healthz');
}

export function pcapUrl(run) {
  return run.links.pcap;
}
