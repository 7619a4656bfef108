// progress: follows runs that are queued or running by polling GET
// /runs/{id}, and shows each as a row with a progress bar (bytes done of
// bytes total) until it is done or failed. Used by the form (one run or a
// sweep) and by the run view (a run opened while still under way).

import * as api from './api.js';
import * as fmt from './format.js';
import { isFinal, progressOf, runSize } from './model.js';

const POLL_MS = 250;

function row(id, sizeText) {
  const item = document.createElement('div');
  item.className = 'progress-item';
  item.dataset.runId = String(id);
  const label = document.createElement('span');
  label.className = 'progress-label';
  const link = document.createElement('a');
  link.href = `#/runs/${id}`;
  link.textContent = `Run ${id}`;
  label.append(link, document.createTextNode(sizeText ? ` · ${sizeText}` : ''));
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute('aria-label', `Run ${id} progress`);
  const state = document.createElement('span');
  state.className = 'progress-state';
  state.textContent = 'queued';
  item.append(label, bar, state);
  return { item, bar, state };
}

function show(parts, run) {
  const { done, total } = progressOf(run);
  parts.item.dataset.status = run.status;
  if (run.status === 'done') {
    parts.bar.value = 1;
    parts.state.textContent = 'done';
  } else if (run.status === 'failed') {
    parts.bar.value = 0;
    parts.state.textContent = `failed: ${(run.error && run.error.message) || 'no reason given'}`;
  } else if (run.status === 'running' && total) {
    parts.bar.value = Math.min(1, done / total);
    parts.state.textContent = `running · ${fmt.bytes(done)} of ${fmt.bytes(total)}`;
  } else {
    parts.bar.removeAttribute('value'); // indeterminate while queued
    parts.state.textContent = run.status;
  }
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// Polls run id until it is final, updating a row appended to container.
// Resolves with the final run document; rejects on an API error. signal
// (AbortSignal) stops it.
export async function follow(container, id, sizeText, signal) {
  const parts = row(id, sizeText);
  container.appendChild(parts.item);
  container.hidden = false;
  for (;;) {
    if (signal && signal.aborted) throw new DOMException('stopped', 'AbortError');
    const run = await api.getRun(id, signal);
    if (!sizeText && runSize(run)) {
      parts.item.querySelector('.progress-label').lastChild.textContent = ` · ${fmt.bytes(runSize(run))}`;
    }
    show(parts, run);
    if (isFinal(run.status)) return run;
    await sleep(POLL_MS);
  }
}
