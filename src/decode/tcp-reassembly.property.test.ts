import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../util/fuzz-budget.js';
import { TcpFlag } from './packet.js';
import { TcpStream, type ReassemblyCounters, type StreamReceiver } from './tcp-reassembly.js';

function counters(): ReassemblyCounters {
  return { tcpGaps: 0, tcpGapBytes: 0, tcpOutOfOrderDropped: 0, tcpRetransmissions: 0, tcpOverlaps: 0, tcpBogusSequence: 0 };
}

/** Checks every delivery against the original stream: right bytes at the right place, each byte at most once. */
class Checker implements StreamReceiver<null> {
  /** stream offset of the next byte to be delivered, once anchored */
  pos = -1;
  delivered = 0;
  gapped = 0;
  constructor(
    private readonly original: Buffer,
    anchor: number,
  ) {
    this.pos = anchor;
  }
  streamData(_s: TcpStream<null>, buf: Buffer, off: number, len: number): void {
    assert.ok(len > 0, 'empty delivery');
    assert.ok(off >= 0 && off + len <= buf.length, 'delivery outside its buffer');
    assert.ok(this.pos + len <= this.original.length, `delivery past the stream end (pos ${this.pos} len ${len})`);
    assert.ok(buf.subarray(off, off + len).equals(this.original.subarray(this.pos, this.pos + len)), `wrong bytes at ${this.pos}`);
    this.pos += len;
    this.delivered += len;
  }
  streamGap(_s: TcpStream<null>, bytes: number): void {
    assert.ok(bytes > 0);
    this.pos += bytes;
    this.gapped += bytes;
  }
}

const scenario = fc.record({
  isn: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0xffffff00, max: 0xffffffff })),
  length: fc.integer({ min: 1, max: 600 }),
  withSyn: fc.boolean(),
  maxOutOfOrderBytes: fc.integer({ min: 1, max: 800 }),
  maxOutOfOrderSegments: fc.integer({ min: 1, max: 12 }),
  ops: fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('seg' as const), start: fc.nat(), len: fc.integer({ min: 0, max: 120 }), fin: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('ack' as const), at: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
    ),
    { maxLength: 40 },
  ),
});

test('property: random segments never yield wrong, duplicated or out-of-stream bytes', () => {
  fc.assert(
    fc.property(scenario, (sc) => {
      const original = Buffer.alloc(sc.length);
      for (let i = 0; i < sc.length; i++) original[i] = (i * 131 + 7) & 0xff;
      const c = counters();
      // Stream offset 0 is ISN+1. Without SYN the stream anchors at its first data segment.
      let checker: Checker | null = sc.withSyn ? new Checker(original, 0) : null;
      let lazy: Checker | null = null;
      const receiver: StreamReceiver<null> = {
        streamData: (s, b, o, l) => (checker ?? lazy!).streamData(s, b, o, l),
        streamGap: (s, n) => (checker ?? lazy!).streamGap(s, n),
      };
      const stream = new TcpStream<null>(null, receiver, sc, c);
      if (sc.withSyn) stream.segment(sc.isn, TcpFlag.SYN, Buffer.alloc(0), 0, 0, 1, 0);
      let finAt = -1;
      for (const op of sc.ops) {
        if (op.kind === 'seg') {
          const start = op.start % sc.length;
          const len = Math.min(op.len, sc.length - start);
          // A FIN is only ever sent at the true end of the stream.
          const fin = op.fin && start + len === sc.length;
          if (len === 0 && !fin) continue;
          if (checker === null && len > 0) checker = lazy = new Checker(original, start);
          const packet = Buffer.concat([Buffer.from('hdr'), original.subarray(start, start + len)]);
          const seq = (sc.isn + 1 + start) >>> 0;
          stream.segment(seq, TcpFlag.ACK | (fin ? TcpFlag.FIN : 0), packet, 3, len, 2, 0);
          if (fin) finAt = sc.length;
        } else if (op.kind === 'ack') {
          // Peers only acknowledge what was sent (+1 for a FIN that was sent).
          const upTo = op.at % (sc.length + 1);
          const ack = upTo === sc.length && finAt >= 0 ? sc.length + 1 : upTo;
          stream.acked((sc.isn + 1 + ack) >>> 0, 3, 0);
        } else {
          stream.flush(4, 0);
        }
        assert.ok(stream.bufferedBytes <= sc.maxOutOfOrderBytes, 'byte cap exceeded');
        assert.ok(stream.bufferedSegments <= sc.maxOutOfOrderSegments, 'segment cap exceeded');
      }
      stream.flush(5, 0);
      assert.equal(stream.bufferedBytes, 0);
      if (checker !== null) {
        assert.ok(checker.pos <= sc.length);
        assert.equal(checker.gapped, c.tcpGapBytes);
      }
    }),
    { numRuns: fuzzRuns(300) },
  );
});

test('property: a complete stream in any order with duplicates is delivered exactly, without gaps', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.nat(),
      (isn, sizes, dupPicks, seed) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const original = Buffer.alloc(total);
        for (let i = 0; i < total; i++) original[i] = (i * 7 + seed) & 0xff;
        const segments: Array<[number, number]> = [];
        let at = 0;
        for (const size of sizes) {
          segments.push([at, size]);
          at += size;
        }
        for (const pick of dupPicks) segments.push(segments[pick % sizes.length]!);
        // deterministic shuffle from the seed
        let r = seed || 1;
        for (let i = segments.length - 1; i > 0; i--) {
          r = (Math.imul(r, 1103515245) + 12345) >>> 0;
          const j = r % (i + 1);
          [segments[i], segments[j]] = [segments[j]!, segments[i]!];
        }
        const checker = new Checker(original, 0);
        const c = counters();
        const stream = new TcpStream<null>(null, checker, { maxOutOfOrderBytes: 1 << 20, maxOutOfOrderSegments: 1000 }, c);
        stream.segment(isn, TcpFlag.SYN, Buffer.alloc(0), 0, 0, 1, 0);
        for (const [start, len] of segments) {
          stream.segment((isn + 1 + start) >>> 0, TcpFlag.ACK, original, start, len, 2, 0);
        }
        assert.equal(checker.delivered, total);
        assert.equal(c.tcpGaps, 0);
        assert.equal(stream.bufferedBytes, 0);
        assert.ok(c.tcpRetransmissions >= dupPicks.length, 'every duplicate is counted');
      },
    ),
    { numRuns: fuzzRuns(300) },
  );
});
