// glossary: the teaching layer. Every TCP term the page uses has a short
// explanation written for a student, one click (or hover) away: the term is
// a button (aria-expanded, aria-controls) that opens its explanation right
// after it in the document, so a keyboard reaches it with Tab and Enter, a
// screen reader reads it in place, and Escape or a second click closes it.
// Hover opens it too, but never only hover.

export const TERMS = {
  SYN: 'SYN (synchronise): the first packet of a connection. The client picks its initial sequence number (ISN) '
    + 'and offers its options (MSS, SACK, timestamps, window scale).',
  'SYN-ACK': 'SYN-ACK: the server\'s answer to a SYN. It carries the server\'s own ISN and options, and acknowledges '
    + 'the client\'s SYN (Ack = client ISN + 1, a SYN counts as one byte).',
  ACK: 'ACK (acknowledgement): the Ack number says "I have every byte before this one". The third packet of the '
    + 'handshake is a pure ACK; almost every later packet carries an ACK too.',
  FIN: 'FIN (finish): "I have nothing more to send". Each side sends its own FIN and the other acknowledges it, '
    + 'so an orderly close is two FINs and their ACKs; a FIN counts as one byte of sequence space.',
  RST: 'RST (reset): ends a connection at once, without the FIN exchange — sent when a socket is closed with data '
    + 'unread, or a packet arrives for a connection that does not exist.',
  PSH: 'PSH (push): the sender asks the receiver to hand the data to the application now rather than wait for '
    + 'more. Linux sets it on the last segment of each write.',
  ISN: 'ISN (initial sequence number): the random number each side starts its byte count from, chosen anew for '
    + 'each connection so that old or forged packets do not fit. Wireshark shows it as the raw Seq of the SYN.',
  raw: 'Raw sequence number: the 32-bit number actually in the TCP header, starting at the random ISN. '
    + 'Wireshark shows it as "Sequence Number (raw)".',
  relative: 'Relative sequence number: the raw one minus the ISN, so each side counts from 0 (the SYN) and the '
    + 'first data byte is 1. Wireshark shows relative numbers by default; they make the byte counts readable.',
  window: 'Window: how many more bytes the receiver can take right now (its free buffer). The sender may not have '
    + 'more than this unacknowledged. The 16-bit field is multiplied by 2^window scale.',
  'window scale': 'Window scale: a handshake option (RFC 7323) that multiplies every later window field by 2^n, '
    + 'because 16 bits (65,535 bytes) is too small a window for fast links. Only valid when both SYNs carry it.',
  MSS: 'MSS (maximum segment size): the largest payload one TCP segment may carry, offered by each side in its '
    + 'SYN. It is the interface MTU less 40 bytes of IPv4 and TCP headers (60 for IPv6): 1460 on Ethernet, '
    + '65,495 on Linux loopback.',
  MTU: 'MTU (maximum transmission unit): the largest IP packet an interface sends in one frame: 1500 bytes on '
    + 'Ethernet, 65,536 on Linux loopback.',
  SACK: 'SACK (selective acknowledgement): lets a receiver say which blocks beyond a gap it already has, so a '
    + 'sender resends only what was lost. "SACK permitted" in both SYNs turns it on.',
  timestamps: 'Timestamps (TSval, TSecr): a handshake option (RFC 7323) after which every segment carries the '
    + 'sender\'s clock and the last one it saw from the other side: used to measure the round-trip time and to '
    + 'tell old segments from new ones. They take 12 bytes of each header.',
  retransmission: 'Retransmission: a segment sent again because its data was not acknowledged in time (or three '
    + 'duplicate ACKs said it was lost). On loopback it is rare; on a lossy link it is how TCP repairs loss.',
  'duplicate ACK': 'Duplicate ACK: an ACK that acknowledges nothing new, sent when a segment arrives after a gap. '
    + 'Three of them make the sender resend at once (fast retransmit) instead of waiting for a timeout.',
  'zero window': 'Zero window: the receiver advertises a window of 0 — its buffer is full because the '
    + 'application is not reading — and the sender must stop until a window update opens it again.',
  'out of order': 'Out of order: a segment with a lower sequence number than one already seen — it was overtaken '
    + 'on the way, or is a retransmission.',
  handshake: 'Three-way handshake: SYN, SYN-ACK, ACK. Both sides exchange their ISNs and options before any data.',
  closure: 'Closure: each side\'s FIN and the ACK of it. Three packets when the second FIN rides on the ACK of the '
    + 'first (FIN, FIN-ACK, ACK), four when they travel apart (FIN, ACK, FIN, ACK); a FIN can also ride on the '
    + 'last data segment.',
  segmentation: 'Segmentation offload (TSO/GSO): TCP hands the interface one large segment and the network card '
    + '(or the kernel, just before the driver) cuts it into MTU-sized packets. A capture on the sending host '
    + 'sees the large segment, so it counts fewer, bigger packets than the wire carries.',
  chunk: 'Chunk: the size of each write() the application makes. With small writes (and TCP_NODELAY) TCP sends '
    + 'smaller segments, so the same bytes take more packets.',
  RTT: 'RTT (round-trip time): from sending a segment to receiving its ACK. Microseconds on loopback.',
  cwnd: 'cwnd (congestion window): how many segments the sender allows itself in flight, grown as ACKs arrive '
    + 'and cut on loss. The real limit is the smaller of cwnd and the receiver\'s window.',
};

let count = 0;

// A term as a button with its explanation after it. label: the text shown
// (the term itself when omitted).
export function term(key, label) {
  const text = TERMS[key];
  if (!text) return document.createTextNode(label ?? key);
  count += 1;
  const wrap = document.createElement('span');
  wrap.className = 'term-wrap';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'term';
  button.textContent = label ?? key;
  button.dataset.term = key;
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', `term-${count}`);
  const pop = document.createElement('span');
  pop.className = 'term-pop';
  pop.id = `term-${count}`;
  pop.setAttribute('role', 'note');
  pop.hidden = true;
  pop.textContent = text;
  wrap.append(button, pop);
  return wrap;
}

// Text with some words turned into terms: parts is a list of strings and
// [key, label] pairs.
export function withTerms(el, parts) {
  el.replaceChildren(...parts.map((p) => (Array.isArray(p) ? term(p[0], p[1]) : document.createTextNode(p))));
  return el;
}

function popOf(button) {
  return document.getElementById(button.getAttribute('aria-controls'));
}

function place(button, pop) {
  // Fixed to the viewport so that a scrolling table cannot clip it.
  const r = button.getBoundingClientRect();
  const width = Math.min(320, window.innerWidth - 16);
  pop.style.width = `${width}px`;
  pop.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - width - 8))}px`;
  const below = r.bottom + 6;
  pop.style.top = `${below}px`;
  const h = pop.getBoundingClientRect().height;
  if (below + h > window.innerHeight - 8 && r.top - h - 6 > 8) pop.style.top = `${r.top - h - 6}px`;
}

function show(button, on, byHover = false) {
  const pop = popOf(button);
  if (!pop) return;
  button.setAttribute('aria-expanded', String(on));
  if (on) button.dataset.hover = String(byHover);
  pop.hidden = !on;
  if (on) place(button, pop);
}

function closeAll(except) {
  for (const b of document.querySelectorAll('.term[aria-expanded="true"]')) if (b !== except) show(b, false);
}

// Static markup: <span data-term="MSS">MSS</span> becomes a term.
export function upgrade(root) {
  for (const el of root.querySelectorAll('[data-term]:not(.term)')) {
    el.replaceWith(term(el.dataset.term, el.textContent));
  }
}

export function setupGlossary(doc) {
  upgrade(doc);
  doc.addEventListener('click', (e) => {
    const button = e.target.closest('.term');
    if (!button) {
      if (!e.target.closest('.term-pop')) closeAll(null);
      return;
    }
    const open = button.getAttribute('aria-expanded') === 'true' && button.dataset.hover !== 'true';
    closeAll(button);
    show(button, !open);
  });
  doc.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    const open = doc.querySelector('.term[aria-expanded="true"]');
    if (!open) return;
    closeAll(null);
    if (open.closest('.term-wrap').contains(doc.activeElement)) open.focus();
    e.stopPropagation();
  }, true);
  doc.addEventListener('mouseover', (e) => {
    const button = e.target.closest && e.target.closest('.term');
    if (button && button.getAttribute('aria-expanded') !== 'true') {
      closeAll(null);
      show(button, true, true);
    }
  });
  doc.addEventListener('mouseout', (e) => {
    const button = e.target.closest && e.target.closest('.term');
    if (button && button.dataset.hover === 'true' && !button.contains(e.relatedTarget)) show(button, false);
  });
  // Fixed to the viewport: an open explanation follows its term.
  const follow = () => {
    for (const b of doc.querySelectorAll('.term[aria-expanded="true"]')) place(b, popOf(b));
  };
  window.addEventListener('scroll', follow, { passive: true, capture: true });
  window.addEventListener('resize', follow);
}
