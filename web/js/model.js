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
