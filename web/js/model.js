// model: reads the figures the page shows out of the daemon's documents
// (docs/result.md). GET /runs/{id} carries the whole result; GET /runs
// carries a summary per run instead ({packets, payload_bytes, total_ns,
// throughput_bps, average_packet_size}). These accessors read either, so
// that the rest of the page never looks into the shapes itself. Figures
// over several runs (the medians per size) are not computed here: GET /lab
// answers them.

export function runSize(run) {
  return run.params ? run.params.size : null;
}

export function runSizeText(run) {
  return run.params ? run.params.size_text : null;
}

export function runPackets(run) {
  if (run.result) return run.result.totals.packets;
  return run.summary ? run.summary.packets : null;
}

export function runTotalNs(run) {
  if (run.result) return run.result.timing.total_ns;
  return run.summary ? run.summary.total_ns : null;
}

export function runAveragePacket(run) {
  if (run.result) return run.result.average_packet_size.all;
  return run.summary ? run.summary.average_packet_size : null;
}

export function isFinal(status) {
  return status === 'done' || status === 'failed';
}

export function progressOf(run) {
  const p = run.progress || {};
  return { done: p.bytes_done ?? 0, total: p.bytes_total ?? runSize(run) };
}

import { sizeParam } from './format.js';

const SIZE_SETTINGS = new Set(['chunk', 'sndbuf', 'rcvbuf']);

// Settings that are not a size, the label or where the run went: the
// parameters that make two runs of one size comparable or not.
const NOT_SETTING = new Set(['size', 'size_text', 'sizes', 'repeat', 'label', 'interface', 'timeout']);

// The link's own settings: the API refuses them on the loopback path, but
// a loopback run's params still carry their defaults (mtu 1500), which
// would read as the loopback interface's MTU.
const LINK_ONLY = new Set(['mtu', 'offload', 'rate', 'queue', 'loss', 'seed', 'delay', 'jitter']);

// A setting of the link, or a per-direction form of one (rate_up...).
export function isLinkSetting(name) {
  return LINK_ONLY.has(name) || LINK_ONLY.has(name.split('_')[0]);
}

// A run's or sweep's settings in a line: "download · chunk 64 KiB · mss 1460";
// zero, false and empty values (the kernel's or the API's defaults) are
// left out, and so is the loopback path, the default, with its link's
// settings.
export function settingsText(params) {
  if (!params) return '';
  const onLink = params.path === 'link';
  const parts = [];
  for (const [name, value] of Object.entries(params)) {
    if (NOT_SETTING.has(name) || value === 0 || value === false || value === '' || value === null) continue;
    if (name === 'preset' && value === 'none') continue; // no named path: the default
    if (!onLink && (name === 'path' || LINK_ONLY.has(name))) continue;
    if (name === 'direction') parts.unshift(String(value));
    else if (value === true) parts.push(name);
    else parts.push(`${name} ${SIZE_SETTINGS.has(name) ? sizeParam(value) : value}`);
  }
  return parts.join(' · ');
}
