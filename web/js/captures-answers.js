// captures-answers: the lab's six questions about one TCP connection,
// answered in one box in the lab's words (README, "The lab's questions,
// answered"), each answer beside the JSON field it is read from, so that
// a student can find it in the document and a teacher can check it. Used
// by the capture view (a connection of GET /captures/{id}) and the run view
// (a run's result): both are the same document of a connection.

import * as fmt from './format.js';
import { endpointText } from './format.js';

const HANDSHAKE_NAMES = ['SYN', 'SYN-ACK', 'ACK'];

// One value: what is shown, its exact value (data-value) and its field.
function value(field, text, exact) {
  const span = document.createElement('span');
  span.className = 'answer-value';
  span.dataset.field = field;
  fmt.setValue(span, text, exact === undefined ? null : exact);
  const code = document.createElement('code');
  code.className = 'answer-field';
  code.textContent = field;
  const wrap = document.createElement('span');
  wrap.className = 'answer-part';
  wrap.append(span, ' ', code);
  return wrap;
}

// One answer: the lab's question, then its parts (a text, or a value()).
function answer(key, question, parts) {
  const li = document.createElement('li');
  li.dataset.answer = key;
  const q = document.createElement('p');
  q.className = 'answer-question';
  q.textContent = question;
  const a = document.createElement('p');
  a.className = 'answer-text';
  a.append(...parts);
  li.append(q, a);
  return li;
}

function epText(ep) {
  return ep ? endpointText(ep) : '—';
}

function handshakeParts(hs) {
  const packets = (hs && hs.packets) || [];
  if (!packets.length) return ['The handshake was not captured (the capture began after it).'];
  const parts = [];
  packets.slice(0, 3).forEach((p, i) => {
    const line = document.createElement('span');
    line.className = 'answer-line';
    line.dataset.no = String(p.no);
    const name = document.createElement('strong');
    name.textContent = `${HANDSHAKE_NAMES[i] || p.flags} (${p.from})`;
    line.append(name, ' seq ', value(`handshake.packets[${i}].raw_seq`, String(p.raw_seq), p.raw_seq));
    if (p.flags.includes('ACK')) line.append(' ack ', value(`handshake.packets[${i}].raw_ack`, String(p.raw_ack), p.raw_ack));
    parts.push(line);
  });
  if (packets.length > 3) parts.push(`${packets.length - 3} more packets belong to the handshake (a retransmitted SYN?).`);
  return parts;
}

function closureParts(cl) {
  if (!cl || cl.kind === 'none' || !cl.packets || !cl.packets.length) {
    return ['The closure was not captured (the capture ended first).'];
  }
  const how = cl.kind === 'rst' ? 'RST (reset)' : 'FIN';
  let who = 'unknown';
  if (cl.simultaneous) who = 'both at once';
  else if (cl.initiator) who = `the ${cl.initiator}`;
  return [value('closure.kind', how, cl.kind), ', closed first by ',
    value(cl.simultaneous ? 'closure.simultaneous' : 'closure.initiator', who,
      cl.simultaneous ? true : cl.initiator),
    `, ${fmt.integer(cl.packets.length)} packets`,
    ...(cl.duration_ns !== null && cl.duration_ns !== undefined
      ? [' in ', value('closure.duration_ns', fmt.duration(cl.duration_ns), cl.duration_ns)] : [])];
}

// The six answers for a connection's document (connection, handshake,
// closure, totals, timing, average_packet_size); where: a text saying
// which document the fields are in.
export function buildAnswers(conn, where) {
  const c = conn.connection || {};
  const t = conn.totals || {};
  const tm = conn.timing || {};
  const avg = conn.average_packet_size || {};
  const intro = document.createElement('p');
  intro.className = 'hint answers-where';
  intro.textContent = where;
  const list = document.createElement('ol');
  list.className = 'answers-list';
  list.append(
    answer('endpoints', 'Client and server IP and port', [
      'client ', value('connection.client', epText(c.client), epText(c.client)),
      ', server ', value('connection.server', epText(c.server), epText(c.server))]),
    answer('handshake', 'The three-way handshake, with raw sequence and acknowledgement numbers', handshakeParts(conn.handshake)),
    answer('closure', 'How the connection closed, and who closed first', closureParts(conn.closure)),
    answer('packets', 'Number of packets', [
      value('totals.packets', `${fmt.integer(t.packets)} in all`, t.packets), ': ',
      value('totals.client_to_server', `${fmt.integer(t.client_to_server)} client → server`, t.client_to_server), ', ',
      value('totals.server_to_client', `${fmt.integer(t.server_to_client)} server → client`, t.server_to_client)]),
    answer('timing', 'Start, end and total time', [
      'start ', value('timing.first_packet_time', `${fmt.exactTime(tm.first_packet_time)} UTC`, tm.first_packet_time),
      ', end ', value('timing.last_packet_time', `${fmt.exactTime(tm.last_packet_time)} UTC`, tm.last_packet_time),
      ', total ', value('timing.total_ns', fmt.duration(tm.total_ns), tm.total_ns)]),
    answer('average', 'Average packet size', [
      value('average_packet_size.all', avg.all === null || avg.all === undefined ? '—'
        : `${Number(avg.all).toLocaleString('en-US', { maximumFractionDigits: 1 })} bytes`, avg.all),
      ` (frame bytes / packets: ${fmt.integer(t.wire_bytes)} / ${fmt.integer(t.packets)})`]),
  );
  return [intro, list];
}
