// params-form: the run settings of the form, built from the API's own
// description (GET /openapi.json, components.parameters, generated from the
// daemon's one parameter table) so that a parameter added there appears
// here with its default, bounds and help, and nothing is listed twice.
// Also the handout preset: the settings that come closest to the lab
// handout's packet counts on loopback.

// Shown first; the rest fold into "More settings". A presentation choice,
// not a list of parameters: a name missing here still gets its field.
const FIRST = ['direction', 'chunk', 'nodelay', 'mss', 'label'];
// Set by the form itself, not a setting.
const NOT_SETTINGS = new Set(['size', 'sizes', 'wait', 'repeat']);

// The handout preset, measured on loopback with `POST
// /sweeps?sizes=13B,2kB,439kB,1MB&repeat=3` and these settings (median
// packets, 13 B / 2 kB / 439 kB / 1 MB; the handout says 24 / 24 / 73 / 125):
//   defaults (MSS 65483, chunk 64 KiB)     10 / 10 / 24 / 40
//   mss=1460                               10 / 10 / 39 / 60
//   mss=1460 chunk=16KiB                   10 / 10 / 66 / 135   <- closest
//   mss=1460 chunk=16KiB nodelay=true      10 / 10 / 61 / 92 (spread 66-115)
//   mss=1460 chunk=12KiB                   10 / 10 / 77 / 169
//   mss=1460 chunk=20KiB                   10 / 10 / 37 / 55
//   mss=1460 chunk=1460                    10 / 12 / 592 / 1257
export const HANDOUT_PRESET = {
  name: 'Close to the handout',
  values: { mss: '1460', chunk: '16KiB', nodelay: false },
  why: 'MSS 1460 is Ethernet\'s (a 1500-byte MTU less 40 bytes of IP and TCP headers), as on the handout\'s '
    + 'network, instead of loopback\'s 65,483. Writes of 16 KiB make TCP hand the interface segments of a few '
    + 'kB, close to the handout\'s average packet of about 10 kB: measured here, 439 kB takes about 66 packets '
    + 'and 1 MB about 135 (the handout: 73 and 125). Smaller writes give far more packets, larger ones fewer; '
    + 'TCP_NODELAY makes the counts jump from run to run. 13 B and 2 kB stay at 10 packets whatever the '
    + 'settings: wiremeter\'s exchange is a 16-byte request and the data, where the handout\'s program spoke '
    + 'HTTP and opened more than one connection.',
};

// The parameter objects ($ref resolved) of one operation.
export function operationParams(doc, path, method) {
  const op = doc.paths && doc.paths[path] && doc.paths[path][method];
  if (!op) return [];
  return (op.parameters || []).map((p) => {
    if (!p.$ref) return p;
    const name = p.$ref.split('/').pop();
    return doc.components.parameters[name];
  }).filter(Boolean);
}

// The default as the API states it: schema.default, else the "(default
// ...)" of its description. Text, for showing; null when none is stated.
export function defaultOf(param) {
  if (param.schema && param.schema.default !== undefined) return String(param.schema.default);
  const m = /\(default ([^)]*)\)/.exec(param.description || '');
  return m ? m[1] : null;
}

function isBoolean(param) {
  const t = param.schema && param.schema.type;
  return Array.isArray(t) ? t.includes('boolean') : t === 'boolean';
}

// The description without its "(default ...)" and "Allowed: ..." parts,
// which the field shows on their own lines.
function helpOf(param) {
  const d = param.description || '';
  return d.replace(/\s*\(default [^)]*\)/, '').replace(/\s*Allowed:.*$/, '').trim();
}

function allowedOf(param) {
  const m = /Allowed:\s*(.*)$/.exec(param.description || '');
  return m ? m[1] : '';
}

function node(tag, attrs = {}, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// One field for a parameter: a select for an enum, a checkbox for a
// boolean, a text input for the rest (sizes take units: 64KiB).
function field(param) {
  const name = param.name;
  const id = `f-${name}`;
  const dflt = defaultOf(param);
  const wrap = node('div', { class: 'field', 'data-field': name, 'data-param': name });
  const hint = node('p', { class: 'hint', id: `${id}-hint` });
  const help = helpOf(param);
  const allowed = allowedOf(param);
  hint.textContent = [help, allowed ? `Allowed: ${allowed}` : '', dflt !== null ? `Default: ${dflt}.` : '']
    .filter(Boolean).join(' ');
  const error = node('p', { class: 'field-error', id: `${id}-error` });
  const described = `${id}-hint ${id}-error`;
  let input;
  if (isBoolean(param)) {
    wrap.classList.add('field-check');
    input = node('input', { id, name, type: 'checkbox', 'aria-describedby': described });
    input.checked = dflt === 'true';
    input.dataset.default = String(input.checked);
    wrap.append(input, node('label', { for: id }, name), hint, error);
    return wrap;
  }
  if (param.schema && Array.isArray(param.schema.enum)) {
    input = node('select', { id, name, 'aria-describedby': described });
    for (const value of param.schema.enum) {
      const option = node('option', { value }, value === dflt ? `${value} (default)` : value);
      if (value === dflt) option.selected = true;
      input.appendChild(option);
    }
    input.dataset.default = dflt ?? param.schema.enum[0];
  } else {
    input = node('input', { id, name, type: 'text', autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': described });
    if (dflt !== null) input.placeholder = dflt.replace(/:.*$/, '');
    if (param.schema && param.schema.maxLength) input.maxLength = param.schema.maxLength;
    input.dataset.default = '';
  }
  const label = node('label', { for: id }, name);
  wrap.append(label, input, hint, error);
  return wrap;
}

// Fills `first` and `more` (containers) with a field per setting of POST
// /runs; returns the names, in the API's order.
export function buildFields(doc, first, more) {
  const params = operationParams(doc, '/runs', 'post').filter((p) => p.in === 'query' && !NOT_SETTINGS.has(p.name));
  const head = params.filter((p) => FIRST.includes(p.name))
    .sort((a, b) => FIRST.indexOf(a.name) - FIRST.indexOf(b.name));
  const rest = params.filter((p) => !FIRST.includes(p.name));
  first.replaceChildren(...head.map(field));
  more.replaceChildren(...rest.map(field));
  return params.map((p) => p.name);
}

// The repeat parameter of POST /sweeps (bounds and help), for the sweep's
// repeat field.
export function repeatParam(doc) {
  return operationParams(doc, '/sweeps', 'post').find((p) => p.name === 'repeat') || null;
}

// The values of the settings that differ from their defaults, as the API
// takes them ("true" for a checked box).
export function values(form, names) {
  const out = {};
  for (const name of names) {
    const input = form.elements[name];
    if (!input) continue;
    if (input.type === 'checkbox') {
      if (String(input.checked) !== input.dataset.default) out[name] = String(input.checked);
    } else if (input.tagName === 'SELECT') {
      if (input.value !== input.dataset.default) out[name] = input.value;
    } else if (input.value.trim()) {
      out[name] = input.value.trim();
    }
  }
  return out;
}

// Every setting back to its default, then the given values.
export function apply(form, names, given = {}) {
  for (const name of names) {
    const input = form.elements[name];
    if (!input) continue;
    const v = given[name];
    if (input.type === 'checkbox') input.checked = v === undefined ? input.dataset.default === 'true' : Boolean(v);
    else if (input.tagName === 'SELECT') input.value = v === undefined ? input.dataset.default : v;
    else input.value = v === undefined ? '' : v;
  }
}
