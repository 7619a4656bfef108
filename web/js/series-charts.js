// series-charts: the stack of time-series graphs (series.js says what each
// draws) on ONE time axis: every graph has the same x range and the same
// width of y axis, so that a moment is at the same place in all of them,
// and a drag across any graph zooms all of them to that span (double-click
// or "Whole run" shows everything again). Used by a run's view (one
// document, every kind of mark, a CSV link per graph) and by the compare
// view (up to four documents overlaid, one colour each).
//
// Chart.js instances stay reachable with Chart.getChart(canvas); each
// canvas carries data-graph, so a test can read the drawn points.

import { COLORS } from './charts.js';
import { GRAPHS, datasets, describe, lastMs } from './series.js';

const Y_AXIS_W = 84; // px: the same for every graph, so their plots line up
const DRAG_MIN_PX = 6; // a shorter drag is a click

function node(tag, attrs = {}, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function options(graph, range, showLegend) {
  const axisText = { color: COLORS.text };
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    normalized: true,
    interaction: { mode: 'nearest', intersect: false, axis: 'xy' },
    events: ['mousemove', 'mouseout', 'click', 'touchstart', 'touchmove'],
    scales: {
      x: { type: 'linear', min: range.min, max: range.max,
        title: { display: true, text: 'Time since the first SYN (ms)', ...axisText },
        grid: { color: COLORS.grid }, ticks: { ...axisText, maxRotation: 0 } },
      y: { type: 'linear', beginAtZero: true, title: { display: true, text: graph.yTitle, ...axisText },
        grid: { color: COLORS.grid }, ticks: { ...axisText, callback: (v) => graph.yTick(v) },
        afterFit(scale) { scale.width = Y_AXIS_W; } },
    },
    plugins: {
      legend: { display: showLegend, position: 'bottom',
        labels: { usePointStyle: true, boxWidth: 10, boxHeight: 7, color: COLORS.text } },
      tooltip: { callbacks: { label: (ctx) => describe(ctx.dataset, ctx.raw) } },
    },
  };
}

// A drag across the plot selects a span of time; the band shows it while
// the button is held.
function dragZoom(canvas, box, zoom, reset) {
  let from = null;
  const band = node('div', { class: 'zoom-band', hidden: '' });
  box.appendChild(band);
  const chartOf = () => window.Chart.getChart(canvas);
  const xOf = (e) => e.clientX - canvas.getBoundingClientRect().left;
  canvas.addEventListener('pointerdown', (e) => {
    const area = chartOf().chartArea;
    const x = xOf(e);
    if (e.button !== 0 || x < area.left || x > area.right) return;
    from = x;
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (from === null) return;
    const area = chartOf().chartArea;
    const x = Math.max(area.left, Math.min(area.right, xOf(e)));
    band.hidden = false;
    band.style.left = `${Math.min(from, x)}px`;
    band.style.width = `${Math.abs(x - from)}px`;
    band.style.top = `${area.top}px`;
    band.style.height = `${area.bottom - area.top}px`;
  });
  canvas.addEventListener('pointerup', (e) => {
    if (from === null) return;
    const chart = chartOf();
    const x = Math.max(chart.chartArea.left, Math.min(chart.chartArea.right, xOf(e)));
    band.hidden = true;
    const a = Math.min(from, x);
    const b = Math.max(from, x);
    from = null;
    if (b - a < DRAG_MIN_PX) return;
    zoom(chart.scales.x.getValueForPixel(a), chart.scales.x.getValueForPixel(b));
  });
  canvas.addEventListener('dblclick', reset);
}

// The time axis ends on a round figure (900 ms, not 863.9): the next
// multiple of half a power of ten.
export function roundUp(v) {
  if (!(v > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(v)) / 2;
  return Math.ceil(v / step) * step;
}

// The lowest and highest value of the shown datasets' points between a
// and b ms, padded by 5 % of their spread; null when no point is there.
function visibleRange(chart, a, b) {
  let low = Infinity;
  let high = -Infinity;
  chart.data.datasets.forEach((d, i) => {
    if (!chart.isDatasetVisible(i)) return;
    for (const p of d.data) {
      if (p.x < a || p.x > b) continue;
      if (p.y < low) low = p.y;
      if (p.y > high) high = p.y;
    }
  });
  if (low > high) return null;
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1;
  return { low: Math.max(0, low - pad), high: high + pad };
}

export class SeriesCharts {
  // container: an element the graphs are built in. runs: [{doc, name,
  // colour}]: one run with colour null for a run's view. csv(table): the
  // CSV address of one table, or null for none.
  constructor(container, runs, { csv = null, idPrefix = 'series' } = {}) {
    this.container = container;
    this.charts = [];
    this.full = { min: 0, max: roundUp(Math.max(...runs.map((r) => lastMs(r.doc)))) };
    const single = runs.length === 1 && !runs[0].colour;
    const head = node('div', { class: 'series-tools' });
    const reset = node('button', { type: 'button', class: 'button small', 'data-action': 'zoom-reset' }, 'Whole run');
    reset.disabled = true;
    reset.addEventListener('click', () => this.zoom(this.full.min, this.full.max));
    this.resetButton = reset;
    head.append(node('p', { class: 'hint' }, 'Drag across a graph to zoom all of them to that time; double-click for the whole run. '
      + 'A name in a legend hides or shows its marks.'),
      reset);
    const figures = [head];
    for (const graph of GRAPHS) {
      const fig = node('figure', { class: 'series-graph', 'data-graph': graph.key });
      const cap = node('figcaption');
      cap.append(node('span', { class: 'series-title', id: `${idPrefix}-${graph.key}-title` },
        single ? graph.title : (graph.compareTitle || graph.title)));
      if (csv) {
        for (const table of graph.tables) {
          const link = node('a', { class: 'csv-link', href: csv(table), download: '', 'data-table': table }, `CSV: ${table}`);
          cap.append(' ', link);
        }
      }
      const intro = node('p', { class: 'hint series-intro' }, single ? graph.intro : graph.compareIntro);
      const box = node('div', { class: 'chart-canvas series-canvas' });
      const canvas = node('canvas', { id: `${idPrefix}-${graph.key}`, 'data-graph': graph.key, role: 'img',
        'aria-label': `${graph.title} against time; the same figures are in the CSV tables` });
      box.appendChild(canvas);
      fig.append(cap, intro, box);
      figures.push(fig);
    }
    // Drawn once in the page: Chart.js sizes a canvas from its box.
    container.replaceChildren(...figures);
    for (const graph of GRAPHS) {
      const canvas = container.querySelector(`canvas[data-graph="${graph.key}"]`);
      const sets = runs.flatMap((r) => datasets(graph.key, r.doc, r.colour, r.name));
      this.charts.push(new window.Chart(canvas, { type: 'scatter', data: { datasets: sets },
        options: options(graph, this.full, single) }));
      dragZoom(canvas, canvas.parentElement, (a, b) => this.zoom(a, b), () => this.zoom(this.full.min, this.full.max));
    }
  }

  // Every graph to the span [a, b] ms, each value axis to what is shown in
  // it (the sequence numbers of 10 ms are a sliver of a run's); the whole
  // run gives the axes back to Chart.js.
  zoom(a, b) {
    const whole = a === this.full.min && b === this.full.max;
    for (const chart of this.charts) {
      chart.options.scales.x.min = a;
      chart.options.scales.x.max = b;
      const y = chart.options.scales.y;
      const range = whole ? null : visibleRange(chart, a, b);
      y.min = range && chart.canvas.dataset.graph === 'tsg' ? range.low : undefined;
      y.max = range ? range.high : undefined;
      chart.update('none');
    }
    this.resetButton.disabled = a === this.full.min && b === this.full.max;
    this.container.dataset.zoom = `${a},${b}`;
  }

  destroy() {
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
    this.container.replaceChildren();
  }
}
