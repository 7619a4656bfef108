// captures-list: the uploaded captures from GET /captures, newest first,
// beside the runs' history and paged, opened and deleted as it is (both
// are paged-table.js's). A row opens its capture; its Delete asks first
// and sends the token when the daemon has one (api.js), as a run's does.

import * as api from './api.js';
import * as fmt from './format.js';
import { PAGE, PagedTable, td } from './paged-table.js';

export class CaptureList extends PagedTable {
  constructor(root, { onOpen, confirmDelete, onDeleted }) {
    super(root, {
      ids: { table: 'captures-table', empty: 'captures-empty', more: 'captures-more', error: 'captures-error' },
      noun: 'Capture',
      key: 'captureId',
      listError: 'The captures could not be listed',
      onOpen,
      confirmDelete,
      onDeleted,
    });
  }

  async fetchPage(before) {
    const page = await api.listCaptures(PAGE, before);
    return { items: page.captures, next: page.next };
  }

  deleteItem(id) {
    return api.deleteCapture(id);
  }

  cells(capture) {
    return [this.nameCell(capture, `#/captures/${capture.id}`),
      td('File size', fmt.bytes(capture.size_bytes), 'num col-size', capture.size_bytes, 'bytes'),
      this.statusCell(capture), this.timeCell('Uploaded', capture)];
  }
}
