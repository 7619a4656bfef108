// run-form: the "New run" form. It starts one run (POST /runs) or the
// lab's sweep (POST /sweeps, repeated) with wait=0, follows each run's
// progress, and puts an API error next to the field it names
// (error.parameter), or under the form when it names none. Its settings
// fields are built from the API's description (params-form.js).

import * as api from './api.js';
import * as fmt from './format.js';
import { follow } from './progress.js';
import * as pf from './params-form.js';

export const LAB_SIZES = ['13B', '2kB', '439kB', '1MB'];
// The page's sweep repeats each size: one run alone zig-zags with the
// machine's noise, three give a median and a spread.
const PAGE_REPEAT = 3;

// The field that shows an error naming an API parameter, when it is not
// the parameter's own.
const FIELD_OF = { sizes: 'size' };

export class RunForm {
  // onRunDone(run): one run finished; onSweepDone(sweep): a sweep ended;
  // onBatchDone(): a run or sweep ended.
  constructor(root, { onRunDone, onSweepDone, onBatchDone, announce }) {
    this.form = root.querySelector('#run-form');
    this.progress = root.querySelector('#progress');
    this.formError = root.querySelector('#form-error');
    this.buttons = [root.querySelector('#run-button'), root.querySelector('#sweep-button')];
    this.onRunDone = onRunDone;
    this.onSweepDone = onSweepDone;
    this.onBatchDone = onBatchDone;
    this.names = [];
    this.presetWhy = root.querySelector('#preset-why');
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
    this.form.elements.repeat.value = String(PAGE_REPEAT);
    this.form.elements.repeat.addEventListener('input', () => this.clearField('repeat'));
    root.querySelector('#preset-defaults').addEventListener('click', () => this.preset(null));
    root.querySelector('#preset-handout').addEventListener('click', () => this.preset(pf.HANDOUT_PRESET));
    this.markPreset();
    this.ready = this.buildSettings(root);
  }

  // The settings fields, from GET /openapi.json.
  async buildSettings(root) {
    const note = root.querySelector('#settings-note');
    let doc;
    try {
      doc = await api.getOpenapi();
    } catch (err) {
      note.textContent = `The settings could not be read from /openapi.json (${err.message}); runs use the defaults.`;
      return;
    }
    this.names = pf.buildFields(doc, root.querySelector('#settings-first'), root.querySelector('#settings-more'));
    for (const name of this.names) {
      this.form.elements[name].addEventListener('input', () => {
        this.clearField(name);
        this.markSettingsPreset();
      });
    }
    const repeat = pf.repeatParam(doc);
    if (repeat) {
      const input = this.form.elements.repeat;
      if (repeat.schema.minimum !== undefined) input.min = String(repeat.schema.minimum);
      if (repeat.schema.maximum !== undefined) input.max = String(repeat.schema.maximum);
      root.querySelector('#f-repeat-hint').textContent = `Repeats: ${repeat.description} `
        + `The page runs ${PAGE_REPEAT} so that each size has a median and a spread.`;
    }
    this.markSettingsPreset();
    this.form.dataset.settings = this.names.join(',');
  }

  // preset: null for the defaults, else {name, values, why}.
  preset(p) {
    pf.apply(this.form, this.names, p ? p.values : {});
    for (const name of this.names) this.clearField(name);
    this.presetWhy.textContent = p ? `${p.name}: ${Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(', ')}, `
      + `the rest at their defaults. ${p.why}` : '';
    this.markSettingsPreset();
  }

  // aria-pressed on the settings preset the fields equal (the handout's
  // nodelay=false is the default, so values() leaves it out).
  markSettingsPreset() {
    const key = (o) => JSON.stringify(Object.entries(o).map(([k, v]) => [k, String(v)]).sort());
    const now = key(pf.values(this.form, this.names));
    const handout = Object.fromEntries(Object.entries(pf.HANDOUT_PRESET.values).filter(([, v]) => v !== false));
    this.form.querySelector('#preset-defaults').setAttribute('aria-pressed', String(now === key({})));
    this.form.querySelector('#preset-handout').setAttribute('aria-pressed', String(now === key(handout)));
  }

  // aria-pressed on the size preset that equals the typed size.
  markPreset() {
    const typed = this.size.value.replace(/\s+/g, '').toLowerCase();
    for (const chip of this.form.querySelectorAll('.presets [data-size]')) {
      chip.setAttribute('aria-pressed', String(chip.dataset.size.toLowerCase() === typed));
    }
  }

  // The settings that differ from their defaults.
  params() {
    return pf.values(this.form, this.names);
  }

  clearField(name) {
    const field = this.form.querySelector(`[data-field="${name}"]`);
    if (!field || !this.form.elements[name]) return;
    field.classList.remove('invalid');
    field.querySelector('.field-error').textContent = '';
    this.form.elements[name].removeAttribute('aria-invalid');
  }

  clearErrors() {
    for (const name of ['size', 'repeat', ...this.names]) this.clearField(name);
    this.formError.textContent = '';
  }

  // An error next to its field (focused, so that a keyboard or screen
  // reader user lands on it), or under the form.
  showError(err) {
    const name = FIELD_OF[err.parameter] || err.parameter;
    if (name && this.form.querySelector(`[data-field="${name}"]`) && this.form.elements[name]) {
      this.form.querySelector(`[data-field="${name}"]`).closest('details')?.setAttribute('open', '');
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
      const repeat = this.form.elements.repeat.value.trim() || String(PAGE_REPEAT);
      const sweep = await api.createSweep(LAB_SIZES, repeat, this.params());
      this.announce(`Lab sweep ${sweep.id} started: ${sweep.runs.length} runs.`);
      const runs = await Promise.all(sweep.runs.map((r) => follow(this.progress, r.id, fmt.bytes(r.size))));
      const failed = runs.filter((r) => r.status !== 'done').length;
      this.onBatchDone();
      this.announce(failed ? `Lab sweep ${sweep.id} ended: ${failed} of ${runs.length} runs failed.`
        : `Lab sweep ${sweep.id} done: ${runs.length} runs. Its report is open.`);
      if (failed) {
        this.formError.textContent = `${failed} of the sweep's ${runs.length} runs failed; see their rows.`;
      } else {
        // All done: the report says the rest; the rows would only fill the form.
        this.progress.replaceChildren();
        this.progress.hidden = true;
      }
      this.onSweepDone(sweep);
    } catch (err) {
      this.showError(err);
    } finally {
      this.busy(false);
    }
  }
}
