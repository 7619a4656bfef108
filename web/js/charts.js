// charts: the lab's Figure 1 (packets and total time against size, one
// point per run and a median line per size) and a run's time–sequence
// graph, drawn with Debian's Chart.js (served at /vendor/chart.js, loaded as
// the global Chart). The size axis is logarithmic because the lab's sizes
// span five decades (13 B to 1 MB).

import * as fmt from './format.js';
import { median } from './model.js';

export const COLORS = {
  client: '#2563eb',
  server: '#c2410c',
  point: 'rgba(37, 99, 235, 0.55)',
  median: '#0f172a',
  grid: 'rgba(15, 23, 42, 0.08)',
  text: '#475569',
};

export function chartAvailable() {
  return typeof window.Chart === 'function';
}

function baseOptions() {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    normalized: true,
    interaction: { mode: 'nearest', intersect: true },
    plugins: {
      legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 8, color: COLORS.text } },
    },
  };
}

// Labels only at 1, 10, 100... on a log axis: the others crowd the axis.
function logSizeTick(value) {
  const mantissa = value / 10 ** Math.floor(Math.log10(value) + 1e-9);
  return Math.abs(mantissa - 1) < 1e-6 ? fmt.bytes(value) : '';
}

function sizeAxis() {
  return {
    type: 'logarithmic',
    title: { display: true, text: 'Transfer size (log scale)', color: COLORS.text },
    grid: { color: COLORS.grid },
    ticks: { color: COLORS.text, callback: logSizeTick, autoSkip: false, maxRotation: 0 },
  };
}

// Points of {x: size, y: value, id} and the median of each size, in size
// order, for the line.
function series(runs, value) {
  const points = [];
  const bySize = new Map();
  for (const run of runs) {
    const y = value(run.run);
    if (!Number.isFinite(run.size) || run.size <= 0 || !Number.isFinite(y)) continue;
    points.push({ x: run.size, y, id: run.id });
    if (!bySize.has(run.size)) bySize.set(run.size, []);
    bySize.get(run.size).push(y);
  }
  const medians = [...bySize.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([x, ys]) => ({ x, y: median(ys), n: ys.length }));
  return { points, medians };
}

function labChart(canvas, yTitle, yFormat, onOpen) {
  const options = baseOptions();
  options.scales = {
    x: sizeAxis(),
    y: {
      beginAtZero: true,
      title: { display: true, text: yTitle, color: COLORS.text },
      grid: { color: COLORS.grid },
      ticks: { color: COLORS.text, callback: (v) => yFormat(v) },
    },
  };
  options.plugins.tooltip = {
    callbacks: {
      label(ctx) {
        const p = ctx.raw;
        const what = ctx.dataset.kind === 'median' ? `median of ${p.n}` : `run ${p.id}`;
        return `${fmt.bytes(p.x)}: ${yFormat(p.y)} (${what})`;
      },
    },
  };
  options.onClick = (event, elements, chart) => {
    const hit = elements.find((e) => chart.data.datasets[e.datasetIndex].kind === 'runs');
    if (hit) onOpen(chart.data.datasets[hit.datasetIndex].data[hit.index].id);
  };
  options.onHover = (event, elements) => {
    event.native.target.style.cursor = elements.length ? 'pointer' : 'default';
  };
  return new window.Chart(canvas, {
    type: 'scatter',
    data: {
      datasets: [
        { kind: 'runs', label: 'Runs', data: [], backgroundColor: COLORS.point, borderColor: COLORS.client,
          pointRadius: 4, pointHoverRadius: 6 },
        { kind: 'median', label: 'Median per size', type: 'line', data: [], borderColor: COLORS.median,
          backgroundColor: COLORS.median, borderWidth: 2, pointRadius: 3, pointStyle: 'rectRot', tension: 0 },
      ],
    },
    options,
  });
}

// The two charts of the home page; update(runs) with [{id, size, run}].
export class LabCharts {
  constructor(packetsCanvas, timeCanvas, onOpen) {
    this.packets = labChart(packetsCanvas, 'Packets', (v) => fmt.integer(Math.round(v * 10) / 10), onOpen);
    this.time = labChart(timeCanvas, 'Total time', (v) => fmt.duration(v), onOpen);
  }

  update(runs, packetsOf, timeOf) {
    const p = series(runs, packetsOf);
    const t = series(runs, timeOf);
    this.packets.data.datasets[0].data = p.points;
    this.packets.data.datasets[1].data = p.medians;
    this.time.data.datasets[0].data = t.points;
    this.time.data.datasets[1].data = t.medians;
    this.packets.update();
    this.time.update();
    return { packets: p, time: t };
  }
}

// Time–sequence graph (Stevens): for each direction, the relative sequence
// number of the last byte of each data segment against time, and the ACKs
// the other side sent for it, as a step line.
export function timeSequenceData(packets) {
  const segments = { client: [], server: [] };
  const acks = { client: [], server: [] };
  for (const p of packets) {
    const t = p.time_ns / 1e6;
    if (p.len > 0) segments[p.from]?.push({ x: t, y: p.seq + p.len, len: p.len, no: p.no });
    if (p.flags && p.flags.includes('ACK')) {
      const other = p.from === 'client' ? 'server' : 'client';
      acks[other]?.push({ x: t, y: p.ack, no: p.no });
    }
  }
  return { segments, acks };
}

export function drawTimeSequence(canvas, packets, previous) {
  if (previous) previous.destroy();
  const { segments, acks } = timeSequenceData(packets);
  const datasets = [];
  for (const side of ['server', 'client']) {
    if (!segments[side].length) continue;
    const name = side === 'server' ? 'server → client' : 'client → server';
    datasets.push({ label: `Data ${name}`, data: segments[side], backgroundColor: COLORS[side],
      borderColor: COLORS[side], pointRadius: 3, pointStyle: 'rect', showLine: false });
    // ACKs only matter for a direction that carried data.
    const acked = acks[side].filter((a) => a.y > 0);
    datasets.push({ label: `ACKs for ${name}`, data: acked, borderColor: COLORS[side], backgroundColor: COLORS[side],
      borderWidth: 1.5, borderDash: [4, 3], pointRadius: 0, showLine: true, stepped: 'before', type: 'line' });
  }
  const options = baseOptions();
  options.scales = {
    x: { type: 'linear', title: { display: true, text: 'Time since first frame (ms)', color: COLORS.text },
      grid: { color: COLORS.grid }, ticks: { color: COLORS.text } },
    y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'Relative sequence number', color: COLORS.text },
      grid: { color: COLORS.grid }, ticks: { color: COLORS.text, callback: (v) => fmt.bytes(v) } },
  };
  options.plugins.tooltip = {
    callbacks: {
      label(ctx) {
        const p = ctx.raw;
        return `#${p.no} at ${p.x.toFixed(3)} ms: ${ctx.dataset.label.startsWith('ACK') ? 'ack' : 'seq'} ${fmt.integer(p.y)}`
          + (p.len ? ` (len ${fmt.integer(p.len)})` : '');
      },
    },
  };
  return new window.Chart(canvas, { type: 'scatter', data: { datasets }, options });
}
