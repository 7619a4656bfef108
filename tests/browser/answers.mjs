// The lab's six answers on the page (web/js/captures-answers.js), checked
// against the connection's document they are read from — a capture's
// analysis.connections[n] or a run's result: each value's data-value is
// the field's, and the field named beside it is the one it came from.

import { check, checkEqual } from './lib.mjs';

// The value at a field path ("handshake.packets[0].raw_seq").
function at(doc, field) {
  let v = doc;
  for (const part of field.split('.')) {
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(part);
    check(m, `field path ${field}`);
    v = v === null || v === undefined ? undefined : v[m[1]];
    if (m[2] !== undefined) v = v === undefined ? undefined : v[Number(m[2])];
  }
  return v;
}

// What the page keeps as a field's exact value (format.js setValue).
function exact(v) {
  if (v && typeof v === 'object' && 'ip' in v) return v.ip.includes(':') ? `[${v.ip}]:${v.port}` : `${v.ip}:${v.port}`;
  return String(v);
}

export async function checkAnswers(page, selector, conn, what) {
  const answers = await page.$$eval(`${selector} li`, (items) => items.map((li) => ({
    key: li.dataset.answer,
    question: li.querySelector('.answer-question').textContent,
    values: [...li.querySelectorAll('.answer-value')].map((v) => ({
      field: v.dataset.field, value: v.dataset.value ?? null, text: v.textContent,
      code: v.parentElement.querySelector('code').textContent,
    })),
  })));
  checkEqual(answers.map((a) => a.key), ['endpoints', 'handshake', 'closure', 'packets', 'timing', 'average'],
    `${what}: the six answers`);
  const fields = answers.flatMap((a) => a.values.map((v) => v.field));
  const closed = conn.closure.kind === 'none' ? []
    : ['closure.kind', conn.closure.simultaneous ? 'closure.simultaneous' : 'closure.initiator', 'closure.duration_ns'];
  const expected = ['connection.client', 'connection.server',
    ...conn.handshake.packets.slice(0, 3).flatMap((p, i) => [`handshake.packets[${i}].raw_seq`,
      ...(p.flags.includes('ACK') ? [`handshake.packets[${i}].raw_ack`] : [])]),
    ...closed, 'totals.packets', 'totals.client_to_server', 'totals.server_to_client',
    'timing.first_packet_time', 'timing.last_packet_time', 'timing.total_ns', 'average_packet_size.all'];
  checkEqual(fields, expected, `${what}: the fields the answers come from`);
  for (const a of answers) {
    for (const v of a.values) {
      checkEqual(v.code, v.field, `${what}: the field named beside ${v.field}`);
      const want = v.field === 'closure.simultaneous' ? 'true' : exact(at(conn, v.field));
      checkEqual(v.value, want, `${what}: answer "${a.question}", ${v.field}`);
    }
  }
  // The raw numbers are shown as they are, not rounded.
  const syn = answers[1].values[0];
  checkEqual(syn.text, String(conn.handshake.packets[0].raw_seq), `${what}: the SYN's raw sequence number as shown`);
}
