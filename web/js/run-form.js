// run-form: the "New run" form. It starts one run (POST /runs) or the
// lab's sweep (POST /sweeps) with wait=0, follows each run's progress, and
// puts an API error next to the field it names (error.parameter), or under
// the form when it names none.

import * as api from './api.js';
import * as fmt from './format.js';
import { follow } from './progress.js';

export const LAB_SIZES = ['13B', '2kB', '439kB', '1MB'];

// The API's parameter names and the form field that shows their errors.
const FIELD_OF = { size: 'size', sizes: 'size', direction: 'direction', chunk: 'chunk',
  nodelay: 'nodelay', label: 'label' };

export class RunForm {
  // onRunDone(run): one run finished; onBatchDone(): a run or sweep ended.
  constructor(root, { onRunDone, onBatchDone, announce }) {
    this.form = root.querySelector('#run-form');
    this.progress = root.querySelector('#progress');
    this.formError = root.querySelector('#form-error');
    this.buttons = [root.querySelector('#run-button'), root.querySelector('#sweep-button')];
    this.onRunDone = onRunDone;
    this.onBatchDone = onBatchDone;
    this.announce = announce;
    this.size = this.form.elements.size;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.runOne();
    });
    root.querySelector('#sweep-button').addEventListener('click', () => this.runSweep());
    for (const chip of root.querySelectorAll('.presets [data-size]')) {
      chip.addEventListener('click', () => {
        this.size.value = chip.dataset.size;
        this.clearField('size');
        this.markPreset();
        this.size.focus();
      });
    }
    this.size.addEventListener('input', () => {
      this.clearField('size');
      this.markPreset();
    });
    for (const name of ['chunk', 'label', 'direction', 'nodelay']) {
      this.form.elements[name].addEventListener('input', () => this.clearField(name));
    }
    this.markPreset();
  }

  // aria-pressed on the preset that equals the typed size.
  markPreset() {
    const typed = this.size.value.replace(/\s+/g, '').toLowerCase();
    for (const chip of this.form.querySelectorAll('.presets [data-size]')) {
      chip.setAttribute('aria-pressed', String(chip.dataset.size.toLowerCase() === typed));
    }
  }

  // The parameters the form names, without the empty ones.
  params() {
    const f = this.form.elements;
    const p = { direction: f.direction.value };
    if (f.chunk.value.trim()) p.chunk = f.chunk.value.trim();
    if (f.nodelay.checked) p.nodelay = 'true';
    if (f.label.value.trim()) p.label = f.label.value.trim();
    return p;
  }

  clearField(name) {
    const field = this.form.querySelector(`[data-field="${name}"]`);
    if (!field) return;
    field.classList.remove('invalid');
    field.querySelector('.field-error').textContent = '';
    this.form.elements[name].removeAttribute('aria-invalid');
  }

  clearErrors() {
    for (const name of Object.values(FIELD_OF)) this.clearField(name);
    this.formError.textContent = '';
  }

  // An error next to its field (focused, so that a keyboard or screen
  // reader user lands on it), or under the form.
  showError(err) {
    const name = FIELD_OF[err.parameter];
    if (name) {
      const field = this.form.querySelector(`[data-field="${name}"]`);
      field.classList.add('invalid');
      field.querySelector('.field-error').textContent = err.message;
      const input = this.form.elements[name];
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      this.announce(`${err.message}`);
    } else {
      this.formError.textContent = err.message;
    }
  }

  busy(on) {
    for (const b of this.buttons) b.disabled = on;
    this.form.setAttribute('aria-busy', String(on));
  }

  async runOne() {
    this.clearErrors();
    const size = this.size.value.trim();
    if (!size) {
      this.showError({ parameter: 'size', message: 'Enter a size, e.g. 1MB or 439kB.' });
      return;
    }
    this.busy(true);
    this.progress.replaceChildren();
    try {
      const started = await api.createRun({ size, ...this.params() });
      this.announce(`Run ${started.id} started: ${fmt.bytes(started.params.size)}.`);
      const run = await follow(this.progress, started.id, fmt.bytes(started.params.size));
      this.onBatchDone();
      if (run.status === 'done') {
        this.onRunDone(run);
      } else {
        this.formError.textContent = `Run ${run.id} failed: ${run.error ? run.error.message : 'no reason given'}`;
      }
    } catch (err) {
      this.showError(err);
    } finally {
      this.busy(false);
    }
  }

  async runSweep() {
    this.clearErrors();
    this.busy(true);
    this.progress.replaceChildren();
    try {
      const sweep = await api.createSweep(LAB_SIZES, 1, this.params());
      this.announce(`Lab sweep started: ${sweep.runs.length} runs.`);
      const runs = await Promise.all(sweep.runs.map((r) => follow(this.progress, r.id, fmt.bytes(r.size))));
      const failed = runs.filter((r) => r.status !== 'done').length;
      this.onBatchDone();
      this.announce(failed ? `Lab sweep ended: ${failed} of ${runs.length} runs failed.`
        : `Lab sweep done: ${runs.length} runs. The tables and charts are updated.`);
      if (failed) this.formError.textContent = `${failed} of the sweep's ${runs.length} runs failed; see their rows.`;
    } catch (err) {
      this.showError(err);
    } finally {
      this.busy(false);
    }
  }
}
