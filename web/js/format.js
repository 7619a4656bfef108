// format: numbers for people (kB, ms, Gbit/s), with the exact value kept
// beside them. Every formatted number on the page goes through here so that
// a size reads the same in the history, the cards and the charts, and so
// that the exact figure the API returned stays in a title/data attribute
// for anyone (or any test) who needs it.

const SIZE_UNITS = [
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'kB'],
];

// Three significant digits, no trailing zeros: 439 kB, 1.05 MB, 13 B.
function sig3(value) {
  if (value >= 100) return String(Math.round(value));
  const text = value.toPrecision(3);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

// Bytes in decimal units, as the lab writes them (1 kB = 1000 B).
export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const abs = Math.abs(n);
  for (const [factor, unit] of SIZE_UNITS) {
    if (abs >= factor) return `${sig3(n / factor)} ${unit}`;
  }
  return `${sig3(n)} B`;
}

// A size the user chose (a write size, a buffer): in binary units when it
// is a whole number of them (64 KiB, not 65.5 kB), else as bytes() does.
export function sizeParam(n) {
  if (!n) return bytes(n);
  if (n % 1048576 === 0) return `${n / 1048576} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return bytes(n);
}

// A duration given in nanoseconds: 41 µs, 82.1 ms, 1.2 s.
export function duration(ns) {
  if (ns === null || ns === undefined || Number.isNaN(ns)) return '—';
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${sig3(ns / 1e9)} s`;
  if (abs >= 1e6) return `${sig3(ns / 1e6)} ms`;
  if (abs >= 1e3) return `${sig3(ns / 1e3)} µs`;
  return `${ns} ns`;
}

// Relative time in seconds with microsecond digits, like Wireshark's Time
// column (0.000041).
export function seconds6(ns) {
  if (ns === null || ns === undefined) return '—';
  return (ns / 1e9).toFixed(6);
}

export function bitrate(bps) {
  if (bps === null || bps === undefined || Number.isNaN(bps)) return '—';
  const units = [[1e9, 'Gbit/s'], [1e6, 'Mbit/s'], [1e3, 'kbit/s']];
  for (const [factor, unit] of units) {
    if (Math.abs(bps) >= factor) return `${sig3(bps / factor)} ${unit}`;
  }
  return `${sig3(bps)} bit/s`;
}

export function integer(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return Number(n).toLocaleString('en-US');
}

// Milliseconds since the epoch of a time in ns (a BigInt when the API's
// integer was beyond 2^53, see api.js), for Date: whole ms, by BigInt
// division, never through a rounded double of the ns.
export function epochMs(ns) {
  if (typeof ns === 'bigint') return Number(ns / 1000000n);
  return Math.floor(ns / 1e6);
}

// A wall-clock time in ns since the epoch, as local date and time.
export function clock(ns) {
  if (!ns) return '—';
  const date = new Date(epochMs(ns));
  return date.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

// "3 min ago", for the history; the exact time goes in the title.
export function ago(ns, nowMs = Date.now()) {
  if (!ns) return '—';
  const s = Math.max(0, Math.round((nowMs - epochMs(ns)) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return clock(ns);
}

export function isoTime(ns) {
  return ns ? new Date(epochMs(ns)).toISOString() : '';
}

// An absolute time as the API wrote it (RFC 3339, UTC, nanoseconds):
// "2026-11-30T20:15:37.389032995Z" reads "2026-11-30 20:15:37.389032995";
// the digits are the server's, never a double's.
export function exactTime(text) {
  if (typeof text !== 'string' || !text) return '—';
  return text.replace('T', ' ').replace(/Z$/, '');
}

// Puts a human text into el and the exact value into data-value and title.
export function setValue(el, text, exact, unit = '') {
  el.textContent = text;
  if (exact === null || exact === undefined) {
    el.removeAttribute('data-value');
    el.removeAttribute('title');
    return el;
  }
  el.dataset.value = String(exact);
  const shown = typeof exact === 'number' || typeof exact === 'bigint' ? exact.toLocaleString('en-US') : exact;
  el.title = `${shown}${unit ? ' ' + unit : ''}`;
  return el;
}

// An endpoint as Wireshark writes it: an IPv6 address in brackets.
export function endpointText(ep) {
  if (!ep) return '—';
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
}
