// path-form: the path's part of the run form. The fields themselves come
// from the API like every setting (params-form.js); here the `path` field
// and the link's settings are gathered under "Path", the link's shown only
// when path=link (the API refuses them on loopback, so hiding them resets
// them), and a picker of the daemon's named paths (GET /presets: "home
// broadband", "lossy Wi-Fi"...) fills them. A daemon without presets (404)
// gets no picker. Each direction's overrides (rate_to_client,
// rate_to_server, ...) are folded apart under the settings they override,
// toward the client on the left and toward the server on the right, so
// that the link's few settings stay the ones seen first.

import * as api from './api.js';
import { isLinkSetting } from './model.js';

// The API's words for true (params.c's bool_words).
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);

function fieldOf(form, name) {
  return form.querySelector(`[data-param="${name}"]`);
}

// A preset's value as the form's input takes it.
function setInput(input, value) {
  if (input.type === 'checkbox') input.checked = value === true || TRUE_WORDS.has(String(value).toLowerCase());
  else input.value = value === undefined || value === null ? '' : String(value);
}

function resetInput(input) {
  if (input.type === 'checkbox') input.checked = input.dataset.default === 'true';
  else if (input.tagName === 'SELECT') input.value = input.dataset.default;
  else input.value = '';
}

export class PathForm {
  // runForm: the RunForm whose fields are built (after its ready).
  constructor(root, runForm) {
    this.root = root;
    this.runForm = runForm;
    this.form = runForm.form;
    this.box = root.querySelector('#settings-path');
    this.pick = root.querySelector('#f-path-preset');
    this.why = root.querySelector('#path-preset-why');
    this.presets = [];
    this.linkNames = runForm.names.filter(isLinkSetting);
    const pathField = fieldOf(this.form, 'path');
    if (!pathField) return; // a daemon without paths
    // The API's `preset` parameter names a path the daemon fills in; the
    // picker here fills the fields themselves, shown and editable, so
    // the form offers the one and not the other as well.
    const presetField = fieldOf(this.form, 'preset');
    if (presetField) presetField.hidden = true;
    const wayNames = this.linkNames.filter((n) => n.includes('_to_'));
    this.box.append(pathField, ...this.linkNames.filter((n) => !wayNames.includes(n)).map((n) => fieldOf(this.form, n)));
    this.ways = null;
    if (wayNames.length) {
      // The API lists them by setting, toward the client first: in two
      // columns each row is one setting, one direction a column.
      const order = (n) => [n.replace(/_to_.*/, ''), n.endsWith('_to_server') ? 1 : 0];
      wayNames.sort((a, b) => {
        const [sa, da] = order(a);
        const [sb, db] = order(b);
        return this.linkNames.indexOf(sa) - this.linkNames.indexOf(sb) || da - db;
      });
      this.ways = document.createElement('details');
      this.ways.className = 'path-ways';
      const summary = document.createElement('summary');
      summary.textContent = 'Each direction apart: toward the client (left), toward the server (right)';
      const grid = document.createElement('div');
      grid.className = 'settings-grid';
      grid.append(...wayNames.map((n) => fieldOf(this.form, n)));
      this.ways.append(summary, grid);
      this.box.after(this.ways);
    }
    this.box.closest('.path-settings').hidden = false;
    this.form.elements.path.addEventListener('change', () => this.sync());
    // The settings presets (Defaults, the handout) set the path too.
    for (const chip of root.querySelectorAll('#preset-defaults, #preset-handout')) {
      chip.addEventListener('click', () => { this.pick.value = ''; this.why.textContent = ''; this.sync(); });
    }
    this.pick.addEventListener('change', () => this.apply(this.pick.value));
    this.sync();
    this.ready = this.loadPresets();
  }

  // The link's fields shown on a link only; left, they go back to their
  // defaults, which the loopback path is refused without.
  sync() {
    const onLink = this.form.elements.path.value === 'link';
    for (const name of this.linkNames) {
      const field = fieldOf(this.form, name);
      if (!onLink) {
        resetInput(this.form.elements[name]);
        this.runForm.clearField(name);
      }
      field.hidden = !onLink;
    }
    if (this.ways) {
      this.ways.hidden = !onLink;
      // A preset or a copied run that sets one shows it.
      if (onLink && [...this.ways.querySelectorAll('input')].some((i) => i.value !== '')) this.ways.open = true;
    }
    this.box.dataset.path = this.form.elements.path.value;
    this.runForm.markSettingsPreset();
  }

  async loadPresets() {
    let doc = null;
    try {
      doc = await api.getPresets();
    } catch {
      doc = null; // no picker: the fields still work
    }
    this.presets = (doc && Array.isArray(doc.presets)) ? doc.presets : [];
    const wrap = this.pick.closest('.field');
    wrap.hidden = this.presets.length === 0;
    const none = document.createElement('option');
    none.value = '';
    none.textContent = 'choose a path…';
    const options = this.presets.map((p) => {
      const option = document.createElement('option');
      option.value = p.name;
      option.textContent = p.title || p.name;
      // One this host cannot run (a delay without netem) is shown, greyed.
      if (p.available === false) {
        option.disabled = true;
        option.textContent += ' (not on this host)';
        option.title = p.reason || 'this host cannot run it';
      }
      return option;
    });
    this.pick.replaceChildren(none, ...options);
  }

  // The path's fields to their defaults, then the preset's values (a
  // preset may also name a setting outside the path, e.g. congestion).
  apply(name) {
    const preset = this.presets.find((p) => p.name === name);
    if (!preset) {
      this.why.textContent = '';
      return;
    }
    for (const n of ['path', ...this.linkNames]) resetInput(this.form.elements[n]);
    for (const [n, v] of Object.entries(preset.params || {})) {
      const input = this.form.elements[n];
      if (input && this.runForm.names.includes(n)) setInput(input, v);
    }
    for (const n of this.runForm.names) this.runForm.clearField(n);
    const values = Object.entries(preset.params || {}).map(([k, v]) => `${k}=${v}`).join(', ');
    this.why.textContent = `${preset.title || preset.name}: ${values}. ${preset.description || ''}`.trim();
    this.sync();
  }
}
