// model: reads the figures the page shows out of the daemon's documents
// (docs/result.md). GET /runs/{id} carries the whole result; GET /runs
// carries a summary per run instead ({packets, payload_bytes, total_ns,
// throughput_bps, average_packet_size}). These accessors read either, so
// that the rest of the page never looks into the shapes itself.

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

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// The lab's tables from a list of runs: per size (ascending), the number of
// finished runs and the medians of packets, total time and average packet
// size. Failed and unfinished runs are left out.
export function labTable(runs) {
  const bySize = new Map();
  for (const run of runs) {
    if (run.status !== 'done' || runPackets(run) === null) continue;
    const size = runSize(run);
    if (!bySize.has(size)) bySize.set(size, []);
    bySize.get(size).push(run);
  }
  return [...bySize.entries()].sort((a, b) => a[0] - b[0]).map(([size, list]) => ({
    size,
    runs: list.length,
    packets: median(list.map(runPackets)),
    total_ns: median(list.map(runTotalNs)),
    average_packet_size: median(list.map(runAveragePacket)),
  }));
}
