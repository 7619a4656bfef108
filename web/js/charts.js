// charts: the lab's Figure 1 (packets and total time against size, one
// point per run and a median line per size) and a run's time–sequence
// graph, drawn with Debian's Chart.js (served at /vendor/chart.js, loaded as
// the global Chart). The size axis is logarithmic because the lab's sizes
// span five decades (13 B to 1 MB). The medians are the daemon's (GET /lab
// rows), not computed here, so the line and the lab table cannot disagree.

import * as fmt from './format.js';

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
    interaction: { mode: 'nearest', intersect: true },
    plugins: {
      legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 10, boxHeight: 7, color: COLORS.text } },
    },
  };
}

// The size axis reaches a little past the smallest and largest size, so
// that their points are not cut in half, and has a tick (label and grid
// line) at each decade inside it: 10 B, 100 B, 1 kB... Chart.js's own log
// ticks (1, 2, 5 of each decade) crowd a phone-width axis.
function sizeAxis() {
  return {
    type: 'logarithmic',
    bounds: 'data',
    title: { display: true, text: 'Transfer size (bytes, log scale)', color: COLORS.text },
    grid: { color: COLORS.grid },
    ticks: { color: COLORS.text, callback: (value) => fmt.bytes(value), autoSkip: false, maxRotation: 0 },
    afterDataLimits(scale) {
      const empty = scale.chart.data.datasets.every((d) => !d.data.length);
      // No runs yet: the lab's range, 13 B to 1 MB.
      const min = empty ? 13 : scale.min;
      const max = empty ? 1e6 : scale.max;
      scale.min = 10 ** (Math.log10(min) - 0.25);
      scale.max = 10 ** (Math.log10(max) + 0.25);
    },
    afterBuildTicks(scale) {
      const ticks = [];
      for (let e = Math.ceil(Math.log10(scale.min)); 10 ** e <= scale.max; e += 1) ticks.push({ value: 10 ** e });
      scale.ticks = ticks;
    },
  };
}

// Points of {x: size, y: value, id}, one per run. Runs of size 0 have no
// place on a log axis and are left out.
function series(runs, sizeOf, valueOf) {
  const points = [];
  for (const run of runs) {
    const x = sizeOf(run);
    const y = valueOf(run);
    if (!Number.isFinite(x) || x <= 0 || !Number.isFinite(y)) continue;
    points.push({ x, y, id: run.id });
  }
  return points;
}

// The median line: {x: size, y: median, n: runs} per row of the lab table
// (GET /lab, in size order), size 0 left out as for the points.
function medianLine(rows, valueOf) {
  const line = [];
  for (const row of rows) {
    const y = valueOf(row);
    if (!Number.isFinite(row.size) || row.size <= 0 || !Number.isFinite(y)) continue;
    line.push({ x: row.size, y, n: row.runs });
  }
  return line;
}

function labChart(canvas, yTitle, yFormat, onOpen) {
  const options = baseOptions();
  options.scales = {
    x: sizeAxis(),
    y: {
      beginAtZero: true,
      suggestedMax: 1,
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
        { kind: 'runs', label: 'One run', data: [], backgroundColor: COLORS.point, borderColor: COLORS.client,
          pointRadius: 4, pointHoverRadius: 6 },
        { kind: 'median', label: 'Median per size', type: 'line', data: [], borderColor: COLORS.median,
          backgroundColor: COLORS.median, borderWidth: 2, pointRadius: 4, pointStyle: 'rectRot', tension: 0 },
      ],
    },
    options,
  });
}

// The two charts of the home page. update(runs, rows, {size, packets,
// totalNs}) takes the runs and accessors for their figures (the points),
// and the rows of GET /lab (the medians).
export class LabCharts {
  constructor(packetsCanvas, timeCanvas, onOpen) {
    this.packets = labChart(packetsCanvas, 'Packets captured (frames)', (v) => fmt.integer(v), onOpen);
    this.packets.options.scales.y.ticks.precision = 0; // whole packets
    this.time = labChart(timeCanvas, 'Total time, first to last packet (ms)',
      (v) => `${Number(v.toPrecision(3))}`, onOpen);
  }

  update(runs, rows, of) {
    const ms = (ns) => (ns === null || ns === undefined ? NaN : ns / 1e6);
    const p = {
      points: series(runs, of.size, of.packets),
      medians: medianLine(rows, (row) => row.packets.median),
    };
    const t = {
      points: series(runs, of.size, (run) => ms(of.totalNs(run))),
      medians: medianLine(rows, (row) => ms(row.total_ns.median)),
    };
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
      borderWidth: 1.5, borderDash: [4, 3], pointRadius: 0, pointStyle: 'line', showLine: true, stepped: 'before',
      type: 'line' });
  }
  const options = baseOptions();
  options.scales = {
    x: { type: 'linear', title: { display: true, text: 'Time since first frame (ms)', color: COLORS.text },
      grid: { color: COLORS.grid }, ticks: { color: COLORS.text } },
    y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'Relative sequence number (bytes)', color: COLORS.text },
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

// Figure 1 of one sweep: packets (left axis) and total time in ms (right
// axis) against size, one point per size at the median of its repeats,
// with a bar from the smallest to the largest repeat. Only this sweep's
// rows are drawn, and both value axes start at zero and end a little above
// the largest value shown, so nothing outside the sweep sets the scale.
const rangeBars = {
  id: 'wmRangeBars',
  afterDatasetsDraw(chart) {
    const { ctx, chartArea: area } = chart;
    chart.data.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      const y = chart.scales[ds.yAxisID];
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.strokeStyle = ds.borderColor;
      ctx.lineWidth = 1.5;
      ds.data.forEach((p, j) => {
        const x = meta.data[j].x;
        const top = y.getPixelForValue(p.max);
        const bottom = y.getPixelForValue(p.min);
        if (!(bottom - top > 1)) return;
        ctx.beginPath();
        ctx.moveTo(x, top); ctx.lineTo(x, bottom);
        ctx.moveTo(x - 4, top); ctx.lineTo(x + 4, top);
        ctx.moveTo(x - 4, bottom); ctx.lineTo(x + 4, bottom);
        ctx.stroke();
      });
      ctx.restore();
    });
  },
};

export function figure1Data(rows) {
  const ms = (ns) => Number(ns) / 1e6;
  const packets = [];
  const time = [];
  for (const r of rows) {
    if (!(r.size > 0) || !r.packets || r.packets.median === null) continue;
    packets.push({ x: r.size, y: r.packets.median, min: r.packets.min, max: r.packets.max, n: r.runs });
    time.push({ x: r.size, y: ms(r.total_ns.median), min: ms(r.total_ns.min), max: ms(r.total_ns.max), n: r.runs });
  }
  return { packets, time };
}

export function drawFigure1(canvas, rows, previous) {
  if (previous) previous.destroy();
  const { packets, time } = figure1Data(rows);
  const options = baseOptions();
  options.elements = { line: { tension: 0, cubicInterpolationMode: 'default' } };
  // The axes reach the largest repeat, so that every bar is inside.
  const top = (points) => Math.max(0, ...points.map((p) => p.max));
  options.scales = {
    x: sizeAxis(),
    y: { position: 'left', beginAtZero: true, grace: '5%', suggestedMax: top(packets), grid: { color: COLORS.grid },
      title: { display: true, text: 'Packets captured (frames)', color: COLORS.client },
      ticks: { color: COLORS.client, precision: 0, callback: (v) => fmt.integer(v) } },
    ms: { position: 'right', beginAtZero: true, grace: '5%', suggestedMax: top(time), grid: { drawOnChartArea: false },
      title: { display: true, text: 'Total time, first to last packet (ms)', color: COLORS.server },
      ticks: { color: COLORS.server, callback: (v) => `${Number(v.toPrecision(3))}` } },
  };
  options.plugins.tooltip = {
    callbacks: {
      label(ctx) {
        const p = ctx.raw;
        const f = ctx.dataset.yAxisID === 'ms' ? (v) => `${Number(v.toPrecision(3))} ms` : (v) => `${fmt.integer(v)} packets`;
        return `${fmt.bytes(p.x)}: ${f(p.y)} (median of ${p.n}; ${f(p.min)} to ${f(p.max)})`;
      },
    },
  };
  return new window.Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        { label: 'Packets (median)', data: packets, yAxisID: 'y', borderColor: COLORS.client, backgroundColor: COLORS.client,
          pointRadius: 5, pointStyle: 'circle', borderWidth: 2, tension: 0 },
        { label: 'Total time, ms (median)', data: time, yAxisID: 'ms', borderColor: COLORS.server, backgroundColor: COLORS.server,
          pointRadius: 5, pointStyle: 'rectRot', borderWidth: 2, borderDash: [6, 4], tension: 0 },
      ],
    },
    options,
    plugins: [rangeBars],
  });
}
