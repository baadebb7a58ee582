import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlag } from './packet.js';
import { TcpStream, type ReassemblyCounters, type StreamReceiver } from './tcp-reassembly.js';

type Out = { kind: 'data'; text: string; buf: Buffer; off: number; frame: number } | { kind: 'gap'; bytes: number };

function setup(limits = { maxOutOfOrderBytes: 1 << 16, maxOutOfOrderSegments: 16 }) {
  const out: Out[] = [];
  const counters: ReassemblyCounters = {
    tcpGaps: 0,
    tcpGapBytes: 0,
    tcpOutOfOrderDropped: 0,
    tcpRetransmissions: 0,
    tcpOverlaps: 0,
    tcpBogusSequence: 0,
  };
  const receiver: StreamReceiver<null> = {
    streamData(_s, buf, off, len, frame) {
      out.push({ kind: 'data', text: buf.toString('latin1', off, off + len), buf, off, frame });
    },
    streamGap(_s, bytes) {
      out.push({ kind: 'gap', bytes });
    },
  };
  const stream = new TcpStream<null>(null, receiver, limits, counters);
  let frame = 0;
  const seg = (seq: number, text: string, flags: number = TcpFlag.ACK) => {
    const buf = Buffer.from('HDR' + text, 'latin1');
    stream.segment(seq, flags, buf, 3, text.length, ++frame, 0);
    return buf;
  };
  const text = () => out.map((o) => (o.kind === 'data' ? o.text : `<gap ${o.bytes}>`)).join('');
  return { out, counters, stream, seg, text };
}

test('in-order segments are delivered as views of the packet buffer (zero-copy)', () => {
  const t = setup();
  t.seg(999, '', TcpFlag.SYN);
  const b1 = t.seg(1000, 'hello ');
  const b2 = t.seg(1006, 'world');
  assert.equal(t.text(), 'hello world');
  assert.equal(t.out[0]!.kind === 'data' && t.out[0]!.buf, b1);
  assert.equal(t.out[1]!.kind === 'data' && t.out[1]!.buf, b2);
  assert.equal(t.out[0]!.kind === 'data' && t.out[0]!.off, 3);
  assert.equal(t.stream.nextSeq, 1011);
  assert.equal(t.stream.sawSyn, true);
});

test('out-of-order segments are buffered and delivered when the hole fills', () => {
  const t = setup();
  t.seg(99, '', TcpFlag.SYN);
  t.seg(103, 'DEF');
  t.seg(106, 'GH');
  assert.equal(t.text(), '');
  assert.equal(t.stream.bufferedSegments, 2);
  t.seg(100, 'ABC');
  assert.equal(t.text(), 'ABCDEFGH');
  assert.equal(t.stream.bufferedBytes, 0);
  assert.equal(t.counters.tcpGaps, 0);
});

test('retransmissions are delivered once and counted', () => {
  const t = setup();
  t.seg(0, 'abcd');
  t.seg(0, 'abcd');
  t.seg(2, 'cd');
  t.seg(10, 'kl'); // buffered
  t.seg(10, 'kl'); // duplicate of a buffered segment
  t.seg(4, 'efghij');
  assert.equal(t.text(), 'abcdefghijkl');
  assert.equal(t.counters.tcpRetransmissions, 3);
});

test('overlaps: delivered bytes are never re-delivered; among buffered segments the first arrival wins', () => {
  const t = setup();
  t.seg(100, 'ab');
  t.seg(101, 'XYZ'); // 101 was delivered: only "YZ" (102,103) is new
  assert.equal(t.text(), 'abYZ');
  assert.equal(t.counters.tcpOverlaps, 1);
  // nextSeq = 104; buffer "EF" at 106, then "QRST" at 105..108 keeps only Q (105) and T (108)
  t.seg(106, 'EF');
  t.seg(105, 'QRST');
  t.seg(104, 'c');
  assert.equal(t.text(), 'abYZcQEFT');
  assert.equal(t.counters.tcpOverlaps, 2);
});

test('sequence numbers wrap around 2^32', () => {
  const t = setup();
  t.seg(0xfffffff0, '', TcpFlag.SYN);
  t.seg(0xfffffffb, '0123456789'); // 0xfffffffb..0x4: out of order (the first 10 bytes are missing yet)
  t.seg(0x00000005, 'tail');
  t.seg(0xfffffff1, 'ABCDEFGHIJ');
  assert.equal(t.text(), 'ABCDEFGHIJ0123456789tail');
  assert.equal(t.stream.nextSeq, 9);
  t.seg(0xfffffff5, 'zz'); // old data from before the wrap
  assert.equal(t.counters.tcpRetransmissions, 1);
});

test('a mid-stream start anchors on the first data segment', () => {
  const t = setup();
  t.seg(123456, '', TcpFlag.ACK); // nothing to anchor on
  assert.equal(t.stream.started, false);
  t.seg(5000, 'mid');
  t.seg(5003, 'dle');
  assert.equal(t.text(), 'middle');
  assert.equal(t.stream.sawSyn, false);
});

test('gap when the peer acknowledges data the capture missed', () => {
  const t = setup();
  t.seg(0, 'abc');
  t.seg(10, 'klm'); // buffered, hole 3..10
  t.stream.acked(20, 1, 0); // peer has everything up to 20: 3..10 and 13..20 are lost
  assert.equal(t.text(), 'abc<gap 7>klm<gap 7>');
  assert.equal(t.counters.tcpGaps, 2);
  assert.equal(t.counters.tcpGapBytes, 14);
  t.seg(20, 'uv');
  assert.equal(t.text(), 'abc<gap 7>klm<gap 7>uv');
  t.stream.acked(22, 1, 0); // nothing missing: no gap
  t.stream.acked(5, 1, 0); // old ACK: no effect
  assert.equal(t.counters.tcpGaps, 2);
});

test('an ACK of the FIN is not mistaken for missing data', () => {
  const t = setup();
  t.seg(0, 'abc', TcpFlag.ACK | TcpFlag.FIN);
  t.stream.acked(4, 1, 0);
  assert.equal(t.text(), 'abc');
  assert.equal(t.counters.tcpGaps, 0);
});

test('gap when the out-of-order buffer cap is hit (segments)', () => {
  const t = setup({ maxOutOfOrderBytes: 1 << 16, maxOutOfOrderSegments: 2 });
  t.seg(0, 'a');
  t.seg(5, 'f');
  t.seg(10, 'k');
  assert.equal(t.text(), 'a');
  t.seg(15, 'p'); // no room: the hole 1..5 is declared lost, "f" delivered, then "p" buffered
  assert.equal(t.text(), 'a<gap 4>f');
  assert.equal(t.counters.tcpOutOfOrderDropped, 1);
  assert.equal(t.stream.bufferedSegments, 2);
  t.stream.flush(9, 0);
  assert.equal(t.text(), 'a<gap 4>f<gap 4>k<gap 4>p');
});

test('gap when the out-of-order buffer cap is hit (bytes), including a segment larger than the cap', () => {
  const t = setup({ maxOutOfOrderBytes: 4, maxOutOfOrderSegments: 16 });
  t.seg(0, 'a');
  t.seg(3, 'de');
  t.seg(10, 'klmnop'); // alone bigger than the cap: gaps before "de", delivers it, then skips to 10
  assert.equal(t.text(), 'a<gap 2>de<gap 5>klmnop');
  assert.equal(t.stream.bufferedBytes, 0);
});

test('FIN beyond a hole declares the hole lost', () => {
  const t = setup();
  t.seg(0, 'ab');
  t.seg(6, 'gh'); // buffered
  t.seg(10, '', TcpFlag.ACK | TcpFlag.FIN); // data ended at 10: 2..6 and 8..10 are lost
  assert.equal(t.text(), 'ab<gap 4>gh<gap 2>');
  assert.equal(t.stream.finSeen, true);
  assert.equal(t.stream.finSeq, 10);
});

test('a segment absurdly far ahead is ignored as bogus', () => {
  const t = setup();
  t.seg(0, 'ab');
  t.seg(0x7000_0000, 'zz');
  assert.equal(t.counters.tcpBogusSequence, 1);
  assert.equal(t.stream.bufferedSegments, 0);
  t.seg(2, 'cd');
  assert.equal(t.text(), 'abcd');
});

test('a retransmitted SYN keeps the anchor; a new ISN before any data re-anchors', () => {
  const t = setup();
  t.seg(100, '', TcpFlag.SYN);
  t.seg(500, '', TcpFlag.SYN);
  assert.equal(t.stream.nextSeq, 501);
  t.seg(501, 'x');
  t.seg(900, '', TcpFlag.SYN); // after data: ignored
  assert.equal(t.stream.nextSeq, 502);
});
