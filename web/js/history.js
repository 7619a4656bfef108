// history: the table of runs from GET /runs, newest first, a page at a
// time; its paging, row clicks and Delete are paged-table.js's, shared
// with the captures' list. A done run's row has a box for the compare
// view. Each figure keeps the API's exact value in data-value.

import * as api from './api.js';
import * as fmt from './format.js';
import { runAveragePacket, runPackets, runSize, runSizeText, runTotalNs, settingsText } from './model.js';
import { PAGE, PagedTable, td } from './paged-table.js';

export class History extends PagedTable {
  constructor(root, { onOpen, confirmDelete, onDeleted, announce }) {
    super(root, {
      ids: { table: 'history-table', empty: 'history-empty', more: 'more-button', error: 'history-error' },
      noun: 'Run',
      key: 'runId',
      listError: 'The history could not be read',
      onOpen,
      confirmDelete,
      onDeleted,
      announce,
    });
  }

  async fetchPage(before) {
    const page = await api.listRuns(PAGE, before);
    return { items: page.runs, next: page.next };
  }

  deleteItem(id) {
    return api.deleteRun(id);
  }

  cells(run) {
    const before = [];
    if (run.status === 'done') {
      // Ticked for the compare view (compare.js's picker).
      const pick = document.createElement('input');
      pick.type = 'checkbox';
      pick.className = 'compare-pick';
      pick.value = String(run.id);
      pick.setAttribute('aria-label', `Compare run ${run.id}`);
      before.push(pick);
    }
    const first = this.nameCell(run, `#/runs/${run.id}`, ...before);
    const size = runSize(run);
    const sizeCell = td('Size', fmt.bytes(size), 'col-size', size, 'bytes');
    if (run.params && run.params.direction === 'upload') sizeCell.append(' ↑');
    sizeCell.title = `${fmt.integer(size)} bytes (${runSizeText(run)}), ${run.params ? run.params.direction : ''}`;
    const status = this.statusCell(run);
    if (run.status === 'failed' && run.error) status.title = run.error.message;
    const packets = runPackets(run);
    const total = runTotalNs(run);
    const avg = runAveragePacket(run);
    return [first, sizeCell,
      td('Settings', settingsText(run.params), 'col-settings'),
      td('Packets', fmt.integer(packets), 'num col-packets', packets, 'packets'),
      td('Total time', fmt.duration(total), 'num col-total', total, 'ns'),
      td('Avg packet', fmt.bytes(avg), 'num col-avg', avg, 'bytes'),
      status, this.timeCell('Time', run)];
  }
}
