// model: reads the figures the page shows out of a run document
// (docs/result.md: the daemon's wrapper around the engine's result). The
// history list may carry the full result or only a summary, depending on
// the daemon; these accessors look in both places so that the rest of the
// page never guesses at the shape.

function pick(...values) {
  for (const v of values) if (v !== undefined && v !== null) return v;
  return null;
}

export function runSize(run) {
  return pick(run.params && run.params.size, run.size, run.size_bytes,
    run.result && run.result.params && run.result.params.size);
}

export function runSizeText(run) {
  return pick(run.params && run.params.size_text, run.size_text);
}

export function runPackets(run) {
  const r = run.result;
  return pick(r && r.totals && r.totals.packets, run.summary && run.summary.packets);
}

export function runTotalNs(run) {
  const r = run.result;
  return pick(r && r.timing && r.timing.total_ns, run.summary && run.summary.total_ns);
}

export function runAveragePacket(run) {
  const r = run.result;
  const avg = r && r.average_packet_size;
  const s = run.summary;
  return pick(avg && avg.all,
    s && s.average_packet_size && (typeof s.average_packet_size === 'object' ? s.average_packet_size.all : s.average_packet_size));
}

// Whether a done run lacks the figures (a list that carries no result).
export function needsDetail(run) {
  return run.status === 'done' && (runPackets(run) === null || runTotalNs(run) === null);
}

export function isFinal(status) {
  return status === 'done' || status === 'failed';
}

export function progressOf(run) {
  const p = run.progress || {};
  const total = pick(p.bytes_total, runSize(run));
  const done = pick(p.bytes_done, 0);
  return { done, total };
}

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
