// captures-upload: the "Analyse a capture" entry of the home view. A file
// dropped anywhere on the view, or chosen with the picker, is uploaded at
// once (POST /captures, the label from its field) with its progress in
// bytes and percent, then "analysing…" until the daemon's document says
// done; the capture's view opens then. A refusal (400, 413, 415, 429...)
// is shown in the daemon's own words: what was wrong and what is allowed.

import * as api from './api.js';
import * as fmt from './format.js';

export class CaptureUpload {
  constructor(root, { onDone, announce }) {
    this.root = root;
    this.onDone = onDone;
    this.announce = announce;
    this.input = root.querySelector('#u-file');
    this.label = root.querySelector('#u-label');
    this.box = root.querySelector('#upload-progress');
    this.bar = root.querySelector('#upload-bar');
    this.status = root.querySelector('#upload-status');
    this.error = root.querySelector('#upload-error');
    this.busy = false;
    this.input.addEventListener('change', () => {
      if (this.input.files.length) this.upload(this.input.files[0]);
    });
    this.setupDrop();
  }

  // Dropping anywhere on the view: a dragged file shows where it goes; a
  // drop elsewhere in the browser would open the file instead of the page.
  setupDrop() {
    let depth = 0;
    const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
    this.root.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth += 1;
      this.root.classList.add('dropping');
    });
    this.root.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    });
    this.root.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (!depth) this.root.classList.remove('dropping');
    });
    this.root.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      this.root.classList.remove('dropping');
      const files = e.dataTransfer.files;
      if (files.length !== 1) {
        this.showError(`${files.length} files were dropped: drop one capture file at a time.`);
        return;
      }
      this.upload(files[0]);
    });
  }

  showError(message) {
    this.error.textContent = message;
  }

  progress({ phase, sent, total }) {
    if (phase === 'upload') {
      const percent = total ? Math.floor((100 * sent) / total) : 0;
      this.bar.value = percent;
      this.status.textContent = `Uploading ${this.name}: ${fmt.bytes(sent)} of ${fmt.bytes(total)} (${percent} %)`;
      this.box.dataset.phase = 'upload';
    } else {
      this.bar.value = 100;
      this.bar.removeAttribute('value'); // indeterminate: the daemon does not say how far it is
      this.status.textContent = `Analysing ${this.name}… (${fmt.bytes(total)} uploaded)`;
      this.box.dataset.phase = 'analysing';
    }
  }

  async upload(file) {
    if (this.busy) {
      this.showError('An upload is under way: wait for it to end.');
      return;
    }
    this.busy = true;
    this.name = file.name;
    this.showError('');
    this.box.hidden = false;
    this.progress({ phase: 'upload', sent: 0, total: file.size });
    try {
      const capture = await api.uploadCapture(file, this.label.value.trim(), (p) => this.progress(p));
      if (capture.status === 'failed') {
        const why = (capture.error && capture.error.message) || 'no reason given';
        throw new Error(`The analysis of ${file.name} failed: ${why}`);
      }
      this.box.hidden = true;
      this.label.value = '';
      this.announce(`Capture ${capture.id} analysed.`);
      this.onDone(capture);
    } catch (err) {
      this.box.hidden = true;
      const status = err.status ? ` (HTTP ${err.status})` : '';
      this.showError(`${file.name} was not analysed${status}: ${err.message}`);
    } finally {
      this.busy = false;
      this.input.value = ''; // the same file again is a change too
    }
  }
}
