// app: the page's entry point. Views behind the URL's hash — #/ (the
// form, the lab's tables and charts, the history), #/runs/{id} (one run),
// #/sweeps (every sweep), #/sweeps/{id} (a sweep's report) and
// #/captures/{id}[/connections/{n}] (an uploaded capture) and
// #/compare?runs=a,b (two to four runs overlaid) — so that
// an address can be shared and reloaded. Also the health
// indicator, the delete confirmation and the screen-reader announcer that
// both views use, and the token prompt.

import * as api from './api.js';
import { Home } from './home.js';
import { RunView } from './run-view.js';
import { SweepList, SweepView } from './sweep-view.js';
import { setupGlossary } from './glossary.js';
import { CaptureUpload } from './captures-upload.js';
import { CaptureList } from './captures-list.js';
import { CaptureView } from './captures-view.js';
import { CompareView, ComparePicker, compareIds } from './compare.js';

const main = document.getElementById('main');
const homeView = document.getElementById('home-view');
const runView = document.getElementById('run-view');
const sweepView = document.getElementById('sweep-view');
const sweepsView = document.getElementById('sweeps-view');
const captureView = document.getElementById('capture-view');
const compareView = document.getElementById('compare-view');
const announcer = document.getElementById('announcer');

function announce(text) {
  // Emptied first so that the same message twice is read twice.
  announcer.textContent = '';
  window.setTimeout(() => { announcer.textContent = text; }, 50);
}

// Resolves true when the user confirms; a native <dialog> keeps the focus
// inside it and answers Escape as "Cancel".
function confirmDelete(id, what = 'Run') {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-title').textContent = `Delete ${what.toLowerCase()}?`;
  document.getElementById('confirm-text').textContent = what === 'Run'
    ? `Run ${id}, its result and its capture file will be removed. This cannot be undone.`
    : `${what} ${id}, its file and its analysis will be removed. This cannot be undone.`;
  const opener = document.activeElement;
  dialog.returnValue = 'cancel';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (opener && document.contains(opener)) opener.focus();
      resolve(dialog.returnValue === 'delete');
    }, { once: true });
  });
}

// Asks for the daemon's token when it answers 401 (api.js): resolves the
// token, or null when the user cancels. Kept for the tab by api.js.
function askToken(message) {
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-text').textContent = message || 'This server needs its token.';
  input.value = '';
  const opener = document.activeElement;
  dialog.returnValue = 'cancel';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const token = dialog.returnValue === 'ok' ? input.value.trim() : '';
      input.value = '';
      if (opener && document.contains(opener)) opener.focus();
      resolve(token || null);
    }, { once: true });
  });
}

api.setTokenPrompt(askToken);
document.getElementById('token-cancel').addEventListener('click', () => {
  document.getElementById('token-dialog').close('cancel');
});

function openRun(id) {
  window.location.hash = `#/runs/${id}`;
}

const home = new Home(homeView, {
  onOpen: openRun,
  onSweep: (sweep) => { window.location.hash = `#/sweeps/${sweep.id}`; },
  confirmDelete,
  announce,
});
const sweep = new SweepView(sweepView, { announce });
const sweeps = new SweepList(sweepsView);
const run = new RunView(runView, {
  onDeleted: (id) => {
    announce(`Run ${id} deleted.`);
    window.location.hash = '#/';
  },
  confirmDelete,
  announce,
});

const confirmCapture = (id) => confirmDelete(id, 'Capture');
const captureList = new CaptureList(homeView, {
  onOpen: (id) => { window.location.hash = `#/captures/${id}`; },
  confirmDelete: confirmCapture,
  onDeleted: (id) => announce(`Capture ${id} deleted.`),
});
// Kept by its listeners: nothing else calls it.
new CaptureUpload(homeView, {
  onDone: (capture) => { window.location.hash = `#/captures/${capture.id}`; },
  announce,
});
const capture = new CaptureView(captureView, {
  onDeleted: (id) => {
    announce(`Capture ${id} deleted.`);
    window.location.hash = '#/';
  },
  confirmDelete: confirmCapture,
  announce,
});
const compare = new CompareView(compareView);
new ComparePicker(document.querySelector('#history-table tbody'), document.getElementById('compare-link'));

let firstRoute = true;

const VIEWS = [
  { re: /^#\/runs\/(\d+)\/?$/, view: runView, nav: null },
  { re: /^#\/sweeps\/(\d+)\/?$/, view: sweepView, nav: null },
  { re: /^#\/compare(\?|$)/, view: compareView, nav: null },
  { re: /^#\/sweeps\/?$/, view: sweepsView, nav: '#/sweeps' },
  { re: /^#\/captures\/(\d+)(?:\/connections\/(\d+))?\/?$/, view: captureView, nav: null },
  { re: /^/, view: homeView, nav: '#/' },
];

function route() {
  const hash = window.location.hash;
  const { view, nav } = VIEWS.find((v) => v.re.test(hash));
  const id = (/(\d+)\/?$/.exec(hash) || [])[1];
  const wasCapture = !captureView.hidden;
  for (const v of VIEWS) v.view.hidden = v.view !== view;
  for (const link of document.querySelectorAll('.nav-links a[href^="#/"]')) {
    if (link.getAttribute('href') === nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (view !== runView) run.close();
  if (view !== sweepView) sweep.close();
  if (view !== captureView) capture.close();
  if (view !== compareView) compare.close();
  if (view === captureView) {
    const [, cid, n] = /^#\/captures\/(\d+)(?:\/connections\/(\d+))?/.exec(hash);
    const sameCapture = wasCapture && capture.id === Number(cid) && n !== undefined;
    capture.open(Number(cid), n === undefined ? undefined : Number(n));
    if (sameCapture) return; // a connection picked: the focus stays on the picker
  } else if (view === compareView) {
    compare.open(compareIds(hash));
  } else if (view === runView) {
    run.open(Number(id));
  } else if (view === sweepView) {
    sweep.open(Number(id));
  } else if (view === sweepsView) {
    document.title = 'Sweeps · wiremeter';
    sweeps.load();
  } else {
    document.title = 'wiremeter';
    home.refresh();
    captureList.load();
  }
  // A view change moves the focus to its heading, as a page load would;
  // the first load leaves it where the browser put it.
  if (!firstRoute) {
    const heading = view.querySelector('h1');
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  firstRoute = false;
}

async function health() {
  const dot = document.getElementById('health-dot');
  const text = document.getElementById('health-text');
  const warning = document.getElementById('capture-warning');
  try {
    const h = await api.getHealth();
    const capture = h.capture && h.capture.permitted;
    dot.className = `health-dot ${capture ? 'ok' : 'warn'}`;
    text.textContent = capture ? 'Capture ok' : 'No capture';
    document.getElementById('health-link').title = `wiremeter ${h.version}, up ${Math.round(h.uptime_s)} s; `
      + `${h.runs.workers} workers, ${h.runs.running} running, ${h.runs.queued} queued`;
    if (!capture) {
      warning.textContent = `Capture is not permitted on ${h.capture.interface}: ${h.capture.reason || 'no reason given'}. `
        + 'Runs will fail until the daemon has CAP_NET_RAW.';
      warning.hidden = false;
    }
  } catch (err) {
    dot.className = 'health-dot bad';
    text.textContent = 'Daemon down';
    warning.textContent = err.message;
    warning.hidden = false;
  }
}

window.addEventListener('hashchange', route);
main.addEventListener('keydown', (e) => {
  // Escape on a run or a capture goes back to the list, as the breadcrumb does.
  if (e.key === 'Escape' && (!runView.hidden || !captureView.hidden) && !document.querySelector('dialog[open]')
      && !document.querySelector('.term[aria-expanded="true"]')) {
    window.location.hash = '#/';
  }
});
setupGlossary(document);
route();
health();
